package io.sparkdl.connect

import scala.jdk.CollectionConverters._

import org.json4s.DefaultFormats
import org.json4s.JsonDSL._
import org.json4s.jackson.JsonMethods.{compact, parse, render}

import org.apache.spark.connect.proto
import org.apache.spark.sql.connect.planner.SparkConnectPlanner
import org.apache.spark.sql.connect.plugin.CommandPlugin
import org.sparkproject.connect.protobuf.{Any => ProtoAny}

import io.sparkdl.model.ModelWireFormat
import io.sparkdl.sql.registerModelUDF

/**
 * `registerModelUDF` for Spark Connect clients, which cannot reach the JVM through py4j: a
 * command plugin the server loads with
 * `spark.connect.extensions.command.classes=io.sparkdl.connect.ModelUDFCommand`.
 *
 * The command is a protobuf `Any` of type [[ModelUDFCommandNames.TypeName]] whose
 * value is an `MlParams` of literals: `name` (string), `model` (string,
 * [[io.sparkdl.model.ModelWireFormat]]), `inputs` and `outputs` (strings, JSON lists; empty for
 * the defaults), `batchSize` (integer). It registers the
 * function in the client's session and answers as a SQL command does, with a one-row relation
 * `model_udf`: the JSON `{"name", "inputs", "outputs"}` of the registered function.
 */
class ModelUDFCommand extends CommandPlugin {

  override def process(command: Array[Byte], planner: SparkConnectPlanner): Boolean = {
    val any = ProtoAny.parseFrom(command)
    if (any.getTypeUrl != ModelUDFCommandNames.TypeUrl) return false
    val params = proto.MlParams.parseFrom(any.getValue).getParamsMap.asScala
    def literal(key: String, expected: String): proto.Expression.Literal =
      params.getOrElse(key, fail(key, expected))
    def string(key: String, expected: String): String = {
      val l = literal(key, expected)
      if (l.hasString) l.getString else fail(key, expected)
    }
    def names(key: String): Seq[String] = {
      implicit val formats: DefaultFormats.type = DefaultFormats
      val json = string(key, "a JSON list of model names")
      scala.util.Try(parse(json).extract[List[String]])
        .getOrElse(fail(key, s"a JSON list of names, not $json"))
    }
    val batchSize = literal("batchSize", "an integer")
    if (!batchSize.hasInteger) fail("batchSize", "an integer")
    val function = registerModelUDF(
      planner.session,
      string("name", "the function's name"),
      ModelWireFormat.decode(string("model", "a TFModel in sparkdl's wire format")),
      names("inputs"),
      names("outputs"),
      batchSize.getInteger
    )
    val description = ("name" -> function.name) ~ ("inputs" -> function.inputs.toList) ~
      ("outputs" -> function.outputs.toList)
    reply(planner, compact(render(description)))
    true
  }

  // As a SQL command answers: a relation the client reads (here `SELECT :model_udf AS model_udf`).
  private def reply(planner: SparkConnectPlanner, description: String): Unit =
    planner.executeHolderOpt.foreach { holder =>
      val value = proto.Expression.newBuilder()
        .setLiteral(proto.Expression.Literal.newBuilder().setString(description))
      val sql = proto.SQL.newBuilder()
        .setQuery("SELECT :model_udf AS model_udf")
        .putNamedArguments("model_udf", value.build())
      val result = proto.ExecutePlanResponse.SqlCommandResult.newBuilder()
        .setRelation(proto.Relation.newBuilder().setSql(sql))
      val response = proto.ExecutePlanResponse.newBuilder()
        .setSessionId(planner.sessionHolder.sessionId)
        .setServerSideSessionId(planner.sessionHolder.serverSessionId)
        .setSqlCommandResult(result)
        .build()
      // By reflection: the observer's Scala signature names grpc's StreamObserver unshaded,
      // a class the server's shaded jar does not have (so scalac cannot type the call).
      val observer = holder.getClass.getMethod("responseObserver").invoke(holder)
      observer.getClass.getMethod("onNext", classOf[Object]).invoke(observer, response)
    }

  private def fail(key: String, expected: String): Nothing = throw new IllegalArgumentException(
    s"sparkdl's registerModelUDF command: field '$key' is missing or of the wrong type; " +
      s"expected $expected"
  )
}

/**
 * What a Spark Connect client names to reach [[ModelUDFCommand]]: an object of its own, without
 * Spark Connect's classes, so that the Python contract's generator can read it.
 */
object ModelUDFCommandNames {
  /** The plugin class the server is configured with. */
  val PluginClass = "io.sparkdl.connect.ModelUDFCommand"

  /** The `Any` type of the command (no .proto of its own: its value is Spark's `MlParams`). */
  val TypeName = "sparkdl.RegisterModelUDF"
  val TypeUrl = s"type.googleapis.com/$TypeName"
}
