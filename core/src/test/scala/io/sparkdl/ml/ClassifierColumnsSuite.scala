package io.sparkdl.ml

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator
import org.apache.spark.ml.linalg.{Vector => MLVector}
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.types._

import io.sparkdl.model.TFModel
import io.sparkdl.tensorframes.SparkSessionSuite
import io.sparkdl.tf.{Fixtures, TolerantAssertions}

/**
 * The MLlib classifier columns a fitted TFEstimatorModel gives when asked: prediction (argmax),
 * probability and rawPrediction (the output as a vector), read by Spark's stock evaluator.
 */
class ClassifierColumnsSuite extends SparkSessionSuite with TolerantAssertions {
  private val trainable = TFModel.fromSavedModel(Fixtures.path("keras_trainable").toString)
  private val x = Fixtures.npy("trainable_x.npy").floats.grouped(8).toSeq
  private val y = Fixtures.npy("trainable_y.npy").floats.grouped(3).toSeq

  private def data: DataFrame = frame(
    StructType(Seq(StructField("features", ArrayType(FloatType, false)), StructField("label", ArrayType(FloatType, false)))),
    x.zip(y).map { case (a, b) => Row(a.toSeq, b.toSeq) },
    1
  )

  test("predictionCol, probabilityCol, rawPredictionCol: opt-in, from the model's output") {
    val est = new TFEstimator().setModel(trainable).setInputMapping(Map("features" -> "x"))
      .setEpochs(1).setBatchSize(16).setLearningRate(0.05f).setShuffle(false)
    val plain = est.fit(data)
    assert(plain.transform(data).columns.toSeq == Seq("features", "label", "prediction"))
    val model = est.setPredictionCol("pred").setProbabilityCol("prob").setRawPredictionCol("raw").fit(data)
    val schema = model.transformSchema(data.schema)
    assert(schema("pred").dataType == DoubleType && schema("prob").dataType == VectorType &&
      schema("raw").dataType == VectorType)
    val out = model.transform(data)
    assert(out.schema == schema)
    val rows = out.collect()
    rows.foreach { r =>
      val output = r.getSeq[Float](r.fieldIndex("prediction")).map(_.toDouble).toArray
      assertClose(r.getAs[MLVector]("prob").toArray.map(_.toFloat), output.map(_.toFloat), 1e-6)
      assert(r.getAs[MLVector]("raw").toArray.sameElements(r.getAs[MLVector]("prob").toArray))
      assert(r.getAs[Double]("pred") == output.indexOf(output.max).toDouble)
    }
    val labelled = out.selectExpr("pred", "cast(array_position(label, array_max(label)) - 1 as double) as label")
    val accuracy = new MulticlassClassificationEvaluator().setPredictionCol("pred").setMetricName("accuracy")
    val right = rows.count { r =>
      val label = r.getSeq[Float](r.fieldIndex("label"))
      r.getAs[Double]("pred") == label.indexOf(label.max).toDouble
    }
    assert(math.abs(accuracy.evaluate(labelled) - right.toDouble / rows.length) < 1e-12)
    val e = intercept[IllegalArgumentException](model.copy(org.apache.spark.ml.param.ParamMap(
      model.probabilityCol -> "features")).transformSchema(data.schema))
    assert(e.getMessage.contains("param probabilityCol is 'features', which is already an input column"))
  }
}
