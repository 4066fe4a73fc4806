package io.sparkdl.runtime

import java.util.concurrent.{CountDownLatch, Executors, TimeUnit}
import java.util.concurrent.atomic.AtomicInteger

import scala.concurrent.{Await, ExecutionContext, Future}
import scala.concurrent.duration._
import scala.util.Using

import org.apache.spark.sql.functions.{col, sum}

import io.sparkdl.model.{FrozenGraph, GraphProgram, ModelSource}
import io.sparkdl.tensorframes.TensorFrames
import io.sparkdl.tensorframes.TestGraphs._
import io.sparkdl.tf.{DType, Shape, SessionConfig, Tensor}

/**
 * The session cache bounded in bytes: a local session whose bound holds about two of this suite's
 * graphs (`z = x + c_i`, each with a constant padding it to a known size).
 */
class SessionCacheSuite extends SessionCacheConfs {

  // Each graph's padding: 64 kB, so a 160 kB bound holds two of them.
  private val padding = 16 * 1024
  private val bound = 160L * 1024

  override protected def cacheConfs: Map[String, String] = Map(
    SessionCache.MaxBytesConf -> "160k",
    SessionCache.SessionOverheadConf -> "0" // sessions count as their graphs' padding alone
  )

  /** `z = x + c`, x float64 [?], with a float32 constant of `padding` elements nobody fetches. */
  private def addGraph(c: Double): FrozenGraph = FrozenGraph(graphDef { g =>
    const(g, "pad", Tensor.ofFloats(Array.fill(padding)(c.toFloat), Shape(padding.toLong)))
    binary(g, "AddV2", "z", placeholder(g, "x", DType.Float64, Shape(-1)), scalar(g, "c", DType.Float64, c))
  })

  private def config = SessionConfig(1, -1)

  test("the bound is the Spark conf, in bytes") {
    assert(SessionCache.maxBytes == bound)
    assert(addGraph(1).sizeBytes > 64 * 1024 && addGraph(1).sizeBytes < 70 * 1024)
  }

  test("more models than fit all run correctly; idle ones are evicted, the bound is kept") {
    val graphs = (1 to 6).map(i => addGraph(i * 1000.0 + 0.5))
    val df = spark.range(0, 200, 1, 4).select(col("id").cast("double").as("x"))
    val before = SessionCache.stats
    for (round <- 0 until 2; (g, i) <- graphs.zipWithIndex) {
      val c = (i + 1) * 1000.0 + 0.5
      val out = TensorFrames.mapBlocks(df, GraphProgram(g.bytes, Seq("z")), blockSize = 32)
      val total = out.agg(sum("z")).head().getDouble(0)
      assert(total == (0 until 200).map(_ + c).sum, s"round $round, graph $i")
    }
    val after = SessionCache.stats
    assert(after.bytes <= bound, after)
    assert(after.sessions <= 2, after)
    // Twelve runs over six models that do not fit: every run of the second round loads again.
    assert(after.loads - before.loads == 12, after)
    assert(after.evictions - before.evictions >= 10, after)
  }

  test("a session in use is never closed, however far the cache is over its bound") {
    val held = addGraph(7.25)
    val lease = SessionCache.acquire(held.key, config, held)
    try {
      val others = (1 to 2).map(i => addGraph(100.0 + i))
      val leases = others.map(o => SessionCache.acquire(o.key, config, o))
      assert(SessionCache.stats.bytes > bound, "three models in use: over the bound, none closed")
      leases.foreach(_.release())
      assert(SessionCache.stats.bytes <= bound, "released: the idle ones are evicted")
      val x = lease.model.graph.output("x")
      val z = lease.model.graph.output("z")
      val run = lease.model.session.prepare(Seq(x), Seq(z))
      Using.resource(Tensor.ofDoubles(Array(1.0, 2.0), Shape(2))) { in =>
        val out = run.run(Array(in))
        try assert(out(0).doubles().toSeq == Seq(8.25, 9.25))
        finally out.foreach(_.close())
      }
    } finally lease.release()
  }

  test("tasks asking at once for a model being loaded wait for that one load") {
    val model = addGraph(31.5)
    val before = SessionCache.stats.loadsByModel.getOrElse(model.key, 0L)
    val start = new CountDownLatch(1)
    val sourced = new AtomicInteger()
    val pool = Executors.newFixedThreadPool(8)
    implicit val ec: ExecutionContext = ExecutionContext.fromExecutor(pool)
    try {
      val leases = (1 to 8).map { _ =>
        Future { start.await(); SessionCache.acquire(model.key, config, { sourced.incrementAndGet(); model }) }
      }
      start.countDown()
      val held = Await.result(Future.sequence(leases), 60.seconds)
      assert(held.map(_.model).distinct.size == 1)
      held.foreach(_.release())
    } finally { pool.shutdown(); pool.awaitTermination(10, TimeUnit.SECONDS) }
    assert(sourced.get == 1, s"the model was loaded ${sourced.get} times")
    assert(SessionCache.stats.loadsByModel(model.key) - before == 1)
  }

  test("a model that fails to load fails every waiter with its error and pins nothing") {
    val broken: ModelSource = FrozenGraph(Array[Byte](1, 2, 3, 4, 5))
    val sessions = SessionCache.stats.sessions
    val e = intercept[Exception](SessionCache.acquire(broken.key, config, broken))
    assert(e.getMessage != null && e.getMessage.nonEmpty)
    val again = intercept[Exception](SessionCache.acquire(broken.key, config, broken))
    assert(again.getClass == e.getClass)
    assert(SessionCache.stats.sessions == sessions)
  }

  test("a bad bound names the conf") {
    val e = intercept[IllegalArgumentException](SessionCache.boundOf(Some("lots")))
    assert(e.getMessage.contains(SessionCache.MaxBytesConf) && e.getMessage.contains("lots"))
  }
}
