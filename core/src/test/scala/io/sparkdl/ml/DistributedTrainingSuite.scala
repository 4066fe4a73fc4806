package io.sparkdl.ml

import org.apache.spark.ml.param.ParamMap
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.types._
import org.apache.spark.util.SerializableConfiguration

import io.sparkdl.model.TFModel
import io.sparkdl.runtime.{Checkpoints, CollectiveServers, EpochMetrics, WorkerShares}
import io.sparkdl.tensorframes.SparkSessionSuite
import io.sparkdl.tf.{Fixtures, Server, TolerantAssertions}

/**
 * Data-parallel fits (numWorkers > 1) on local[2]: two barrier tasks in one JVM, each on its own
 * TF server, all-reducing every step. Two workers train the fixture's Keras MLP (Adam) to what one
 * worker trains on the same global batches.
 */
class DistributedTrainingSuite extends SparkSessionSuite with TolerantAssertions {
  private val trainable = TFModel.fromSavedModel(Fixtures.path("keras_trainable").toString)
  private val x = Fixtures.npy("trainable_x.npy").floats.grouped(8).toSeq
  private val y = Fixtures.npy("trainable_y.npy").floats.grouped(3).toSeq
  private val schema = StructType(Seq(
    StructField("features", ArrayType(FloatType, false)), StructField("label", ArrayType(FloatType, false))))

  private def rows(indices: Seq[Int]): Seq[Row] = indices.map(i => Row(x(i).toSeq, y(i).toSeq))

  private def estimator = new TFEstimator().setModel(trainable).setInputMapping(Map("features" -> "x"))
    .setEpochs(3).setBatchSize(16).setLearningRate(0.05f).setShuffle(false).setVerbose(0)

  private def predictions(m: TFEstimatorModel, df: DataFrame): Array[Float] =
    m.transform(df).select("prediction").collect().flatMap(_.getSeq[Float](0))

  test("2 workers equal 1 worker on the same global batches: loss history and weights (Adam)") {
    // 62 rows in global batches of 16: worker 0 takes rows 0-30, worker 1 rows 31-61, in local
    // batches of 8 (7 in the last step). Global batch s < 3 is rows 8s..8s+7 and 31+8s..31+8s+7;
    // the last, 24-30 and 55-61. One worker reads the rows in that order, in batches of 16.
    val n = 62
    val batches = (0 until 3).map(s => (8 * s until 8 * s + 8) ++ (31 + 8 * s until 31 + 8 * s + 8)) :+
      ((24 until 31) ++ (55 until 62))
    assert(batches.flatten.sorted == (0 until n))
    val one = estimator.fit(frame(schema, rows(batches.flatten), 1))
    val data = frame(schema, rows(0 until n), 3) // worker ranges cross partitions
    val servers = Server.started
    val two = estimator.setNumWorkers(2).fit(data)
    assert(two.history.length == 3)
    two.history.zip(one.history).foreach { case (a, b) =>
      assert(a.keySet == b.keySet)
      a.keys.foreach(k => assert(math.abs(a(k) - b(k)) < 1e-5, s"$k: ${a(k)} vs ${b(k)}"))
    }
    assertClose(predictions(two, data), predictions(one, data), 1e-5)
    assert(Server.started - servers <= 2, "at most one server per worker")
    // A second fit on the same executor's slots reuses the servers: none is started.
    val again = Server.started
    val idle = CollectiveServers.idleCount
    estimator.setNumWorkers(2).setEpochs(1).fit(data)
    assert(Server.started == again && CollectiveServers.idleCount == idle)
  }

  test("validation rows are shared between the workers and their figures summed: val_loss equals 1 worker's") {
    // 40 rows, validationFraction 0.25: 30 train (2 workers x local 8, last step 7 each), 10 validate.
    val n = 40
    val batches = Seq((0 until 8) ++ (15 until 23), (8 until 15) ++ (23 until 30))
    val est = estimator.setValidationFraction(0.25).setEpochs(2)
    val one = est.fit(frame(schema, rows(batches.flatten ++ (30 until n)), 1))
    val two = est.copy(ParamMap(est.numWorkers -> 2)).fit(frame(schema, rows(0 until n), 2))
    two.history.zip(one.history).foreach { case (a, b) =>
      assert(a.keySet == Set("loss", "accuracy", "val_loss", "val_accuracy"))
      a.keys.foreach(k => assert(math.abs(a(k) - b(k)) < 1e-5, s"$k: ${a(k)} vs ${b(k)}"))
    }
  }

  test("fitMultiple: maps of 1 and 2 workers at once, each equal to its own fit") {
    val data = frame(schema, rows(0 until 48), 2)
    val est = estimator.setEpochs(2)
    val maps = Seq(
      ParamMap(est.numWorkers -> 2, est.learningRate -> 0.05f),
      ParamMap(est.numWorkers -> 1),
      ParamMap(est.numWorkers -> 2, est.learningRate -> 0.02f))
    val together = est.fit(data, maps)
    maps.zip(together).foreach { case (m, model) =>
      val alone = est.copy(m).fit(data)
      assertClose(predictions(model, data), predictions(alone, data), 1e-6)
    }
  }

