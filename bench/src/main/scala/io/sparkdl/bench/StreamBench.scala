package io.sparkdl.bench

import java.util.concurrent.{ConcurrentHashMap, CountDownLatch, TimeUnit}
import java.util.concurrent.atomic.AtomicLong

import org.apache.spark.sql.{DataFrame, Dataset, Row, SparkSession}
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.streaming.Trigger

/**
 * The streaming section's JVM side (bench/README.md, Streaming): the rows of a `rate-micro-batch`
 * stream (and of the same rows in batch) as the bench's `array<float>` column, and a stream run
 * for an exact number of micro-batches, timed in the JVM.
 */
object StreamBench {

  /**
   * A `rate-micro-batch` stream of `rowsPerBatch` rows a micro-batch in `partitions` partitions,
   * as one `array<float>` column `column` (see [[vectors]]). A query started from a fresh
   * checkpoint reads values 0 .. rowsPerBatch - 1 in its first micro-batch, the next
   * rowsPerBatch in its second, and so on.
   */
  def rateRows(
      spark: SparkSession,
      column: String,
      features: Int,
      rowsPerBatch: Long,
      partitions: Int,
      distinct: Int,
      seed: Long
  ): DataFrame = {
    val values = spark.readStream
      .format("rate-micro-batch")
      .option("rowsPerBatch", rowsPerBatch)
      .option("numPartitions", partitions)
      .option("startTimestamp", 0L)
      .load()
    vectors(values, column, features, distinct, seed)
  }

  /** Values 0 .. rows - 1 in `partitions` partitions, made as [[rateRows]] makes them. */
  def rangeRows(
      spark: SparkSession,
      column: String,
      features: Int,
      rows: Long,
      partitions: Int,
      distinct: Int,
      seed: Long
  ): DataFrame =
    vectors(spark.range(0, rows, 1, partitions).toDF("value"), column, features, distinct, seed)

  /**
   * Column `value` (long) -> `column`: row `value % distinct` of a table of `distinct` rows drawn
   * as [[SparkBench.randomData]] draws its rows (so value v < distinct gets randomData's row v).
   * A lookup, not a draw per row: drawing 784 floats costs a few us a row, as much as the MLP,
   * and would be what the stream measures. The table is built once per JVM and key, on first use
   * in a task, so no task ships it.
   */
  def vectors(
      values: DataFrame,
      column: String,
      features: Int,
      distinct: Int,
      seed: Long
  ): DataFrame = {
    import values.sparkSession.implicits._
    require(features > 0 && distinct > 0, "sizes must be positive")
    values
      .select(col("value"))
      .as[Long]
      .map(v => table(features, distinct, seed)((v % distinct).toInt))
      .toDF(column)
  }

  private val tables = new ConcurrentHashMap[(Int, Int, Long), Array[Array[Float]]]()

  private def table(features: Int, distinct: Int, seed: Long): Array[Array[Float]] =
    tables.computeIfAbsent(
      (features, distinct, seed),
      _ => Array.tabulate(distinct)(id => SparkBench.randomRow(seed, id.toLong, features))
    )

  /**
   * Runs streaming DataFrame `df` from a fresh checkpoint for exactly `batches` micro-batches,
   * each written whole to Spark's `noop` sink, back to back (trigger: as fast as it can), and
   * stops the query.
   *
   * The sink is `foreachBatch`, writing micro-batches 0 .. batches - 1 to `noop` and ignoring
   * later ones: the query runs on until it is stopped, and a later micro-batch that ran would be
   * interrupted by the stop (killing the Python workers of a UDF in it, which the next run would
   * start again). Starting the query is inside the timing, as planning is for the batch jobs.
   *
   * @return nanoseconds from starting the query to the end of micro-batch `batches - 1`
   */
  def noopBatches(df: DataFrame, batches: Int, checkpoint: String): Long = {
    require(df.isStreaming, "noopBatches needs a streaming DataFrame")
    require(batches > 0, s"batches must be positive; got $batches")
    val done = new CountDownLatch(1)
    val end = new AtomicLong()
    val writeBatch: (Dataset[Row], Long) => Unit = (batch, id) =>
      if (id < batches) {
        batch.write.format("noop").mode("overwrite").save()
        if (id == batches - 1) {
          end.set(System.nanoTime())
          done.countDown()
        }
      }
    val start = System.nanoTime()
    val query = df.writeStream
      .foreachBatch(writeBatch)
      .option("checkpointLocation", checkpoint)
      .trigger(Trigger.ProcessingTime(0L))
      .start()
    try {
      // The latch, or the query's end (a failure, which the caller must see).
      while (!done.await(100, TimeUnit.MILLISECONDS)) {
        if (!query.isActive) {
          throw query.exception.getOrElse(
            new IllegalStateException(s"the query stopped before $batches micro-batches")
          )
        }
      }
    } finally query.stop()
    end.get() - start
  }
}
