package io.sparkdl.execution

import java.nio.file.Files

import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.execution.LogicalRDD
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanHelper
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.streaming.Trigger

import io.sparkdl.model.GraphProgram
import io.sparkdl.tensorframes.{SparkSessionSuite, TensorFrames}
import io.sparkdl.tensorframes.TestGraphs._
import io.sparkdl.tf.{DType, Shape}

/** map_blocks and map_rows as nodes of Spark's plan: explain, pruning, pushdown, metrics, streams. */
class PlanNodeSuite extends SparkSessionSuite with AdaptiveSparkPlanHelper {

  private val plusThree = GraphProgram(
    graphDef { g =>
      binary(g, "AddV2", "z", placeholder(g, "x", DType.Float64, Shape(-1)), scalar(g, "three", DType.Float64, 3))
    },
    Seq("z")
  )

  private def input(n: Int): DataFrame =
    spark.range(0, n, 1, 2).select(col("id"), col("id").cast("double").as("x"), col("id").cast("string").as("pad"))

  private def nodes(df: DataFrame): Seq[ModelBlocksExec] =
    collect(df.queryExecution.executedPlan) { case e: ModelBlocksExec => e }

  private def metric(df: DataFrame, name: String): Long = nodes(df).map(_.metrics(name).value).sum

  test("map_blocks is a ModelMap in the logical plan and a ModelBlocksExec in the physical one, no LogicalRDD") {
    val out = TensorFrames.mapBlocks(input(10), plusThree)
    assert(out.queryExecution.optimizedPlan.collect { case m: ModelMap => m }.size == 1)
    assert(out.queryExecution.analyzed.collect { case r: LogicalRDD => r }.isEmpty)
    val explained = out.queryExecution.explainString(org.apache.spark.sql.execution.SimpleMode)
    assert(explained.contains("ModelBlocks map_blocks: frozen GraphDef"), explained)
    assert(explained.contains("inputs [x <- x], outputs [z <- z:0]"), explained)
    assert(out.collect().map(r => r.getDouble(3)).sorted.toSeq == (0 until 10).map(_ + 3.0))
  }

  test("columns neither the model nor the query reads are pruned below the node") {
    val out = TensorFrames.mapBlocks(input(10), plusThree).select("id", "z")
    val child = out.queryExecution.optimizedPlan.collect { case m: ModelMap => m.child }.head
    assert(child.output.map(_.name) == Seq("id", "x"), child.treeString)
    assert(out.collect().map(r => r.getDouble(1) - r.getLong(0)).forall(_ == 3.0))
  }

  test("a filter on input columns is pushed below the node: the model runs on the rows kept") {
    val out = TensorFrames.mapBlocks(input(1000), plusThree).where(col("id") < 10 && col("z") > 4)
    val map = out.queryExecution.optimizedPlan.collect { case m: ModelMap => m }.head
    assert(map.child.collect { case f: org.apache.spark.sql.catalyst.plans.logical.Filter => f }.nonEmpty,
      out.queryExecution.optimizedPlan.treeString)
    assert(out.collect().map(_.getLong(0)).sorted.toSeq == (2L until 10L))
    assert(metric(out, "rows") == 10, "rows fed to the model")
    assert(metric(out, "modelRuns") == 1, "one block, in the one partition left with rows")
  }

  test("SQL metrics: invalid rows skipped, and time inside TF") {
    val df = input(10).select(col("id"), col("x"))
      .withColumn("x", org.apache.spark.sql.functions.when(col("id") % 2 === 0, col("x")))
    val out = TensorFrames.mapBlocks(df, plusThree, handleInvalid = "skip")
    assert(out.collect().length == 5)
    assert(metric(out, "invalidRows") == 5)
    assert(metric(out, "rows") == 5)
    assert(metric(out, "tfTime") > 0)
  }

  test("map_rows runs as the same node, one row per run") {
    val rows = GraphProgram(
      graphDef { g =>
        binary(g, "AddV2", "z", placeholder(g, "x", DType.Float64, Shape.scalar), scalar(g, "three", DType.Float64, 3))
      },
      Seq("z")
    )
    val out = TensorFrames.mapRows(input(6), rows)
    assert(out.collect().map(_.getDouble(3)).sorted.toSeq == (0 until 6).map(_ + 3.0))
    assert(metric(out, "modelRuns") == 6)
  }

  test("map_blocks over a streaming file source: append to a Parquet sink, restart from the checkpoint") {
    val dir = Files.createTempDirectory("sparkdl-stream")
    val source = dir.resolve("in").toString
    val sink = dir.resolve("out").toString
    val checkpoint = dir.resolve("checkpoint").toString
    def write(from: Int, until: Int): Unit =
      spark.range(from, until, 1, 1).select(col("id"), col("id").cast("double").as("x"))
        .write.mode("append").parquet(source)
    def runOnce(): Unit = {
      val stream = spark.readStream.schema("id LONG, x DOUBLE").parquet(source)
      val mapped = TensorFrames.mapBlocks(stream, plusThree)
      assert(mapped.isStreaming)
      val query = mapped.writeStream.format("parquet").option("checkpointLocation", checkpoint)
        .trigger(Trigger.AvailableNow()).start(sink)
      query.awaitTermination()
      assert(query.exception.isEmpty)
    }
    write(0, 50)
    runOnce()
    write(50, 120)
    runOnce() // from the checkpoint: only the new file
    val out = spark.read.parquet(sink)
    val batch = TensorFrames.mapBlocks(spark.read.parquet(source), plusThree)
    assert(out.count() == 120, "no row lost or written twice")
    assert(out.orderBy("id").collect().toSeq == batch.orderBy("id").collect().toSeq)
  }

  test("aggregate runs as plan nodes (one per phase), lazily, and equals the sums") {
    val df = spark.range(0, 100, 1, 3).select((col("id") % 3).as("key"), col("id").cast("double").as("x"))
    val sum = sumGraph("x", "x_input")
    val out = TensorFrames.aggregate(df.groupBy("key"), sum, Seq("x"))
    assert(out.queryExecution.optimizedPlan.collect { case m: ModelPartitions => m }.size == 2)
    assert(out.queryExecution.analyzed.collect { case r: LogicalRDD => r }.isEmpty)
    val sums = out.collect().map(r => r.getLong(0) -> r.getDouble(1)).toMap
    assert(sums == (0 until 100).groupBy(_ % 3).map { case (k, v) => k.toLong -> v.sum.toDouble })
  }
}
