package io.sparkdl.ml

import java.io.IOException
import java.nio.file.{Files, Path}

import scala.util.Random

import org.apache.spark.ml.{Pipeline, PipelineModel}
import org.apache.spark.ml.classification.LogisticRegression
import org.apache.spark.ml.linalg.Vector
import org.apache.spark.sql.DataFrame

import io.sparkdl.model.ModelWireFormat
import io.sparkdl.tf.Fixtures

/** Save and load of the stages on their own and inside Pipelines. */
class StagePersistenceSuite extends StageFixtures {

  private lazy val root: Path = Files.createTempDirectory("sparkdl-stages-")
  private def dir(name: String): String = root.resolve(name).toString

  test("TFTransformer: save/load round trip of a frozen graph keeps params and outputs") {
    val stage = new TFTransformer().setModel(twoInputGraph).setBatchSize(5).setHandleInvalid("skip")
      .setInputMapping(Map("a" -> "x1", "b" -> "x2")).setOutputMapping(Map("max_diff" -> "d"))
    stage.write.save(dir("tf-frozen"))
    assert(Files.isDirectory(root.resolve("tf-frozen/model")) && Files.isDirectory(root.resolve("tf-frozen/metadata")))
    val metadata = new String(Files.readAllBytes(Files.list(root.resolve("tf-frozen/metadata"))
      .filter(_.getFileName.toString.startsWith("part-")).findFirst().get))
    assert(!metadata.contains("\"model\""), s"the model must stay out of the JSON: $metadata")
    val loaded = TFTransformer.load(dir("tf-frozen"))
    assert(loaded.uid == stage.uid && loaded.getModel == twoInputGraph)
    assert(loaded.getInputMapping == stage.getInputMapping && loaded.getOutputMapping == stage.getOutputMapping)
    assert(loaded.getBatchSize == 5 && loaded.getHandleInvalid == "skip" && loaded.getOutputMode == "array")
    val df = twoInput
    assertClose(floats(loaded.transform(df), "d"), Fixtures.npy("two_input_pb_y.npy").floats, 1e-5)
    assert(floats(loaded.transform(df), "d").sameElements(floats(stage.transform(df), "d")))
  }

  test("TFTransformer: a SavedModel with its signature round trips") {
    val stage = new TFTransformer().setModel(twoInputSaved)
      .setInputMapping(Map("a" -> "x1", "b" -> "x2")).setOutputMapping(Map("max_diff" -> "d"))
    stage.save(dir("tf-saved"))
    val loaded = TFTransformer.load(dir("tf-saved"))
    assert(loaded.getModel == twoInputSaved && loaded.getModel.signatureKey == Some("serving_default"))
    assertClose(floats(loaded.transform(twoInput), "d"), Fixtures.npy("two_input_sm_y.npy").floats, 1e-5)
  }

  test("KerasTransformer: save/load round trip") {
    val stage = new KerasTransformer().setModel(dense10).setInputCol("x").setOutputCol("y").setOutputMode("vector")
    stage.save(dir("keras"))
    val loaded = KerasTransformer.load(dir("keras"))
    assert(loaded.uid == stage.uid && loaded.getOutputMode == "vector" && loaded.getInputCol == "x")
    assertClose(flatFloats(loaded.transform(dense10Input), "y"), dense10Expected, 1e-5)
  }

  test("saving twice without overwrite fails; overwrite replaces the stage") {
    val first = new KerasTransformer().setModel(dense10).setInputCol("x").setOutputCol("y")
    first.save(dir("twice"))
    val e = intercept[IOException](first.save(dir("twice")))
    assert(e.getMessage.contains("already exists") && e.getMessage.contains("overwrite"), e.getMessage)
    val second = new KerasTransformer().setModel(reshape).setInputCol("x").setOutputCol("z")
    second.write.overwrite().save(dir("twice"))
    val loaded = KerasTransformer.load(dir("twice"))
    assert(loaded.uid == second.uid && loaded.getModel == reshape && loaded.getOutputCol == "z")
  }

  test("loading a stage of another class, or a stage without a model, is a clear error") {
    new KerasTransformer().setModel(dense10).setInputCol("x").setOutputCol("y").save(dir("keras-other"))
    val e = intercept[IllegalArgumentException](TFTransformer.load(dir("keras-other")))
    assert(e.getMessage.contains("KerasTransformer") && e.getMessage.contains("TFTransformer"), e.getMessage)
    val noModel = new TFTransformer()
    val e2 = intercept[IllegalArgumentException](noModel.save(dir("no-model")))
    assert(e2.getMessage.contains(noModel.uid) && e2.getMessage.contains("model"), e2.getMessage)
  }

