package io.sparkdl.ml.param

import org.json4s.{JObject, JString}
import org.json4s.jackson.JsonMethods.{compact, parse, render}

import org.apache.spark.ml.param.Params

/**
 * A `Map[String, String]` param, JSON-encoded as an object of strings (keys sorted), so that
 * `jsonDecode(jsonEncode(m)) == m`. Python passes such maps through these two methods (py4j), or
 * sends that JSON string through Spark Connect, which this param decodes when set.
 */
class StringMapParam(parent: Params, name: String, doc: String, isValid: Map[String, String] => Boolean)
    extends ConnectDecodedParam[Map[String, String]](parent, name, doc, isValid) {

  def this(parent: Params, name: String, doc: String) = this(parent, name, doc, (_: Map[String, String]) => true)

  override def jsonEncode(value: Map[String, String]): String =
    compact(render(JObject(value.toList.sortBy(_._1).map { case (k, v) => k -> JString(v) })))

  override def jsonDecode(json: String): Map[String, String] = parse(json) match {
    case JObject(fields) =>
      fields.map {
        case (k, JString(v)) => k -> v
        case (k, other) =>
          throw new IllegalArgumentException(
            s"param '$name': expected a JSON object of strings, but key '$k' holds ${compact(render(other))}"
          )
      }.toMap
    case other =>
      throw new IllegalArgumentException(
        s"param '$name': expected a JSON object of strings, got ${compact(render(other))}"
      )
  }

  override def decodeWire(encoded: String): Map[String, String] = jsonDecode(encoded)
}
