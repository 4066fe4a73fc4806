package io.sparkdl.tf

import scala.jdk.CollectionConverters._
import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck

class SavedModelSuite extends AnyFunSuite with NativeLeakCheck with TolerantAssertions {
  private def dir(name: String) = Fixtures.path(name).toString

  test("signatures read from the MetaGraphDef equal TF Python's") {
    for (model <- Seq("saved_model_two_sigs", "keras_mlp")) {
      Using.resource(SavedModel.load(dir(model))) { m =>
        val expected = Fixtures.json(s"$model.json")
        assert(m.signatures.keySet.filterNot(_.startsWith("__")) == expected.fieldNames.asScala.toSet)
        for (key <- expected.fieldNames.asScala; side <- Seq("inputs", "outputs")) {
          val sig = m.signature(key)
          val infos = if (side == "inputs") sig.inputs else sig.outputs
          val want = expected.get(key).get(side)
          assert(infos.keySet == want.fieldNames.asScala.toSet, s"$model/$key/$side")
          for ((k, info) <- infos) {
            val w = want.get(k)
            assert(info.name == w.get("name").asText, s"$model/$key/$k")
            assert(info.dtype == DType.fromName(w.get("dtype").asText))
            assert(info.shape == Shape.of(w.get("shape").elements.asScala.map(_.asLong).toArray))
          }
        }
      }
    }
  }

  test("both signatures of a SavedModel with a variable equal TF Python's") {
    Using.resource(SavedModel.load(dir("saved_model_two_sigs"))) { m =>
      Using.resource(Fixtures.npy("sm_x.npy").toTensor) { x =>
        val out = m.run(Map("x" -> x), Seq("y"))
        Using.resource(out("y"))(y => assertClose(y.floats(), Fixtures.npy("sm_y.npy").floats, 1e-5))
      }
      Using.resources(Fixtures.npy("sm_a.npy").toTensor, Fixtures.npy("sm_b.npy").toTensor) { (a, b) =>
        val out = m.run(Map("a" -> a, "b" -> b), Seq("total", "diff"), "sum")
        Using.resources(out("total"), out("diff")) { (total, diff) =>
          assertClose(total.floats(), Fixtures.npy("sm_total.npy").floats, 1e-6)
          assertClose(diff.floats(), Fixtures.npy("sm_diff.npy").floats, 1e-6)
        }
      }
    }
  }

  test("a Keras model exported as a SavedModel equals model.predict within 1e-5") {
    Using.resource(SavedModel.load(dir("keras_mlp"))) { m =>
      Using.resource(Fixtures.npy("keras_x.npy").toTensor) { x =>
        val out = m.run(Map("x" -> x), Seq("output_0"), "serve")
        Using.resource(out("output_0")) { y =>
          assert(y.shape == Shape(20, 1))
          assertClose(y.floats(), Fixtures.npy("keras_y.npy").floats, 1e-5)
        }
      }
    }
  }

  test("a missing directory, an unknown tag or signature are clear errors") {
    val missing = intercept[NotFoundException](SavedModel.load("/nonexistent/model"))
    assert(missing.getMessage.contains("/nonexistent/model"))
    val emptyDir = java.nio.file.Files.createTempDirectory("empty-model")
    intercept[TfException](SavedModel.load(emptyDir.toString))
    val tag = intercept[TfException](SavedModel.load(dir("saved_model_two_sigs"), Seq("train")))
    assert(tag.getMessage.contains("train"), tag.getMessage)
    Using.resource(SavedModel.load(dir("saved_model_two_sigs"))) { m =>
      val e = intercept[NotFoundException](m.signature("predict"))
      assert(e.getMessage.contains("serving_default") && e.getMessage.contains("sum"), e.getMessage)
      val e2 = intercept[NotFoundException](m.signature().input("z"))
      assert(e2.getMessage.contains("inputs: x"), e2.getMessage)
    }
  }
}
