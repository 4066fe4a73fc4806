package io.sparkdl.ml

import java.nio.file.Files
import java.util.concurrent.{ConcurrentLinkedQueue, CountDownLatch}

import scala.jdk.CollectionConverters._

import org.apache.hadoop.fs.{LocalFileSystem, Path}
import org.scalatest.concurrent.{Signaler, ThreadSignaler, TimeLimits}
import org.scalatest.time.{Seconds, Span}

import org.apache.spark.SparkException
import org.apache.spark.ml.param.ParamMap
import org.apache.spark.scheduler.{SparkListener, SparkListenerJobStart}
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.types._

import io.sparkdl.model.TFModel
import io.sparkdl.runtime.Checkpoints
import io.sparkdl.tensorframes.SparkSessionSuite
import io.sparkdl.tf.Fixtures

/**
 * How fits run and end ([[io.sparkdl.runtime.Fits]]): a cancelled job ends the caller's blocked
 * `next()` with the failure, and data-parallel fits without a checkpointDir checkpoint in a
 * temporary directory of the application, gone when they end.
 */
class FitsSuite extends SparkSessionSuite with TimeLimits {
  private implicit val signaler: Signaler = ThreadSignaler // a hung next() is interrupted, failing the test

  private val trainable = TFModel.fromSavedModel(Fixtures.path("keras_trainable").toString)
  private val x = Fixtures.npy("trainable_x.npy").floats.grouped(8).toSeq
  private val y = Fixtures.npy("trainable_y.npy").floats.grouped(3).toSeq

  private def data(rows: Int, partitions: Int): DataFrame = frame(
    StructType(Seq(StructField("features", ArrayType(FloatType, false)), StructField("label", ArrayType(FloatType, false)))),
    x.zip(y).take(rows).map { case (a, b) => Row(a.toSeq, b.toSeq) },
    partitions
  )

  private def estimator = new TFEstimator().setModel(trainable).setInputMapping(Map("features" -> "x"))
    .setBatchSize(16).setLearningRate(0.05f).setShuffle(false).setVerbose(0)

  // With 2 workers the fit has checkpoints (the temporary directory): a cancelled job must not be
  // retried from them as a lost executor would be. The fits' thread inherits the caller's job
  // group: cancelling the group cancels them.
  Seq((1, "all jobs"), (2, "all jobs"), (1, "the caller's job group")).foreach { case (workers, what) =>
    test(s"cancelling $what from another thread ends a blocked next() with the failure ($workers worker(s))") {
      val sc = spark.sparkContext
      val training = new CountDownLatch(1)
      val listener = new SparkListener {
        override def onJobStart(start: SparkListenerJobStart): Unit =
          if (Option(start.properties).exists(_.getProperty("spark.job.description", "").contains("epoch(s)"))) {
            training.countDown()
          }
      }
      sc.addSparkListener(listener)
      val group = s"sparkdl-fits-suite-$workers-${what.length}"
      val canceller = new Thread(() => {
        training.await()
        if (what == "all jobs") sc.cancelAllJobs() else sc.cancelJobGroup(group)
      })
      canceller.start()
      if (what != "all jobs") sc.setJobGroup(group, "the caller's")
      try {
        // Epochs enough never to end by themselves: only the cancellation ends this fit.
        val fits = estimator.setEpochs(1000000).setNumWorkers(workers).startFits(data(62, 2), Seq(ParamMap.empty))
        val e = failAfter(Span(120, Seconds)) {
          intercept[SparkException](while (fits.hasNext) fits.next())
        }
        assert(e.getCondition == "SPARK_JOB_CANCELLED", e.getMessage)
        assert(!fits.hasNext)
      } finally {
        canceller.join()
        sc.clearJobGroup()
        sc.removeSparkListener(listener)
      }
      // The cancelled tasks left their slots: a fit after them gets both.
      assert(estimator.setEpochs(1).setNumWorkers(2).fit(data(32, 2)).history.length == 1)
    }
  }

  private def recordingRenames[T](body: => T): (T, Seq[String]) = {
    val conf = spark.sparkContext.hadoopConfiguration
    conf.set("fs.file.impl", classOf[RecordingFileSystem].getName)
    conf.setBoolean("fs.file.impl.disable.cache", true)
    RecordingFileSystem.renamed.clear()
    try (body, RecordingFileSystem.renamed.asScala.toSeq)
    finally {
      conf.unset("fs.file.impl")
      conf.unset("fs.file.impl.disable.cache")
    }
  }

  private def checkpointed(renamed: Seq[String], root: Path): Seq[String] = {
    val prefix = root.toUri.getPath.stripSuffix("/") + "/sparkdl-fits-"
    renamed.filter(_.startsWith(prefix)).map(_.stripPrefix(prefix).replaceFirst("^[^/]+/", "")).distinct.sorted
  }

  test("without checkpointDir, data-parallel fits checkpoint under the driver's local dir, removed after") {
    val root = Checkpoints.temporaryRoot(spark.sparkContext).get // local mode, no SparkContext checkpoint dir
    assert(root.toUri.getScheme == "file" &&
      root.toUri.getPath.stripSuffix("/") == new java.io.File(System.getProperty("java.io.tmpdir")).getAbsolutePath)
    val (model, renamed) = recordingRenames(estimator.setEpochs(2).setNumWorkers(2).fit(data(32, 2)))
    assert(model.history.length == 2)
    assert(checkpointed(renamed, root) ==
      Seq("fit-0/epoch-1.history", "fit-0/epoch-1.model", "fit-0/epoch-2.history", "fit-0/epoch-2.model"),
      renamed)
    val runs = renamed.filter(_.contains("/sparkdl-fits-")).map(_.split("/fit-").head).distinct
    assert(runs.length == 1 && !new java.io.File(runs.head).exists(), runs)
  }

  test("SparkContext's checkpoint dir comes first; an explicit checkpointDir keeps its own layout") {
    val sc = spark.sparkContext
    sc.setCheckpointDir(Files.createTempDirectory("sparkdl-sc-checkpoints-").toString)
    val root = new Path(sc.getCheckpointDir.get)
    assert(Checkpoints.temporaryRoot(sc).contains(root))
    val (_, renamed) = recordingRenames(estimator.setEpochs(1).setNumWorkers(2).fit(data(32, 2)))
    assert(checkpointed(renamed, root) == Seq("fit-0/epoch-1.history", "fit-0/epoch-1.model"), renamed)
    assert(new java.io.File(root.toUri).list().isEmpty)

    val explicit = Files.createTempDirectory("sparkdl-checkpoints-")
    val (_, mine) = recordingRenames(
      estimator.setEpochs(1).setNumWorkers(2).setCheckpointDir(explicit.toString).fit(data(32, 2)))
    assert(mine.exists(_.startsWith(explicit.toString + "/sparkdl-")), mine)
    assert(explicit.toFile.list().isEmpty) // the fit's own directory deleted when it succeeded
  }
}

/** The local filesystem, recording the paths files are renamed to (how checkpoints are written). */
final class RecordingFileSystem extends LocalFileSystem {
  override def rename(src: Path, dst: Path): Boolean = {
    RecordingFileSystem.renamed.add(dst.toUri.getPath)
    super.rename(src, dst)
  }
}

object RecordingFileSystem {
  val renamed = new ConcurrentLinkedQueue[String]()
}
