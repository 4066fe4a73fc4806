package io.sparkdl.tensorframes

import org.scalatest.Tag

import org.apache.spark.sql.functions.{array_repeat, col, sum}

import io.sparkdl.model._
import io.sparkdl.tf.{DType, Shape}

/** Excluded with `-- -l io.sparkdl.tags.LargeRun`: a run of several minutes. */
object LargeRun extends Tag("io.sparkdl.tags.LargeRun")

/** Millions of wide rows stream through map_blocks without holding them in memory. */
class LargeRunSuite extends SparkSessionSuite {
  import TestGraphs._

  test("2,000,000 rows x 784 float32 through reduce_sum(x, axis=1) under -Xmx2g", LargeRun) {
    val rows = 2000000L
    val width = 784
    // Generated on the fly, not cached: each row is `id % 7` repeated, so every sum is exact.
    val df = spark.range(rows).select(array_repeat((col("id") % 7).cast("float"), width).as("x"))
    val gd = graphDef { g =>
      reduce(g, "Sum", "s", placeholder(g, "x", DType.Float32, Shape(-1, width)), Seq(1), keepDims = false)
    }
    val program = GraphProgram(gd, Seq("s"))
    val started = System.nanoTime()
    val total = TensorFrames.mapBlocks(df, program).agg(sum("s")).head().getDouble(0)
    val seconds = (System.nanoTime() - started) / 1e9
    val heapMb = Runtime.getRuntime.maxMemory / (1 << 20)
    info(f"$rows rows x $width float32 in $seconds%.1f s (max heap $heapMb MB)")
    val expected = width.toDouble * (0L until rows).iterator.map(_ % 7).sum
    assert(total == expected)
  }
}
