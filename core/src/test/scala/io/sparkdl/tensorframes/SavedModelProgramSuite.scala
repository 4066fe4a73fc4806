package io.sparkdl.tensorframes

import java.nio.file.Files

import io.sparkdl.model._
import io.sparkdl.tf.{Fixtures, NotFoundException, TolerantAssertions}

/** SavedModels packed as archives: planned from their meta graph, run on executors. */
class SavedModelProgramSuite extends SparkSessionSuite with TolerantAssertions {

  private lazy val keras = SavedModelArchive.fromDirectory(Fixtures.path("keras_mlp").toString)
  private lazy val twoSigs = SavedModelArchive.fromDirectory(Fixtures.path("saved_model_two_sigs").toString)

  test("a Keras SavedModel runs through map_blocks, signature shapes filling in what TF2 graphs lack") {
    val sig = keras.signatures("serve")
    val program = GraphProgram.of(keras, Seq(sig.output("output_0").name), Seq("y"),
      Map(sig.input("x").name.takeWhile(_ != ':') -> "x"))
    val x = Fixtures.npy("keras_x.npy")
    val rows = x.floats.grouped(10).map(_.toSeq).toSeq
    val df = spark.createDataFrame(rows.zipWithIndex.map { case (r, i) => (i, r) }).toDF("i", "x").repartition(3)
    val out = TensorFrames.mapBlocks(df, program, blockSize = 7)
    assert(out.schema("y").dataType.simpleString == "array<float>")
    val got = out.orderBy("i").collect().flatMap(_.getSeq[Float](2))
    assertClose(got, Fixtures.npy("keras_y.npy").floats, 1e-5)
  }

  test("a SavedModel with a variable, the second signature, several fetches") {
    val x = Fixtures.npy("sm_x.npy")
    val xs = spark.createDataFrame(x.floats.grouped(2).zipWithIndex.map { case (r, i) => (i, r.toSeq) }.toSeq)
      .toDF("i", "x").repartition(2)
    val serving = twoSigs.signatures("serving_default")
    val y = TensorFrames.mapBlocks(xs, GraphProgram.of(twoSigs, Seq(serving.output("y").name), Seq("y"),
      Map(serving.input("x").name.takeWhile(_ != ':') -> "x")))
    assertClose(y.orderBy("i").collect().flatMap(_.getSeq[Float](2)), Fixtures.npy("sm_y.npy").floats, 1e-5)

    val sig = twoSigs.signatures("sum")
    val rows = Fixtures.npy("sm_a.npy").floats.zip(Fixtures.npy("sm_b.npy").floats).zipWithIndex
      .map { case ((a, b), i) => (i, a, b) }.toSeq
    val df = spark.createDataFrame(rows).toDF("i", "a", "b").repartition(2)
    val feeds = Seq("a", "b").map(k => sig.input(k).name.takeWhile(_ != ':') -> k).toMap
    val program = GraphProgram.of(twoSigs, Seq("total", "diff").map(k => sig.output(k).name), Seq("total", "diff"), feeds)
    val out = TensorFrames.mapBlocks(df, program).orderBy("i").collect()
    assertClose(out.map(_.getFloat(3)), Fixtures.npy("sm_total.npy").floats, 1e-6)
    assertClose(out.map(_.getFloat(4)), Fixtures.npy("sm_diff.npy").floats, 1e-6)
  }

  test("the archive is keyed by its files and tags, not by zip metadata") {
    val again = SavedModelArchive.fromDirectory(Fixtures.path("keras_mlp").toString)
    assert(again.key == keras.key)
    assert(SavedModelArchive(keras.archive, Seq("serve", "gpu")).key != keras.key)
    assert(twoSigs.key != keras.key)
  }

  test("a missing directory, a non-SavedModel directory, unknown tags and a bad archive are clear errors") {
    val missing = intercept[IllegalArgumentException](SavedModelArchive.fromDirectory("/nonexistent/model"))
    assert(missing.getMessage.contains("/nonexistent/model"), missing.getMessage)
    val empty = Files.createTempDirectory("not-a-model")
    val notModel = intercept[IllegalArgumentException](SavedModelArchive.fromDirectory(empty.toString))
    assert(notModel.getMessage.contains("saved_model.pb"), notModel.getMessage)
    val tags = intercept[NotFoundException](SavedModelArchive(keras.archive, Seq("train")).graphDef)
    assert(tags.getMessage.contains("[train]") && tags.getMessage.contains("[serve]"), tags.getMessage)
    val corrupt = intercept[IllegalArgumentException](SavedModelArchive("not a zip".getBytes, Seq("serve")).graphDef)
    assert(corrupt.getMessage.contains("saved_model.pb"), corrupt.getMessage)
  }
}