  test("checkpoints: the latest epoch with a history is complete, and reads back exactly") {
    val dir = java.nio.file.Files.createTempDirectory("sparkdl-checkpoints").resolve("fit")
    val c = Checkpoints(dir.toString, new SerializableConfiguration(spark.sparkContext.hadoopConfiguration))
    assert(c.latest().isEmpty)
    intercept[java.io.IOException](c.save(1, Array[Byte](1), Nil)) // the driver makes the directory
    c.create()
    val history = Seq(EpochMetrics(1, Map("loss" -> 0.1234567890123, "val_loss" -> 1.0 / 3), 40, 0.25),
      EpochMetrics(2, Map("loss" -> 0.05, "val_loss" -> 0.3), 40, 0.5))
    c.save(1, Array[Byte](1, 2), history.take(1))
    c.save(2, Array[Byte](3), history)
    java.nio.file.Files.write(dir.resolve("epoch-3.model"), Array[Byte](9)) // no history: incomplete
    assert(c.latest().contains(2))
    val (model, read) = c.load(2)
    assert(model.toSeq == Seq[Byte](3) && read == history)
    c.delete()
    assert(!java.nio.file.Files.exists(dir))
  }

  test("worker shares: equal steps, no row twice, only a last global batch smaller than the workers dropped") {
    val s = WorkerShares(62, 16, 2)
    assert(s.steps == 4 && s.dropped == 0 && s.workerRows(0) == 31 && s.start(1) == 31)
    assert((0L until s.steps).map(i => s.stepRows(0, i)) == Seq(8, 8, 8, 7))
    val odd = WorkerShares(49, 16, 3) // local 6, 5, 5; last global batch of 1 row < 3 workers
    assert(odd.steps == 3 && odd.dropped == 1 && (0 until 3).map(odd.workerRows) == Seq(18, 15, 15))
    assert((0 until 3).map(w => odd.start(w)) == Seq(0, 18, 33))
  }

  test("numWorkers beyond the cluster's task slots fails at once, naming numWorkers") {
    val e = intercept[IllegalArgumentException](estimator.setNumWorkers(3).fit(frame(schema, rows(0 until 20), 2)))
    assert(e.getMessage.contains("numWorkers 3 needs 3 task slots at once") && e.getMessage.contains("has 2"),
      e.getMessage)
    val small = intercept[IllegalArgumentException](
      estimator.setNumWorkers(2).setBatchSize(1).fit(frame(schema, rows(0 until 20), 2)))
    assert(small.getMessage.contains("batchSize 1 is smaller than numWorkers 2"), small.getMessage)
  }

  test("a worker that fails fails the fit with its error, naming the worker; the other's collective is cancelled") {
    // 40 rows, validationFraction 0.25: worker 1 validates rows 35-39, and row 35 has a label of
    // another length, so worker 1 fails as its validation starts, while worker 0 validates its
    // rows 30-34 and waits in the all-reduce of the epoch's figures for worker 1, until cancelled.
    val bad = (0 until 40).map(i => if (i == 35) Row(x(i).toSeq, (y(i) :+ 1f).toSeq) else Row(x(i).toSeq, y(i).toSeq))
    val started = System.nanoTime()
    // Its own error (bad data) would fail again: it is not retried, though it has checkpoints.
    val retries = new java.util.concurrent.atomic.AtomicInteger()
    val listener = new org.apache.spark.scheduler.SparkListener {
      override def onJobStart(start: org.apache.spark.scheduler.SparkListenerJobStart): Unit =
        if (Option(start.properties).exists(_.getProperty("spark.job.description", "").contains("(attempt "))) {
          retries.incrementAndGet()
        }
    }
    spark.sparkContext.addSparkListener(listener)
    val discarded = CollectiveServers.discardedCount
    val e = try intercept[Exception](
      estimator.setNumWorkers(2).setEpochs(1).setValidationFraction(0.25).fit(frame(schema, bad, 2)))
    finally {
      org.apache.spark.ListenerBusShim.waitUntilEmpty(spark.sparkContext)
      spark.sparkContext.removeSparkListener(listener)
    }
    assert(retries.get == 0, "a worker's data error was retried")
    assert(e.getMessage.contains("worker 1 of 2 failed") && e.getMessage.contains("labelCol column 'label'"),
      e.getMessage)
    // The fit after it gets both slots at once: worker 0 did not wait for the collective's timeout
    // (300 s in the fixture), holding its slot.
    estimator.setNumWorkers(2).setEpochs(1).fit(frame(schema, rows(0 until 32), 2))
    assert((System.nanoTime() - started) / 1e9 < 120)
    // Both failed workers' servers were left unused (their collectives aborted), not reused by
    // the fit after (which runs once both failed tasks have ended and freed their slots).
    assert(CollectiveServers.discardedCount == discarded + 2)
  }
}
