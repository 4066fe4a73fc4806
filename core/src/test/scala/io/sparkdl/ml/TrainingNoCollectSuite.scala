package io.sparkdl.ml

import java.util.concurrent.ConcurrentLinkedQueue

import scala.jdk.CollectionConverters._

import org.apache.spark.ListenerBusShim
import org.apache.spark.scheduler.{SparkListener, SparkListenerJobStart, SparkListenerTaskEnd}
import org.apache.spark.sql.functions.{col, udf}

import io.sparkdl.model.TFModel
import io.sparkdl.tensorframes.SparkSessionSuite
import io.sparkdl.tf.Fixtures

/**
 * Training never collects the data: on a few hundred MB of rows, generated in the job (never held
 * by the driver), the task results of the fit's jobs (measured by a SparkListener) are the row
 * counts per partition and the trained model with its history, far below the data's size.
 */
class TrainingNoCollectSuite extends SparkSessionSuite {

  test("a fit over ~420 MB of rows returns only the model and its history to the driver") {
    val rows = 200000L
    val width = 512
    val features = udf { (id: Long) =>
      val random = new scala.util.Random(id)
      Array.fill(width)(random.nextFloat() - 0.5f)
    }
    val label = udf((id: Long) => Array.tabulate(3)(k => if (id % 3 == k) 1f else 0f))
    val df = spark.range(0, rows, 1, 4).select(features(col("id")).as("features"), label(col("id")).as("label"))
    // A row's unsafe array of 512 floats: 8 bytes of length, 64 of null bits, 2,048 of values.
    val dataBytes = rows * (8 + width / 8 + 4L * width)
    assert(dataBytes > 400L * 1024 * 1024)

    val sizes = new ConcurrentLinkedQueue[(Int, Long)]() // (stage, task result bytes)
    val jobs = new ConcurrentLinkedQueue[String]()
    val listener = new SparkListener {
      override def onJobStart(start: SparkListenerJobStart): Unit =
        jobs.add(Option(start.properties).map(_.getProperty("spark.job.description", "")).getOrElse(""))
      override def onTaskEnd(end: SparkListenerTaskEnd): Unit =
        sizes.add(end.stageId -> Option(end.taskMetrics).map(_.resultSize).getOrElse(-1L))
    }
    val est = new TFEstimator().setModel(TFModel.fromSavedModel(Fixtures.path("keras_trainable_wide").toString))
      .setInputMapping(Map("features" -> "x")).setEpochs(1).setBatchSize(1024).setLearningRate(0.01f)
      .setShuffle(false).setVerbose(0)
    spark.sparkContext.addSparkListener(listener)
    val model = try est.fit(df) finally {
      ListenerBusShim.waitUntilEmpty(spark.sparkContext)
      spark.sparkContext.removeSparkListener(listener)
    }
    assert(model.history.length == 1 && !model.history.head("loss").isNaN)
    val results = sizes.asScala.toSeq
    assert(results.nonEmpty && results.forall(_._2 >= 0), results)
    val total = results.map(_._2).sum
    // 4 counts + one archive of the trained 512x3 layer (~20 kB packed) and one history entry.
    assert(results.map(_._2).max < 256 * 1024, results)
    assert(total * 1000 < dataBytes, s"task results $total bytes for $dataBytes bytes of data: $results")
    info(s"data ~${dataBytes >> 20} MB; task results: ${results.map(_._2).mkString(", ")} bytes; jobs: ${jobs.asScala.mkString(" | ")}")
  }
}
