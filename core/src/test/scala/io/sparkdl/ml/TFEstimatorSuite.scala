package io.sparkdl.ml

import java.nio.file.Files
import java.util.concurrent.ConcurrentLinkedQueue

import scala.jdk.CollectionConverters._

import org.apache.spark.ListenerBusShim
import org.apache.spark.ml.param.ParamMap
import org.apache.spark.scheduler.{SparkListener, SparkListenerJobStart, SparkListenerTaskEnd}
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.functions.{col, lit}
import org.apache.spark.sql.types._

import io.sparkdl.model.TFModel
import io.sparkdl.runtime.{FitEvent, TrainingDivergedException}
import io.sparkdl.tensorframes.SparkSessionSuite
import io.sparkdl.tf.{Fixtures, TolerantAssertions}

/**
 * TFEstimator trains the fixture's trainable Keras MLP (8-16-3, Adam) inside Spark tasks; the
 * trained model's predictions equal Keras `fit`'s on the same rows, batches and learning rate.
 */
class TFEstimatorSuite extends SparkSessionSuite with TolerantAssertions {
  private val trainable = TFModel.fromSavedModel(Fixtures.path("keras_trainable").toString)
  private val x = Fixtures.npy("trainable_x.npy").floats.grouped(8).toSeq
  private val y = Fixtures.npy("trainable_y.npy").floats.grouped(3).toSeq

  private def data(partitions: Int): DataFrame = frame(
    StructType(Seq(StructField("features", ArrayType(FloatType, false)), StructField("label", ArrayType(FloatType, false)))),
    x.zip(y).map { case (a, b) => Row(a.toSeq, b.toSeq) },
    partitions
  )

  private def estimator = new TFEstimator().setModel(trainable).setInputMapping(Map("features" -> "x"))
    .setEpochs(3).setBatchSize(16).setLearningRate(0.05f).setShuffle(false)

  private def predictions(m: TFEstimatorModel, df: DataFrame): Array[Float] =
    m.transform(df).select("prediction").collect().flatMap(_.getSeq[Float](0))

  test("3 epochs in a Spark task equal Keras fit's, whatever the partitioning; history per epoch") {
    Seq(1, 3).foreach { partitions =>
      val df = data(partitions)
      val model = estimator.fit(df)
      assertClose(predictions(model, df), Fixtures.npy("trainable_after3.npy").floats, 1e-5)
      assert(model.history.length == 3 && model.history.forall(_.keySet == Set("loss", "accuracy")))
      assert(model.history.map(_("loss")).reverse == model.history.map(_("loss")).sorted, "loss decreases")
    }
  }

  test("columns besides the input and the label, before and between them, change nothing") {
    // Regression: the training rows are a projection of the dataset; reading them by the
    // dataset's ordinals read a long as an array offset and crashed the JVM.
    val df = data(2)
    val wide = df.select(lit(7L).as("id"), col("label"), lit("x").as("note"), col("features"))
    val model = estimator.fit(wide)
    assertClose(predictions(model, df), Fixtures.npy("trainable_after3.npy").floats, 1e-5)
  }

  test("validation rows are held out and reported; early stopping stops") {
    val model = estimator.setValidationFraction(0.25).setEpochs(4).fit(data(2))
    assert(model.history.head.keySet == Set("loss", "accuracy", "val_loss", "val_accuracy"))
    val stopped = estimator.setLearningRate(5f).setEpochs(30).setEarlyStoppingPatience(2).fit(data(2))
    assert(stopped.history.length < 30, s"${stopped.history.length} epochs")
  }

  private def rows: Seq[Row] = x.zip(y).map { case (a, b) => Row(a.toSeq, b.toSeq) }

  test("validationFraction splits as Keras' validation_split: the first floor(n * (1 - f)) rows train") {
    // 10 rows at 0.25: Keras trains on 7 (floor(7.5)) and validates on 3; 10 - floor(2.5) = 8 was wrong.
    def est = estimator.setEpochs(2).setBatchSize(4)
    val ten = frame(data(1).schema, rows.take(10), 2)
    val split = est.setValidationFraction(0.25).fit(ten)
    val seven = est.fit(frame(data(1).schema, rows.take(7), 1))
    assertClose(predictions(split, ten), predictions(seven, ten), 1e-6)
    assertClose(split.history.map(_("loss").toFloat).toArray, seven.history.map(_("loss").toFloat).toArray, 1e-6)
    // Keras refuses a split that leaves either side empty ("not sufficient to split"): so do we.
    val one = frame(data(1).schema, rows.take(1), 1)
    val e = intercept[IllegalArgumentException](est.setValidationFraction(0.5).fit(one))
    assert(e.getMessage.contains("validationFraction 0.5 splits 1 row(s) into 0 to train and 1 to validate"),
      e.getMessage)
  }

