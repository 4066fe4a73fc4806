package io.sparkdl.runtime

import scala.collection.mutable

import org.apache.spark.AccumulableShim
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate

import io.sparkdl.tensorframes.SparkSessionSuite

/**
 * The driver hears of epochs from executor heartbeats, while fits run: each heartbeat's value of a
 * fit's accumulator reports the epochs not reported yet, once each and in order, and a fit's end
 * reports whatever the heartbeats had not brought.
 */
class TrainingProgressSuite extends SparkSessionSuite {

  private def epoch(e: Int) = EpochMetrics(e, Map("loss" -> 1.0 / e), 100, 0.5)

  test("heartbeats bring each fit's new epochs while it runs; its end brings the rest") {
    val heard = mutable.ArrayBuffer.empty[(Int, Int)]
    val progress = new TrainingProgress(spark.sparkContext, Seq("fit a", "fit b"), (i, e) => heard.synchronized {
      heard += i -> e.epoch
    })
    try {
      def heartbeat(fit: Int, epochs: Int*): Unit = progress.onExecutorMetricsUpdate(
        SparkListenerExecutorMetricsUpdate("driver", Seq((7L, 3, 0, Seq(
          AccumulableShim.update(progress.accumulators(fit).id, "sparkdl epochs", epochs.map(epoch).toVector))))))
      heartbeat(1, 1, 2)
      assert(heard == Seq(1 -> 1, 1 -> 2))
      heartbeat(1, 1, 2) // nothing new
      heartbeat(0, 1)
      heartbeat(1, 1, 2, 3)
      assert(heard == Seq(1 -> 1, 1 -> 2, 0 -> 1, 1 -> 3))
      // Another accumulator's update is not a fit's.
      progress.onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate("driver",
        Seq((7L, 3, 0, Seq(AccumulableShim.update(-5L, "other", Vector(epoch(9))))))))
      assert(heard.length == 4)
      // Fit 0's job ended: its merged value has epochs 1-3, of which the heartbeats brought 1.
      (1 to 3).foreach(e => progress.accumulators(0).add(epoch(e)))
      progress.finished(0)
      assert(heard.drop(4) == Seq(0 -> 2, 0 -> 3))
    } finally progress.close()
  }

  test("the epoch line names the fit, the epoch, the figures (loss first) and the speed") {
    val line = TrainingLog.epochLine("X paramMaps[2] {learningRate=0.1}", 5,
      EpochMetrics(3, Map("val_loss" -> 0.5, "accuracy" -> 0.75, "loss" -> 0.25, "val_accuracy" -> 0.5), 1000, 0.5))
    assert(line == "X paramMaps[2] {learningRate=0.1} epoch 3/5: loss=0.250000, accuracy=0.750000, " +
      "val_loss=0.500000, val_accuracy=0.500000, 2000 rows/s", line)
  }

  test("the fit line names the fit, its epochs and its last epoch's figures") {
    val history =
      Seq(Map("loss" -> 0.5, "val_loss" -> 0.75), Map("val_loss" -> 0.5, "loss" -> 0.25))
    assert(TrainingLog.fitLine("X paramMaps[0] {}", history) ==
      "X paramMaps[0] {} done: 2 epoch(s): loss=0.250000, val_loss=0.500000")
    assert(TrainingLog.fitLine("X paramMaps[0] {}", Nil) == "X paramMaps[0] {} done: 0 epoch(s)")
  }
}
