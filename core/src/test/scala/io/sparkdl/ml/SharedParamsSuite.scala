package io.sparkdl.ml

import java.nio.file.Files

import org.apache.spark.ml.param.{ParamMap, Params}
import org.apache.spark.sql.types.{IntegerType, StructField, StructType}

import io.sparkdl.ml.param.{HasInputCol, HasInputMapping, HasOutputCol, HasOutputMode, OutputMode}
import io.sparkdl.tensorframes.SparkSessionSuite

/** A stage whose doc hook is a val: still null when HasInputCol makes its param. */
private class ValDocStage(override val uid: String) extends Params with HasInputCol {
  override protected val inputColDoc: String = "set too late"
  override def copy(extra: ParamMap): ValDocStage = defaultCopy(extra)
}

/**
 * The params stages share are declared once (io.sparkdl.ml.param, TFEstimatorSharedParams), each
 * stage's docs still its own; one uid style; one meaning of each output mode.
 */
class SharedParamsSuite extends SparkSessionSuite {

  private def stages: Seq[Params] = Seq(new TFTransformer(), new KerasTransformer(), new TFImageTransformer(),
    new TFEstimator(), new TFEstimatorModel(), new DeepImageFeaturizer(), new DeepImagePredictor())

  test("inputCol, outputCol, inputMapping and outputMode come from one declaration each") {
    for (s <- stages; p <- s.params) {
      val declared = p.name match {
        case "inputCol" => s.isInstanceOf[HasInputCol]
        case "outputCol" => s.isInstanceOf[HasOutputCol]
        case "inputMapping" => s.isInstanceOf[HasInputMapping]
        case "outputMode" => s.isInstanceOf[HasOutputMode]
        case _ => true
      }
      assert(declared, s"${s.getClass.getSimpleName}.${p.name} is declared outside io.sparkdl.ml.param")
    }
  }

  test("each stage's column docs say what the column holds for it") {
    def doc(s: Params, name: String) = s.getParam(name).doc
    assert(doc(new TFImageTransformer(), "inputCol") == "The column of images (Spark's image struct). Required.")
    assert(doc(new DeepImageFeaturizer(), "inputCol") == doc(new TFImageTransformer(), "inputCol"))
    assert(doc(new DeepImageFeaturizer(), "outputCol").contains("features"))
    assert(doc(new DeepImagePredictor(), "outputCol").contains("class probabilities"))
    assert(doc(new TFImageTransformer(), "outputCol").contains("image struct with outputMode 'image'"))
    assert(doc(new KerasTransformer(), "inputCol") == "The column feeding the model's one input. Required.")
    assert(doc(new TFTransformer(), "inputMapping").contains("placeholder's tensor name"))
    for (s <- stages; p <- s.params) assert(p.doc != null && p.doc.nonEmpty, s"${s.getClass.getSimpleName}.${p.name}")
  }

  test("a doc hook defined as a val, null when the param is made, fails naming the hook") {
    val e = intercept[IllegalArgumentException](new ValDocStage("v"))
    assert(e.getMessage.contains("inputColDoc") && e.getMessage.contains("as a def, not a val"), e.getMessage)
  }

  test("TFEstimator and TFEstimatorModel declare the params they share once: same names, same docs") {
    val est = new TFEstimator()
    val model = new TFEstimatorModel("m")
    val shared = est.params.map(_.name).toSet.intersect(model.params.map(_.name).toSet)
    assert(shared == Set("model", "inputMapping", "outputCol", "batchSize", "handleInvalid", "graphOptimization",
      "precision", "predictionCol", "probabilityCol", "rawPredictionCol"))
    shared.foreach(n => assert(est.getParam(n).doc == model.getParam(n).doc, n))
    assert(est.getOutputCol == "prediction" && model.getOutputCol == "prediction")
  }

  test("one declaration of the output modes: each stage offers its subset, with the same words") {
    val arrays = new TFTransformer().outputMode.asInstanceOf[param.Choices[String]]
    val images = new TFImageTransformer().outputMode.asInstanceOf[param.Choices[String]]
    assert(arrays.choices == Seq("array", "vector") && images.choices == Seq("vector", "image"))
    for (s <- stages.collect { case h: HasOutputMode => h }) {
      val choices = s.outputMode.asInstanceOf[param.Choices[String]].choices
      assert(choices.forall(OutputMode.all.contains))
      choices.foreach(c => assert(s.outputMode.doc.contains(OutputMode.meaning(c)), s"${s.getClass.getSimpleName}: $c"))
      assert(s.outputMode.doc.endsWith(s"Default: '${s.getOutputMode}'."))
    }
    assert(new TFTransformer().getOutputMode == "array" && new TFImageTransformer().getOutputMode == "vector")
    assert(new TFEstimatorModel("m").outputMode.doc == new KerasTransformer().outputMode.doc)
  }

  test("uids: every stage's default prefix is its class name, and errors name the stage by it") {
    for (s <- stages) {
      val name = s.getClass.getSimpleName
      assert(s.uid.matches(s"${name}_[0-9a-f]{12}"), s.uid)
    }
    val f = new DeepImageFeaturizer().setInputCol("image").setOutputCol("f").setModelName("ResNet50")
    val e = intercept[IllegalArgumentException](f.transformSchema(StructType(Seq(StructField("i", IntegerType)))))
    assert(e.getMessage.startsWith(s"DeepImageFeaturizer ${f.uid}: inputCol"), e.getMessage)
  }

  test("stages saved with older sparkdl's lowercase uids load as they are; errors name the class") {
    val dir = Files.createTempDirectory("sparkdl-uid-")
    val old = new DeepImageFeaturizer("deepImageFeaturizer_0123456789ab").setInputCol("image").setOutputCol("f")
      .setModelName("ResNet50")
    old.save(dir.resolve("f").toString)
    val loaded = DeepImageFeaturizer.load(dir.resolve("f").toString)
    assert(loaded.uid == "deepImageFeaturizer_0123456789ab" && loaded.getModelName == "ResNet50")
    val e = intercept[IllegalArgumentException](loaded.transformSchema(StructType(Seq(StructField("i", IntegerType)))))
    assert(e.getMessage.startsWith("DeepImageFeaturizer deepImageFeaturizer_0123456789ab: inputCol"), e.getMessage)
    new DeepImagePredictor("deepImagePredictor_0123456789ab").setInputCol("image").setOutputCol("p")
      .setModelName("ResNet50").save(dir.resolve("p").toString)
    val p = DeepImagePredictor.load(dir.resolve("p").toString)
    assert(p.uid == "deepImagePredictor_0123456789ab" && p.stageName == "DeepImagePredictor deepImagePredictor_0123456789ab")
    // A uid of the user's own keeps its kind, as before.
    assert(new TFTransformer("myModel_0123456789ab").stageName == "myModel myModel_0123456789ab")
  }
}