  test("handleInvalid: 'skip' drops rows with invalid cells before training, 'error' names the column") {
    val bad = Set(5, 40)
    val schema = data(1).schema
    val withNulls = frame(schema, rows.zipWithIndex.map { case (r, i) => if (bad(i)) Row(r.get(0), null) else r }, 2)
    val valid = frame(schema, rows.zipWithIndex.collect { case (r, i) if !bad(i) => r }, 1)
    // The split counts valid rows only: the same 3/4 of the 94 rows train in both fits.
    val skipped = estimator.setHandleInvalid("skip").setValidationFraction(0.25).fit(withNulls)
    val alone = estimator.setValidationFraction(0.25).fit(valid)
    assertClose(predictions(skipped, data(1)), predictions(alone, data(1)), 1e-6)
    assertClose(skipped.history.map(_("val_loss").toFloat).toArray, alone.history.map(_("val_loss").toFloat).toArray, 1e-6)
    val e = intercept[IllegalArgumentException](estimator.fit(withNulls)).getMessage
    assert(e.contains("labelCol column 'label' has a null cell") && e.contains("use 'skip' to drop such rows"), e)
    val keep = intercept[IllegalArgumentException](estimator.setHandleInvalid("keep").fit(withNulls)).getMessage
    assert(keep.contains("handleInvalid 'keep'") && keep.contains("expected 'error' or 'skip'"), keep)
    val none = intercept[IllegalArgumentException](
      estimator.setHandleInvalid("skip").fit(withNulls.where("label IS NULL"))).getMessage
    assert(none.contains("all 2 rows are invalid") && none.contains("labelCol column 'label' has a null cell"), none)
  }

  test("fit with several param maps trains them at once, one task each") {
    val intervals = new ConcurrentLinkedQueue[(Int, Long, Long)]()
    val listener = new SparkListener {
      override def onTaskEnd(end: SparkListenerTaskEnd): Unit =
        intervals.add((end.stageId, end.taskInfo.launchTime, end.taskInfo.finishTime))
    }
    val df = data(2)
    val est = estimator.setEpochs(2)
    val maps = Seq(0.01f, 0.02f, 0.05f, 0.1f).map(lr => ParamMap(est.learningRate -> lr))
    spark.sparkContext.addSparkListener(listener)
    val models = try est.fit(df, maps) finally {
      ListenerBusShim.waitUntilEmpty(spark.sparkContext)
      spark.sparkContext.removeSparkListener(listener)
    }
    assert(models.length == 4 && models.map(_.history.length).distinct == Seq(2))
    assert(models.map(_.history.last("loss")).distinct.length == 4, "each map trained its own model")
    // One training job of one task per map (the caching job has one task per partition: 2).
    val spans = intervals.asScala.toSeq.groupBy(_._1).values.filter(_.length == 1).flatten.map(t => (t._2, t._3)).toSeq
    assert(spans.length == 4, s"training tasks: $intervals")
    val overlapping = spans.exists { case (s1, e1) => spans.exists { case (s2, e2) => (s1, e1) != (s2, e2) && s1 < e2 && s2 < e1 } }
    assert(overlapping, s"no two training tasks overlapped: $spans")
  }

  test("param maps may vary the model, the seed and the validation split: each map its own fit") {
    val est = estimator.setEpochs(1)
    val again = TFModel.fromSavedModel(Fixtures.path("keras_trainable").toString)
    val maps = Seq(ParamMap.empty, ParamMap(est.model -> again),
      ParamMap(est.shuffle -> true, est.seed -> 9L), ParamMap(est.validationFraction -> 0.25))
    val df = data(2)
    val models = est.fit(df, maps)
    assert(predictions(models(1), df).sameElements(predictions(models(0), df)), "the same model trained alike")
    assert(models(2).history.head("loss") != models(0).history.head("loss"), "a shuffled fit differs")
    assert(models(3).history.head.contains("val_loss") && !models(0).history.head.contains("val_loss"))
  }

  test("a NaN loss stops the fit, naming the param map, the epoch and the step") {
    val rows = x.zip(y).zipWithIndex.map { case ((a, b), i) =>
      Row(a.toSeq, (if (i == 40) b.updated(1, Float.NaN) else b).toSeq) }
    val df = frame(data(1).schema, rows, 1)
    val est = estimator
    val e = intercept[TrainingDivergedException](est.fit(df, Seq(ParamMap(est.learningRate -> 0.02f))))
    assert(e.getMessage.contains("paramMaps[0] {learningRate=0.02}") && e.getMessage.contains("loss is NaN") &&
      e.getMessage.contains("epoch 1, step 3"), e.getMessage)
  }

