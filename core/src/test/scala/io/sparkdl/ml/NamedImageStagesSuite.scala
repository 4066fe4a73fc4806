package io.sparkdl.ml

import java.nio.charset.StandardCharsets.UTF_8
import java.nio.file.{Files, Path}

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.image.ImageSchema
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.types._

import io.sparkdl.image.ResizeMethod
import io.sparkdl.tensorframes.SparkSessionSuite

/**
 * DeepImageFeaturizer and DeepImagePredictor without a model: params, schema checks, the model
 * store's lookup and persistence. Running real models is python/tests/test_named_models.py's.
 */
class NamedImageStagesSuite extends SparkSessionSuite {

  private lazy val root: Path = Files.createTempDirectory("sparkdl-named-")

  /** A store holding an entry for "ResNet50" whose saved_model/ is empty: enough to resolve. */
  private lazy val store: Path = {
    val entry = Files.createDirectories(root.resolve("store/ResNet50"))
    Files.createDirectories(entry.resolve("saved_model"))
    Files.write(entry.resolve("model.json"),
      """{"name": "ResNet50", "inputHeight": 224, "inputWidth": 224, "featureDim": 2048,
        |"numClasses": 1000, "weights": "imagenet"}""".stripMargin.getBytes(UTF_8))
    root.resolve("store")
  }

  private def withStore[T](path: Path)(body: => T): T = {
    spark.conf.set(NamedImageModels.StoreConf, path.toString)
    try body finally spark.conf.unset(NamedImageModels.StoreConf)
  }

  private val imageSchema = StructType(Seq(StructField("i", IntegerType), StructField("image", ImageSchema.columnSchema)))

  private def images: DataFrame =
    frame(imageSchema, Seq(Row(0, Row("a", 2, 2, 3, 16, Array.fill[Byte](12)(7)))))

  private def featurizer = new DeepImageFeaturizer().setInputCol("image").setOutputCol("f").setModelName("ResNet50")
  private def predictor = new DeepImagePredictor().setInputCol("image").setOutputCol("p").setModelName("ResNet50")

  private def error(stage: Transformer, schema: StructType, parts: String*): String = {
    val e = intercept[IllegalArgumentException](stage.transformSchema(schema))
    (stage.uid +: parts).foreach(p => assert(e.getMessage.contains(p), s"'$p' missing from: ${e.getMessage}"))
    e.getMessage
  }

  test("params: defaults, and the names and hints they take") {
    for (s <- Seq[NamedImageParams](new DeepImageFeaturizer(), new DeepImagePredictor())) {
      assert(s.getScaleHint == "SCALE_AREA_AVERAGING" && s.getBatchSize == 1024 && s.getHandleInvalid == "error")
      assert(!s.isDefined(s.modelName) && !s.isDefined(s.inputCol) && !s.isDefined(s.outputCol))
      val e = intercept[IllegalArgumentException](s.set(s.modelName, "ResNet51"))
      assert(e.getMessage.contains(s.uid) && e.getMessage.contains("'ResNet51'"))
      assert(e.getMessage.contains(NamedImageModels.Names.mkString(", ")))
      intercept[IllegalArgumentException](s.set(s.scaleHint, "SCALE_BICUBIC"))
      NamedImageModels.Names.foreach(n => s.set(s.modelName, n))
      NamedImageModels.ScaleHints.keys.foreach(h => s.set(s.scaleHint, h))
    }
    val p = new DeepImagePredictor()
    assert(!p.getDecodePredictions && p.getTopK == 5)
    intercept[IllegalArgumentException](p.setTopK(0))
    assert(new DeepImageFeaturizer().uid.startsWith("DeepImageFeaturizer_"))
  }

  test("scale hints mean what java.awt's Image.getScaledInstance did with them") {
    val hints = NamedImageModels.ScaleHints
    assert(Seq("SCALE_AREA_AVERAGING", "SCALE_SMOOTH").forall(hints(_) == ResizeMethod.Area))
    assert(Seq("SCALE_DEFAULT", "SCALE_FAST", "SCALE_REPLICATE").forall(hints(_) == ResizeMethod.Nearest))
  }

  test("a valid schema gets a vector, or decoded predictions, appended") {
    withStore(store) {
      assert(featurizer.transformSchema(imageSchema)("f").dataType == VectorType)
      assert(predictor.transformSchema(imageSchema)("p").dataType == VectorType)
      val decoded = predictor.setDecodePredictions(true).transformSchema(imageSchema)("p").dataType
      assert(decoded == DeepImagePredictor.DecodedType)
      val element = decoded.asInstanceOf[ArrayType].elementType.asInstanceOf[StructType]
      assert(element.fieldNames.toSeq == Seq("class", "description", "probability"))
      assert(element("probability").dataType == FloatType)
    }
  }

  test("missing params, columns, wrong types and existing output columns name what is wrong") {
    withStore(store) {
      for (stage <- Seq[Transformer with NamedImageParams](featurizer, predictor)) {
        val out = stage.getOutputCol
        error(stage.copy(org.apache.spark.ml.param.ParamMap.empty).clear(stage.modelName), imageSchema,
          "param 'modelName' is required", "InceptionV3")
        error(stage.copy(org.apache.spark.ml.param.ParamMap.empty).clear(stage.inputCol), imageSchema,
          "param 'inputCol' is required")
        stage.set(stage.inputCol, "img")
        error(stage, imageSchema, "inputCol names column 'img'", "lacks", "expected one of its columns: i, image")
        stage.set(stage.inputCol, "i")
        error(stage, imageSchema, "inputCol column 'i' has type int", "expected an image struct")
        stage.set(stage.inputCol, "image").set(stage.outputCol, "i")
        error(stage, imageSchema, "outputCol names output column 'i', which already exists")
        stage.set(stage.outputCol, out)
        val e = intercept[IllegalArgumentException](stage.transform(images.withColumnRenamed("image", "x")))
        assert(e.getMessage.contains("'image'"))
      }
    }
  }

