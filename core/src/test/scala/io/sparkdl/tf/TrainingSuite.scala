package io.sparkdl.tf

import java.nio.file.Files

import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck

/**
 * Training through the C API, by the contract of docs/training.md: `train_step` runs of a
 * trainable SavedModel (made by sparkdl's Keras exporter) give Keras `fit`'s model, and a model
 * saved mid-training resumes where it stopped, optimizer state included.
 */
class TrainingSuite extends AnyFunSuite with NativeLeakCheck with TolerantAssertions {
  private val x = Fixtures.npy("trainable_x.npy")
  private val y = Fixtures.npy("trainable_y.npy")
  private val batch = 16
  private val rows = x.shape(0).toInt

  // One epoch of train_step over the fixture's rows in order, batches of 16, learning rate 0.05.
  private def epoch(model: SavedModel): Map[String, Float] = {
    var last = Map.empty[String, Float]
    (0 until rows by batch).foreach { start =>
      val xs = x.floats.slice(start * 8, (start + batch) * 8)
      val ys = y.floats.slice(start * 3, (start + batch) * 3)
      Using.Manager { use =>
        val feeds = Map(
          "x" -> use(Tensor.ofFloats(xs, Shape(batch, 8))),
          "y" -> use(Tensor.ofFloats(ys, Shape(batch, 3))),
          "learning_rate" -> use(Tensor.ofFloats(Array(0.05f), Shape.scalar))
        )
        val out = model.run(feeds, Seq("loss", "accuracy"), signatureKey = "train_step")
        last = out.map { case (k, t) => try k -> t.floats().head finally t.close() }
      }.get
    }
    last
  }

  private def predictions(model: SavedModel): Array[Float] =
    Using.resource(x.toTensor) { input =>
      val out = model.run(Map("x" -> input), Seq("output_0"))("output_0")
      try out.floats() finally out.close()
    }

  test("3 epochs of train_step give Keras fit's predictions, and a saved model resumes to 6") {
    val saved = Files.createTempDirectory("sparkdl-trained-").resolve("model").toString
    Using.resource(SavedModel.load(Fixtures.path("keras_trainable").toString)) { model =>
      val metrics = (1 to 3).map(_ => epoch(model)).last
      assert(metrics.keySet == Set("loss", "accuracy") && metrics("loss") > 0f)
      assertClose(predictions(model), Fixtures.npy("trainable_after3.npy").floats, 1e-5)
      assert(model.saver.isDefined)
      model.saveTo(saved)
    }
    // Adam's moments and step count come back with the variables: 3 more epochs equal 6 of fit.
    Using.resource(SavedModel.load(saved)) { model =>
      assertClose(predictions(model), Fixtures.npy("trainable_after3.npy").floats, 1e-5)
      (1 to 3).foreach(_ => epoch(model))
      assertClose(predictions(model), Fixtures.npy("trainable_after6.npy").floats, 1e-5)
    }
  }

  test("saving into an existing directory is refused") {
    Using.resource(SavedModel.load(Fixtures.path("keras_trainable").toString)) { model =>
      val existing = Files.createTempDirectory("sparkdl-exists-").toString
      assert(intercept[IllegalArgumentException](model.saveTo(existing)).getMessage.contains("already exists"))
    }
  }
}
