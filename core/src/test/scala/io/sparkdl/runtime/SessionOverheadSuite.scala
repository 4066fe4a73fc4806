package io.sparkdl.runtime

import org.apache.spark.sql.functions.{col, sum}

import io.sparkdl.model.GraphProgram
import io.sparkdl.tensorframes.TensorFrames
import io.sparkdl.tensorframes.TestGraphs._
import io.sparkdl.tf.{DType, Shape}

/**
 * Sessions of tiny models count for TF's per-session memory too: without that, a byte bound let
 * thousands of them pile up (dev/soak: the driver's memory grew by 2.6 MB per session).
 */
class SessionOverheadSuite extends SessionCacheConfs {
  override protected def cacheConfs: Map[String, String] = Map(SessionCache.MaxBytesConf -> "16m")

  test("a 16m bound keeps at most four idle sessions of tiny models, whose results stay right") {
    assert(SessionCache.sessionOverhead == SessionCache.DefaultSessionOverhead)
    val df = spark.range(0, 100, 1, 2).select(col("id").cast("double").as("x"))
    for (i <- 1 to 10) {
      val g = graphDef(g => binary(g, "AddV2", "z", placeholder(g, "x", DType.Float64, Shape(-1)),
        scalar(g, "c", DType.Float64, i.toDouble)))
      val total = TensorFrames.mapBlocks(df, GraphProgram(g, Seq("z"))).agg(sum("z")).head().getDouble(0)
      assert(total == (0 until 100).map(_ + i.toDouble).sum, s"model $i")
    }
    val stats = SessionCache.stats
    assert(stats.sessions <= 4 && stats.bytes <= (16L << 20), stats)
    assert(stats.evictions >= 6, stats)
  }
}