  test("a model missing from the store: one error naming the path and the prepare command, no job") {
    val empty = Files.createDirectories(root.resolve("empty"))
    withStore(empty) {
      for (stage <- Seq[Transformer](featurizer, predictor, predictor.setDecodePredictions(true))) {
        val message = error(stage, imageSchema, s"$empty/ResNet50/model.json",
          "python -m sparkdl.models prepare ResNet50", NamedImageModels.StoreConf)
        assert(message.contains("model 'ResNet50' is not in the model store"))
        val (e, jobs) = countJobs(intercept[IllegalArgumentException](stage.transform(images)))
        assert(jobs == 0 && e.getMessage == message)
      }
    }
  }

  test("the store root: Spark conf, else the environment, else the user's cache") {
    withStore(store)(assert(NamedImageModels.root(Some(spark)) == store.toString))
    val fallback = sys.env.getOrElse(NamedImageModels.StoreEnv, System.getProperty("user.home") + "/.cache/sparkdl/models")
    assert(NamedImageModels.root(Some(spark)) == fallback)
    spark.conf.set(NamedImageModels.StoreConf, "~/models")
    try assert(NamedImageModels.root(Some(spark)) == System.getProperty("user.home") + "/models")
    finally spark.conf.unset(NamedImageModels.StoreConf)
  }

  test("a malformed model.json names the file and the command that writes it again") {
    val entry = Files.createDirectories(root.resolve("bad/VGG16/saved_model")).getParent
    Files.write(entry.resolve("model.json"), """{"name": "VGG16"}""".getBytes(UTF_8))
    withStore(root.resolve("bad")) {
      error(featurizer.setModelName("VGG16"), imageSchema, s"$entry/model.json", "inputHeight",
        "python -m sparkdl.models prepare VGG16")
    }
  }

  test("a class list of the user's own, checked to be [wnid, name] pairs") {
    val good = Files.write(root.resolve("classes.json"), """[["n01", "tench"], ["n02", "goldfish"]]""".getBytes(UTF_8))
    val bad = Files.write(root.resolve("bad-classes.json"), """[["n01"]]""".getBytes(UTF_8))
    spark.conf.set(NamedImageModels.ClassesConf, good.toString)
    try {
      assert(NamedImageModels.classes(spark, "stage") == IndexedSeq("n01" -> "tench", "n02" -> "goldfish"))
      spark.conf.set(NamedImageModels.ClassesConf, bad.toString)
      val e = intercept[IllegalArgumentException](NamedImageModels.classes(spark, "stage"))
      assert(e.getMessage.contains(bad.toString) && e.getMessage.contains("[wnid, name]"))
    } finally spark.conf.unset(NamedImageModels.ClassesConf)
  }

  test("save/load round trip keeps the params (and no model); saving twice without overwrite fails") {
    val f = featurizer.setScaleHint("SCALE_FAST").setBatchSize(7).setHandleInvalid("keep")
    f.save(root.resolve("f").toString)
    val f2 = DeepImageFeaturizer.load(root.resolve("f").toString)
    assert(f2.uid == f.uid && f2.getModelName == "ResNet50" && f2.getScaleHint == "SCALE_FAST")
    assert(f2.getBatchSize == 7 && f2.getHandleInvalid == "keep" && f2.getInputCol == "image" && f2.getOutputCol == "f")
    assert(!Files.exists(root.resolve("f/model")))
    intercept[java.io.IOException](f.save(root.resolve("f").toString))
    val p = predictor.setDecodePredictions(true).setTopK(3)
    p.write.overwrite().save(root.resolve("p").toString)
    val p2 = DeepImagePredictor.load(root.resolve("p").toString)
    assert(p2.uid == p.uid && p2.getDecodePredictions && p2.getTopK == 3 && p2.getModelName == "ResNet50")
    assert(p2.extractParamMap().toSeq.map(pp => pp.param.name -> pp.value).toMap ==
      p.extractParamMap().toSeq.map(pp => pp.param.name -> pp.value).toMap)
  }

  test("featureLayout: 'pooled' by default; 'flattened' (1.x's) needs a store entry that has it") {
    assert(featurizer.getFeatureLayout == "pooled")
    val bad = intercept[IllegalArgumentException](featurizer.setFeatureLayout("flat"))
    assert(bad.getMessage.contains("featureLayout") && bad.getMessage.contains("flat"))
    withStore(store) {
      val stage = featurizer.setFeatureLayout("flattened")
      val e = intercept[IllegalArgumentException](stage.transform(images))
      Seq(stage.uid, "featureLayout 'flattened'", "has no flattenedDim",
        "python -m sparkdl.models prepare ResNet50 --overwrite").foreach { part =>
        assert(e.getMessage.contains(part), s"'$part' missing from: ${e.getMessage}")
      }
    }
  }
}
