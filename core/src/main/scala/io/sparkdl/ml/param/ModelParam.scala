package io.sparkdl.ml.param

import org.apache.spark.ml.param.Params

import io.sparkdl.model.{ModelWireFormat, TFModel}

/**
 * A [[TFModel]]-valued param. A model is bytes, not JSON: stages persist it themselves under
 * `<stagePath>/model` ([[TFModel.save]]), so JSON encoding is refused with an error that says so.
 * A Spark Connect client sends the model as its wire string ([[io.sparkdl.model.ModelWireFormat]]).
 */
class ModelParam(parent: Params, name: String, doc: String, isValid: TFModel => Boolean)
    extends ConnectDecodedParam[TFModel](parent, name, doc, isValid) {

  def this(parent: Params, name: String, doc: String) = this(parent, name, doc, (m: TFModel) => m != null)

  override def jsonEncode(value: TFModel): String = throw new UnsupportedOperationException(
    s"param '$name' of $parent holds a TFModel, which is not JSON-encodable; the stage saves the " +
      "model's bytes under <path>/model (TFModel.save) instead"
  )

  override def jsonDecode(json: String): TFModel = throw new UnsupportedOperationException(
    s"param '$name' of $parent holds a TFModel, which is not JSON-decodable; load it with " +
      "TFModel.load (the stage's reader does so from <path>/model)"
  )

  override def decodeWire(encoded: String): TFModel =
    try ModelWireFormat.decode(encoded)
    catch {
      case e: IllegalArgumentException =>
        throw new IllegalArgumentException(s"param '$name' of $parent: ${e.getMessage}", e)
    }
}
