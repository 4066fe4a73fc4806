package io.sparkdl.ml

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.model._

/** The JSON codecs Python and the persistence rely on: map params round trip, model params refuse. */
class ParamCodecSuite extends AnyFunSuite {

  private val stage = new TFTransformer()

  test("StringMapParam encodes a JSON object of strings that decodes to the same map") {
    val m = Map("features" -> "x:0", "weird \"col\"" -> "serving_default_x", "" -> "ü")
    val json = stage.inputMapping.jsonEncode(m)
    assert(json.startsWith("{") && json.contains("\"features\":\"x:0\""), json)
    assert(stage.inputMapping.jsonDecode(json) == m)
    assert(stage.outputMapping.jsonDecode("{}") == Map.empty)
  }

  test("StringMapParam rejects JSON that is not an object of strings, naming the param") {
    val notObject = intercept[IllegalArgumentException](stage.inputMapping.jsonDecode("[1, 2]"))
    assert(notObject.getMessage.contains("inputMapping") && notObject.getMessage.contains("[1,2]"), notObject.getMessage)
    val notString = intercept[IllegalArgumentException](stage.outputMapping.jsonDecode("""{"y": 3}"""))
    assert(notString.getMessage.contains("outputMapping") && notString.getMessage.contains("key 'y'"), notString.getMessage)
  }

  test("ModelParam is not JSON: encoding and decoding fail saying where the model goes") {
    val model = TFModel.fromGraphDef(Array[Byte](10, 1, 120)) // a GraphDef proto is just bytes here
    val enc = intercept[UnsupportedOperationException](stage.model.jsonEncode(model))
    assert(enc.getMessage.contains("'model'") && enc.getMessage.contains("<path>/model"), enc.getMessage)
    val dec = intercept[UnsupportedOperationException](stage.model.jsonDecode("{}"))
    assert(dec.getMessage.contains("TFModel.load"), dec.getMessage)
  }
}
