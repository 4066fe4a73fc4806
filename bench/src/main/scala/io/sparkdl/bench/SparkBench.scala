package io.sparkdl.bench

import java.util.SplittableRandom

import org.apache.spark.sql.{DataFrame, SparkSession}

import io.sparkdl.model.GraphProgram
import io.sparkdl.tensorframes.TensorFrames

/**
 * The benchmark's Spark-side entry points, called through py4j on the harness's own session
 * (bench/run.py): the Scala twin of the Python `map_blocks` job, timed in the JVM.
 */
object SparkBench {

  /**
   * One job: plans `TensorFrames.mapBlocks` over `df` (the frozen graph, fetching `fetch`) and
   * writes the result to Spark's `noop` sink, so every row and column is computed. Planning is
   * inside the timing, as for the Python path and the TF Python peers.
   *
   * @return elapsed nanoseconds
   */
  def mapBlocksNoop(df: DataFrame, graphDef: Array[Byte], fetch: String, blockSize: Int): Long = {
    val start = System.nanoTime()
    val out = TensorFrames.mapBlocks(df, GraphProgram(graphDef, Seq(fetch)), blockSize = blockSize)
    out.write.format("noop").mode("overwrite").save()
    System.nanoTime() - start
  }

  /**
   * `rows` rows of one `array<float>` column `column`, `features` values per row, uniform in
   * [-1, 1). Row `id`'s values come from `seed` and `id` alone, so any partitioning gives the same
   * data. Not cached.
   */
  def randomData(
      spark: SparkSession,
      column: String,
      rows: Long,
      features: Int,
      partitions: Int,
      seed: Long
  ): DataFrame = {
    import spark.implicits._
    require(features > 0 && rows >= 0 && partitions > 0, "sizes must be positive")
    spark.range(0, rows, 1, partitions)
      .map(id => randomRow(seed, id.longValue, features))
      .toDF(column)
  }

  /** Row `id` of [[randomData]]: `features` floats uniform in [-1, 1) from `seed` and `id`. */
  def randomRow(seed: Long, id: Long, features: Int): Array[Float] = {
    val random = new SplittableRandom(seed * 0x9e3779b97f4a7c15L + id)
    val values = new Array[Float](features)
    var i = 0
    while (i < features) { values(i) = (random.nextDouble() * 2 - 1).toFloat; i += 1 }
    values
  }

  /** The JVM's process id, for reading its peak RSS from /proc. */
  def pid: Long = ProcessHandle.current().pid()
}
