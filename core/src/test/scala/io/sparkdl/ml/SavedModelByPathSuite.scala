package io.sparkdl.ml

import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.{Files, Path}

import org.apache.spark.SparkException

import io.sparkdl.model.{SavedModelArchive, SavedModelReference, TFModel}
import io.sparkdl.tf.Fixtures

/**
 * SavedModels that executors read by path (TFModel.fromSavedModelPath, named models, big
 * directories): the driver never packs their files, results equal Keras', and files changed after
 * planning are refused.
 */
class SavedModelByPathSuite extends StageFixtures {

  private lazy val root: Path = Files.createTempDirectory("sparkdl-bypath-")

  /** A fresh copy of fixture `name` (a directory) under the suite's temp dir. */
  private def copyOf(name: String, as: String): Path = Fixtures.copyTree(name, root.resolve(as))

  private def dense10Stage(model: TFModel) =
    new TFTransformer().setModel(model).setInputMapping(Map("x" -> "x")).setOutputMapping(Map("output_0" -> "y"))

  test("a SavedModel read by path runs without the driver packing its files, equal to Keras") {
    val dir = copyOf("keras_dense10", "dense10")
    val packed = SavedModelArchive.packedBytes.get()
    val model = TFModel.fromSavedModelPath(dir.toString)
    assert(model.source.isInstanceOf[SavedModelReference])
    assertClose(flatFloats(dense10Stage(model).transform(dense10Input), "y"), dense10Expected, 1e-5)
    assert(SavedModelArchive.packedBytes.get() == packed, "no archive was built on the driver")
    assert(model.describe.contains(dir.toString) && model.describe.contains("read by each executor"))
  }

  test("the session cache key is the files' fingerprint: other files, another key") {
    val a = TFModel.fromSavedModelPath(copyOf("keras_dense10", "fp_a").toString)
    val a2 = TFModel.fromSavedModelPath(root.resolve("fp_a").toString)
    assert(a.source.key == a2.source.key)
    val b = copyOf("keras_dense10", "fp_b")
    val index = b.resolve("variables/variables.index")
    Files.setLastModifiedTime(index, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(index).toMillis - 60000))
    assert(TFModel.fromSavedModelPath(b.toString).source.key != a.source.key)
  }

  test("files changed after the model was read on the driver are refused, naming the file") {
    val dir = copyOf("keras_dense10", "changed")
    val model = TFModel.fromSavedModelPath(dir.toString)
    val data = dir.resolve("variables/variables.data-00000-of-00001")
    Files.setLastModifiedTime(data, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(data).toMillis + 60000))
    val e = intercept[SparkException](dense10Stage(model).transform(dense10Input).collect())
    val cause = rootCause(e).getMessage
    Seq("changed after the model was read", dir.toString, "variables/variables.data-00000-of-00001", "fromSavedModelPath")
      .foreach(p => assert(cause.contains(p), s"'$p' missing from: $cause"))
  }

  test("a directory above the size threshold is read by path; a small one is packed and broadcast") {
    val dir = copyOf("keras_dense10", "threshold")
    assert(TFModel.fromSavedModel(dir.toString).source.isInstanceOf[SavedModelArchive])
    sys.props("sparkdl.savedModel.byPathAboveBytes") = "1000"
    try {
      val big = TFModel.fromSavedModel(dir.toString)
      assert(big.source.isInstanceOf[SavedModelReference])
      assertClose(flatFloats(dense10Stage(big).transform(dense10Input), "y"), dense10Expected, 1e-5)
    } finally sys.props.remove("sparkdl.savedModel.byPathAboveBytes")
  }

  test("a stage over a model read by path saves its files and loads back with the same results") {
    val model = TFModel.fromSavedModelPath(copyOf("keras_dense10", "saved").toString)
    val target = root.resolve("stage").toString
    dense10Stage(model).write.save(target)
    val loaded = TFTransformer.load(target)
    assert(Files.isRegularFile(root.resolve("stage/model/saved_model/variables/variables.index")))
    assertClose(flatFloats(loaded.transform(dense10Input), "y"), dense10Expected, 1e-5)
  }

  test("a named model's SavedModel is read by the executors from the store, never packed on the driver") {
    val entry = root.resolve("store/ResNet50")
    copyOf("keras_dense10", "store/ResNet50/saved_model")
    Files.write(entry.resolve("model.json"),
      """{"name": "ResNet50", "inputHeight": 224, "inputWidth": 224, "featureDim": 2048,
        |"numClasses": 1000, "weights": "imagenet"}""".stripMargin.getBytes(UTF_8))
    spark.conf.set(NamedImageModels.StoreConf, root.resolve("store").toString)
    try {
      val packed = SavedModelArchive.packedBytes.get()
      val e = NamedImageModels.entry("ResNet50", Some(spark), "test")
      val model = NamedImageModels.load(e, spark, "test")
      assert(model.source.isInstanceOf[SavedModelReference])
      assert(model.source.signatures.contains("serving_default"))
      assert(SavedModelArchive.packedBytes.get() == packed)
    } finally spark.conf.unset(NamedImageModels.StoreConf)
  }
}