  /** keras_dense10's files and `extra` -> "escaped", zipped, as a Connect client's wire string. */
  private def wireModelWith(extra: String, signature: Option[String]): String = {
    val fixture = Fixtures.path("keras_dense10")
    val bytes = new java.io.ByteArrayOutputStream()
    scala.util.Using.resource(new java.util.zip.ZipOutputStream(bytes)) { zip =>
      def put(name: String, data: Array[Byte]): Unit = {
        zip.putNextEntry(new java.util.zip.ZipEntry(name)); zip.write(data); zip.closeEntry()
      }
      scala.util.Using.resource(Files.walk(fixture)) { files =>
        files.filter(Files.isRegularFile(_)).sorted().forEach(f => put(fixture.relativize(f).toString, Files.readAllBytes(f)))
      }
      put(extra, "escaped".getBytes("UTF-8"))
    }
    val sig = signature.map(k => s""""$k"""").getOrElse("null")
    ModelWireFormat.Prefix + s"""{"kind": "saved_model", "tags": ["serve"], "signature": $sig}""" + "\n" +
      java.util.Base64.getEncoder.encodeToString(bytes.toByteArray)
  }

  test("a model whose archive has an entry leading out of the save path is refused; nothing lands outside") {
    val base = Files.createTempDirectory("sparkdl-zip-slip-")
    val absolute = base.resolve("ESCAPED_ABS.txt")
    val cases = Seq(
      ("../../../ESCAPED.txt", None), // <base>/stage0/model/saved_model/../../../ESCAPED.txt
      ("../../../ESCAPED.txt", Some("serving_default")),
      ("variables/../../../../ESCAPED.txt", None),
      (absolute.toString, None)
    )
    for (((entry, signature), i) <- cases.zipWithIndex) {
      // What the Connect server runs for MlCommand.Write: the params decoded, then the writer.
      val e = intercept[IllegalArgumentException] {
        new TFTransformer().setModel(ModelWireFormat.decode(wireModelWith(entry, signature)))
          .write.save(base.resolve(s"stage$i").toString)
      }
      assert(e.getMessage.contains(s"'$entry'") && e.getMessage.contains("refused"), e.getMessage)
      assert(!Files.exists(base.resolve(s"stage$i")), "a refused save leaves no half-written stage")
    }
    assert(!Files.exists(base.resolve("ESCAPED.txt")) && !Files.exists(absolute))
    val outside = scala.util.Using.resource(Files.walk(base))(_.filter(Files.isRegularFile(_)).toArray.toSeq)
      .map(p => base.relativize(p.asInstanceOf[Path]).toString).filter(_.contains("ESCAPED"))
    assert(outside.isEmpty, outside)
  }

  test("a Pipeline [TFTransformer (vector), LogisticRegression] fits, saves, loads and predicts the same") {
    val rng = new Random(11)
    val rows = (0 until 60).map { i =>
      val x = Seq.fill(4)(rng.nextGaussian())
      (i, x, if (x.head + 0.5 * x(1) > 0) 1.0 else 0.0)
    }
    val df = spark.createDataFrame(rows).toDF("i", "x", "label").repartition(2)
    val tf = new TFTransformer().setModel(denseGraph).setOutputMode("vector")
      .setInputMapping(Map("x" -> "x")).setOutputMapping(Map("out" -> "features"))
    val pipeline = new Pipeline().setStages(Array(tf, new LogisticRegression().setMaxIter(20)))
    pipeline.write.overwrite().save(dir("pipeline"))
    val reloadedPipeline = Pipeline.load(dir("pipeline"))
    assert(reloadedPipeline.getStages.head.asInstanceOf[TFTransformer].getModel == denseGraph)

    val fitted = pipeline.fit(df)
    fitted.write.overwrite().save(dir("pipeline-model"))
    val loaded = PipelineModel.load(dir("pipeline-model"))
    assert(loaded.stages.head.isInstanceOf[TFTransformer] && loaded.stages.head.uid == tf.uid)
    def predictions(m: PipelineModel) = m.transform(df).orderBy("i").select("features", "probability", "prediction")
      .collect().map(r => (r.getAs[Vector](0).toArray.toSeq, r.getAs[Vector](1).toArray.toSeq, r.getDouble(2)))
    val before = predictions(fitted)
    assert(before.map(_._3).distinct.length == 2, "the classifier predicts both classes")
    assert(predictions(loaded).sameElements(before))
    assert(reloadedPipeline.fit(df).transform(df).count() == 60)
  }

  private def twoInput: DataFrame = {
    val rows = floatRows("two_input_x1.npy", 4).zip(floatRows("two_input_x2.npy", 4)).zipWithIndex
      .map { case ((a, b), i) => (i, a, b) }
    spark.createDataFrame(rows).toDF("i", "a", "b").repartition(2)
  }

  private def floats(df: DataFrame, c: String): Array[Float] = df.orderBy("i").collect().map(_.getAs[Float](c))
}
