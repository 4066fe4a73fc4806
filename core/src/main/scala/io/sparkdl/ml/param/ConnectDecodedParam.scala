package io.sparkdl.ml.param

import org.apache.spark.ml.param.{Param, ParamPair, Params}

/**
 * A param whose values Spark Connect can set. Its server builds a stage from the client's
 * literals and sets each param with `Params.set(param, value)`, which can only carry strings,
 * numbers and arrays; for a param of another type (a map, a [[io.sparkdl.model.TFModel]])
 * the Python client sends a string, its wire form, which this param decodes as the pair is made
 * (`param -> value`, which every `set` goes through). So the stage's param map, validation and
 * reads of the param only ever see decoded values. `T` must not be `String` (a string is the wire form).
 */
abstract class ConnectDecodedParam[T](
    parent: Params,
    name: String,
    doc: String,
    isValid: T => Boolean
) extends Param[T](parent, name, doc, isValid) {

  /** The value a Spark Connect client's string `encoded` stands for. */
  def decodeWire(encoded: String): T

  // Generic here, so the erased `->(Object)` receives the server's String without a cast.
  override def ->(value: T): ParamPair[T] = (value: Any) match {
    case encoded: String => super.->(decodeWire(encoded))
    case _ => super.->(value)
  }
}