  test("each fit's job names its param map; the driver hears one line per epoch per fit") {
    val descriptions = new ConcurrentLinkedQueue[String]()
    val listener = new SparkListener {
      override def onJobStart(start: SparkListenerJobStart): Unit =
        descriptions.add(Option(start.properties).flatMap(p => Option(p.getProperty("spark.job.description"))).getOrElse(""))
    }
    val lines = new ConcurrentLinkedQueue[(Int, String)]()
    val done = new ConcurrentLinkedQueue[Int]()
    val est = estimator.setEpochs(2).setValidationFraction(0.25)
    val maps = Seq(0.01f, 0.05f).map(lr => ParamMap(est.learningRate -> lr))
    spark.sparkContext.addSparkListener(listener)
    spark.sparkContext.setJobDescription("the caller's")
    try {
      val fits = est.startFits(data(2), maps)
      while (fits.hasNext) fits.next() match {
        case e: FitEvent.Epoch => lines.add(e.index -> e.line)
        case f: FitEvent.Fitted[_] => done.add(f.index)
      }
    } finally {
      ListenerBusShim.waitUntilEmpty(spark.sparkContext)
      spark.sparkContext.removeSparkListener(listener)
    }
    assert(spark.sparkContext.getLocalProperty("spark.job.description") == "the caller's")
    spark.sparkContext.setJobDescription(null)
    val jobs = descriptions.asScala.toSeq
    Seq("paramMaps[0] {learningRate=0.01}", "paramMaps[1] {learningRate=0.05}").foreach { m =>
      assert(jobs.exists(d => d.contains(m) && d.contains("2 epoch(s)")), jobs)
    }
    assert(done.asScala.toSet == Set(0, 1))
    val byFit = lines.asScala.toSeq.groupBy(_._1).map { case (i, ls) => i -> ls.map(_._2) }
    assert(byFit.keySet == Set(0, 1))
    byFit.foreach { case (i, ls) =>
      assert(ls.length == 2, ls)
      ls.zipWithIndex.foreach { case (l, e) =>
        assert(l.contains(s"paramMaps[$i]") && l.contains(s"epoch ${e + 1}/2: loss=") && l.contains("val_loss=") &&
          l.contains("accuracy=") && l.contains("rows/s"), l)
      }
    }
  }

  test("the fitted model has every param it shares with the estimator, as the estimator has it") {
    val est = estimator.setEpochs(1).setOutputCol("scores").setPredictionCol("cls").setHandleInvalid("skip")
      .setGraphOptimization("none")
    val model = est.fit(data(1))
    val shared = est.params.filter(p => model.hasParam(p.name) && p.name != "model")
    assert(shared.map(_.name).toSet == Set("inputMapping", "outputCol", "batchSize", "handleInvalid",
      "graphOptimization", "precision", "predictionCol", "probabilityCol", "rawPredictionCol"))
    for (p <- shared; m = model.getParam(p.name)) {
      assert(model.isDefined(m) == est.isDefined(p), p.name)
      // Set, defaults too: what Python's wrapper of the fitted model reads back.
      if (est.isDefined(p)) assert(model.isSet(m) && model.getOrDefault(m) == est.getOrDefault(p), p.name)
    }
    assert(new TFEstimator().setModel(trainable).setInputMapping(Map("features" -> "x")).setEpochs(1)
      .fit(data(1)).getBatchSize == 32, "the estimator's default batch size, not the model's")
    assert(model.getModel != trainable && model.uid == est.uid && model.parent.uid == est.uid)
    assert(model.transform(data(1)).columns.toSeq.containsSlice(Seq("scores", "cls")))
  }

  test("the fitted model saves and loads with its history") {
    val df = data(1)
    val model = estimator.setEpochs(1).fit(df)
    val dir = Files.createTempDirectory("sparkdl-est-").resolve("m").toString
    model.write.save(dir)
    val loaded = TFEstimatorModel.load(dir)
    assert(loaded.history == model.history)
    assert(predictions(loaded, df).sameElements(predictions(model, df)))
    val estDir = Files.createTempDirectory("sparkdl-est-").resolve("e").toString
    estimator.write.save(estDir)
    assert(TFEstimator.load(estDir).getEpochs == 3)
  }

  test("errors name the param, the column and what was expected, before any job") {
    def error(e: TFEstimator, df: DataFrame): String = intercept[IllegalArgumentException](e.fit(df)).getMessage
    val wrongShape = data(1).selectExpr("features", "slice(label, 1, 2) AS label")
    val m1 = error(estimator, TFEstimatorSuite.analyzed(wrongShape, "label", Array(-1L, 2L)))
    assert(m1.contains("labelCol column 'label'") && m1.contains("[2]"), m1)
    val strings = data(1).selectExpr("features", "cast(label AS string) AS label")
    assert(error(estimator, strings).contains("labelCol column 'label' has type string"))
    val frozen = estimator.setModel(TFModel.fromSavedModel(Fixtures.path("keras_mlp").toString, signatureKey = "serve"))
    assert(error(frozen, data(1)).contains("no 'train_step' signature"))
    assert(error(estimator, data(1).limit(0)).contains("no rows to train on"))
    assert(error(estimator.setInputMapping(Map("nope" -> "x")), data(1)).contains("inputMapping names column 'nope'"))
  }
}

object TFEstimatorSuite {
  import io.sparkdl.tensorframes.TensorFrames
  import io.sparkdl.tf.Shape

  def analyzed(df: DataFrame, column: String, blockShape: Array[Long]): DataFrame =
    TensorFrames.appendShape(df, column, Shape.of(blockShape))
}
