package io.sparkdl.ml

import java.util.ServiceLoader

import scala.jdk.CollectionConverters._

import org.apache.spark.connect.proto
import org.apache.spark.ml.Transformer
import org.apache.spark.ml.param.Params

import io.sparkdl.model.ModelWireFormat

/**
 * What a Spark Connect server does with sparkdl's stages: finds them with ServiceLoader, builds
 * them with their uid constructor, and sets the client's literals with Spark's own
 * `MLUtils.setInstanceParams` (called by reflection: it is `private[ml]` to Spark's connect
 * package). Map and model params arrive as strings and must be decoded when set.
 */
class ConnectParamsSuite extends StageFixtures {

  private def literal(s: String) = proto.Expression.Literal.newBuilder().setString(s).build()

  // org.apache.spark.sql.connect.ml.MLUtils.setInstanceParams(instance, params), as the server runs it.
  private def setInstanceParams(stage: Params, params: Map[String, proto.Expression.Literal]): Unit = {
    val mlParams = proto.MlParams.newBuilder().putAllParams(params.asJava).build()
    val utils = Class.forName("org.apache.spark.sql.connect.ml.MLUtils$")
    val module = utils.getField("MODULE$").get(null)
    try utils.getMethod("setInstanceParams", classOf[Params], classOf[proto.MlParams]).invoke(module, stage, mlParams)
    catch { case e: java.lang.reflect.InvocationTargetException => throw e.getCause }
  }

  test("the server finds sparkdl's transformers through ServiceLoader") {
    val found = ServiceLoader.load(classOf[Transformer]).stream().iterator().asScala.map(_.`type`().getName).toSet
    Seq(classOf[TFTransformer], classOf[KerasTransformer], classOf[TFImageTransformer]).foreach { c =>
      assert(found.contains(c.getName), found)
      c.getConstructor(classOf[String]).newInstance("uid_1") // what MLUtils.getInstance calls
    }
  }

  test("a model's wire string decodes to an equal model (SavedModel and frozen graph)") {
    Seq(dense10, denseGraph).foreach { m =>
      val decoded = ModelWireFormat.decode(ModelWireFormat.encode(m))
      assert(decoded == m && decoded.signatureKey == m.signatureKey && decoded.describe == m.describe)
    }
  }

  test("Spark's setInstanceParams sets model and map params from the client's strings") {
    val stage = new TFTransformer("tft_connect")
    setInstanceParams(
      stage,
      Map(
        "model" -> literal(ModelWireFormat.encode(dense10)),
        "inputMapping" -> literal("""{"x": "x"}"""),
        "outputMapping" -> literal("""{"output_0": "y"}"""),
        "batchSize" -> proto.Expression.Literal.newBuilder().setLong(7L).build()
      )
    )
    assert(stage.getModel == dense10)
    assert(stage.getInputMapping == Map("x" -> "x") && stage.getOutputMapping == Map("output_0" -> "y"))
    assert(stage.getBatchSize == 7)
    // Set like this, the stage runs as one set in Scala does.
    val viaConnect = flatFloats(stage.transform(dense10Input), "y")
    val direct = new TFTransformer().setModel(dense10).setInputMapping(Map("x" -> "x"))
      .setOutputMapping(Map("output_0" -> "y"))
    assert(viaConnect.sameElements(flatFloats(direct.transform(dense10Input), "y")))
    assertClose(viaConnect, dense10Expected, 1e-5)
  }

  test("a malformed wire string fails naming the param and the expected format") {
    val stage = new KerasTransformer()
    val notModel = intercept[IllegalArgumentException](setInstanceParams(stage, Map("model" -> literal("/tmp/m"))))
    assert(notModel.getMessage.contains("param 'model'") && notModel.getMessage.contains("sparkdl-model/1"), notModel.getMessage)
    val badKind = intercept[IllegalArgumentException](
      ModelWireFormat.decode(ModelWireFormat.Prefix + """{"kind": "onnx"}""" + "\nAAAA")
    )
    assert(badKind.getMessage.contains("unknown kind 'onnx'"), badKind.getMessage)
    val notMap = intercept[IllegalArgumentException](
      setInstanceParams(new TFTransformer(), Map("inputMapping" -> literal("[1]")))
    )
    assert(notMap.getMessage.contains("inputMapping"), notMap.getMessage)
    assert(!stage.isSet(stage.model))
  }
}
