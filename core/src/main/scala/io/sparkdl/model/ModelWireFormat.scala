package io.sparkdl.model

import java.nio.charset.StandardCharsets.UTF_8
import java.util.Base64

import org.json4s.{DefaultFormats, JNull, JString}
import org.json4s.JsonDSL._
import org.json4s.jackson.JsonMethods.{compact, parse, render}

/**
 * A [[TFModel]] as one string: how a Spark Connect client, which cannot build JVM objects, sends
 * a model in a param or a command. The string is a header line and the model's bytes in base64:
 * {{{
 * sparkdl-model/1 {"kind": "frozen_graph"}\n<base64 GraphDef>
 * sparkdl-model/1 {"kind": "saved_model", "tags": ["serve"], "signature": "serving_default"}
 *   \n<base64 zip>
 * }}}
 * The zip holds the SavedModel directory's files under their relative paths, as
 * [[SavedModelArchive]] packs them. Python's `sparkdl._connect` writes the same format. A model
 * crosses whole, in one gRPC message: base64 makes it 4/3 of its size, and the server refuses
 * messages over `spark.connect.grpc.maxInboundMessageSize` (128 MiB by default).
 */
object ModelWireFormat {
  val Prefix = "sparkdl-model/1 "

  /** The model as its wire string. */
  def encode(model: TFModel): String = {
    val (header, bytes) = model.source match {
      case g: FrozenGraph => (("kind" -> "frozen_graph"): org.json4s.JObject, g.bytes)
      case s: SavedModelArchive =>
        val signature = model.signatureKey.map(JString(_)).getOrElse(JNull)
        val header = ("kind" -> "saved_model") ~ ("tags" -> s.tags.toList)
        (header ~ ("signature" -> signature), s.archive)
    }
    Prefix + compact(render(header)) + "\n" + Base64.getEncoder.encodeToString(bytes)
  }

  /** The model `encoded` stands for; an IllegalArgumentException says what is wrong with it. */
  def decode(encoded: String): TFModel = {
    def fail(problem: String): Nothing = throw new IllegalArgumentException(
      s"expected a TFModel in sparkdl's wire format ('$Prefix{...}\\n<base64>', as sparkdl's " +
        s"Python client sends it); $problem"
    )
    if (encoded == null || !encoded.startsWith(Prefix)) {
      fail(s"found a string starting '${Option(encoded).map(_.take(24)).orNull}'")
    }
    val newline = encoded.indexOf('\n')
    if (newline < 0) fail("the header line has no end")
    implicit val formats: DefaultFormats.type = DefaultFormats
    val header =
      try parse(encoded.substring(Prefix.length, newline))
      catch { case e: Exception => fail(s"its header is not JSON (${e.getMessage})") }
    val bytes =
      try Base64.getDecoder.decode(encoded.substring(newline + 1).getBytes(UTF_8))
      catch {
        case e: IllegalArgumentException => fail(s"its payload is not base64 (${e.getMessage})")
      }
    if (bytes.isEmpty) fail("it carries no model bytes")
    (header \ "kind").extractOpt[String] match {
      case Some("frozen_graph") => TFModel.fromGraphDef(bytes)
      case Some("saved_model") =>
        val tags =
          (header \ "tags").extractOpt[List[String]].filter(_.nonEmpty).getOrElse(fail("no tags"))
        val signature = (header \ "signature").extractOpt[String]
        TFModel.fromSource(SavedModelArchive(bytes, tags), signature)
      case other => fail(s"unknown kind ${other.map(k => s"'$k'").getOrElse("(none)")}")
    }
  }
}
