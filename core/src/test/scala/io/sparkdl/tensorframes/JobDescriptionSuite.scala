package io.sparkdl.tensorframes

import scala.collection.mutable
import scala.util.Using

import org.apache.spark.ListenerBusShim
import org.apache.spark.scheduler.{SparkListener, SparkListenerJobStart, SparkListenerStageSubmitted}
import org.apache.spark.sql.functions.col

import io.sparkdl.tf.{DType, Graph, Shape}

/** What the Spark UI shows for sparkdl's work: job descriptions of the jobs sparkdl starts, and
 * named operation scopes around the RDDs that run models in lazily planned jobs. */
class JobDescriptionSuite extends SparkSessionSuite {
  import TestGraphs._

  /** Job descriptions and RDD scope names of the jobs `action` runs. */
  private def observed(action: => Any): (Seq[String], Seq[String]) = {
    val descriptions = mutable.Buffer.empty[String]
    val scopes = mutable.Buffer.empty[String]
    val listener = new SparkListener {
      override def onJobStart(job: SparkListenerJobStart): Unit = descriptions.synchronized {
        descriptions += Option(job.properties.getProperty("spark.job.description")).getOrElse("")
      }
      override def onStageSubmitted(stage: SparkListenerStageSubmitted): Unit = scopes.synchronized {
        scopes ++= stage.stageInfo.rddInfos.flatMap(_.scope).map(_.name)
      }
    }
    val sc = spark.sparkContext
    sc.addSparkListener(listener)
    try {
      action
      ListenerBusShim.waitUntilEmpty(sc)
    } finally sc.removeSparkListener(listener)
    (descriptions.toSeq, scopes.toSeq)
  }

  private def doubles = spark.range(0, 10, 1, 2).select(col("id").cast("double").as("x"))

  test("reduce_blocks describes its job by operation, fetch and model, and restores no description") {
    val graph = sumGraph("x", "x_input", DType.Float64, Shape(-1))
    val (descriptions, _) = observed(TensorFrames.reduceBlocks(doubles, graph, Seq("x")))
    assert(descriptions.exists(_.startsWith("sparkdl reduce_blocks: x from frozen GraphDef")), descriptions)
    assert(spark.sparkContext.getLocalProperty("spark.job.description") == null)
  }

  test("a description the caller set wins") {
    val graph = sumGraph("x", "x_input", DType.Float64, Shape(-1))
    spark.sparkContext.setJobDescription("my nightly sums")
    try {
      val (descriptions, _) = observed(TensorFrames.reduceBlocks(doubles, graph, Seq("x")))
      assert(descriptions.nonEmpty && descriptions.forall(_ == "my nightly sums"), descriptions)
    } finally spark.sparkContext.setJobDescription(null)
  }

  test("analyze describes its job") {
    val (descriptions, _) = observed(TensorFrames.analyze(doubles))
    assert(descriptions.contains("sparkdl analyze: cell shapes of x"), descriptions)
  }

  test("map_blocks names the operation scope of the RDD that runs the model, seen when an action runs it") {
    val df = doubles
    val mapped = Using.resource(Graph()) { g =>
      val x = TensorFrames.block(g, df, "x")
      TensorFrames.mapBlocks(df, Seq(binary(g, "AddV2", "z", x, scalar(g, "three", DType.Float64, 3))))
    }
    val (_, scopes) = observed(mapped.collect())
    assert(scopes.exists(_.startsWith("sparkdl map_blocks: z from frozen GraphDef")), scopes)
  }
}
