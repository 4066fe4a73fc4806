package io.sparkdl.tf

import java.nio.file.{Files, Paths}
import java.util.concurrent.{Callable, Executors, TimeUnit}

import scala.jdk.CollectionConverters._
import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

class SessionSuite extends AnyFunSuite with TolerantAssertions {

  private def withAddGraph[T](body: (Graph, Session) => T): T =
    Using.resource(Graph.fromGraphDef(Fixtures.bytes("add.pb"))) { g =>
      Using.resource(Session(g, SessionConfig(intraOpThreads = 1, interOpThreads = 1)))(s => body(g, s))
    }

  test("elementwise add equals TF Python's within 1e-6") {
    withAddGraph { (_, s) =>
      Using.resources(Fixtures.npy("add_a.npy").toTensor, Fixtures.npy("add_b.npy").toTensor) { (a, b) =>
        val z = s.run(Map("a" -> a, "b" -> b), Seq("z:0")).head
        Using.resource(z) { z =>
          assert(z.shape == Shape(4, 3))
          assertClose(z.floats(), Fixtures.npy("add_z.npy").floats, 1e-6)
        }
      }
    }
  }

  test("a frozen dense network equals TF Python's within 1e-5") {
    Using.resource(Graph.fromGraphDef(Fixtures.bytes("dense.pb"))) { g =>
      Using.resources(Session(g), Fixtures.npy("dense_x.npy").toTensor) { (s, x) =>
        Using.resource(s.run(Map("x" -> x), Seq("out")).head) { out =>
          assert(out.shape == Shape(5, 3))
          assertClose(out.floats(), Fixtures.npy("dense_out.npy").floats, 1e-5)
        }
      }
    }
  }

  test("a feed of the wrong dtype or shape is an InvalidArgumentException naming the feed") {
    withAddGraph { (_, s) =>
      val b = Tensor.ofFloats(new Array[Float](6), Shape(2, 3))
      Using.resources(b, Tensor.ofDoubles(new Array[Double](6), Shape(2, 3))) { (b, wrongType) =>
        val e = intercept[InvalidArgumentException](s.run(Map("a" -> wrongType, "b" -> b), Seq("z")))
        assert(e.getMessage.contains("'a:0'") && e.getMessage.contains("float32"), e.getMessage)
      }
      Using.resources(Tensor.ofFloats(new Array[Float](6), Shape(3, 2)), Tensor.ofFloats(new Array[Float](6), Shape(2, 3))) {
        (wrongShape, b) =>
          val e = intercept[InvalidArgumentException](s.run(Map("a" -> wrongShape, "b" -> b), Seq("z")))
          assert(e.getMessage.contains("[?,3]") && e.getMessage.contains("[3,2]"), e.getMessage)
      }
    }
  }

  test("TF's own run errors surface as exceptions: a missing feed") {
    withAddGraph { (_, s) =>
      Using.resource(Tensor.ofFloats(new Array[Float](3), Shape(1, 3))) { a =>
        val e = intercept[InvalidArgumentException](s.run(Map("a" -> a), Seq("z")))
        assert(e.getMessage.contains("b"), e.getMessage)
      }
    }
  }

  test("run after close fails, double close is harmless") {
    val g = Graph.fromGraphDef(Fixtures.bytes("identity.pb"))
    val s = Session(g)
    s.close()
    s.close()
    Using.resource(Tensor.ofFloats(Array(1f), Shape(1))) { x =>
      assert(intercept[IllegalStateException](s.run(Map("x" -> x), Seq("y"))).getMessage.contains("closed"))
    }
    g.close()
  }

  test("8 threads x 1,000 runs on one session all give correct results") {
    withAddGraph { (g, s) =>
      val run = s.prepare(Seq(g.output("a"), g.output("b")), Seq(g.output("z")))
      val pool = Executors.newFixedThreadPool(8)
      try {
        val tasks = (0 until 8).map { t =>
          new Callable[Int] {
            def call(): Int = {
              var wrong = 0
              for (i <- 0 until 1000) {
                val a = Array.tabulate(6)(j => (t * 1000 + i + j).toFloat)
                Using.resources(Tensor.ofFloats(a, Shape(2, 3)), Tensor.ofFloats(Array.fill(6)(0.5f), Shape(2, 3))) { (ta, tb) =>
                  val z = run.run(Array(ta, tb)).head
                  Using.resource(z)(z => if (!z.floats().sameElements(a.map(_ + 0.5f))) wrong += 1)
                }
              }
              wrong
            }
          }
        }
        val wrong = pool.invokeAll(tasks.asJava).asScala.map(_.get(5, TimeUnit.MINUTES))
        assert(wrong.sum == 0)
      } finally pool.shutdownNow()
    }
  }

  test("close waits for runs in flight") {
    val g = Graph.fromGraphDef(Fixtures.bytes("dense.pb"))
    val s = Session(g)
    val pool = Executors.newFixedThreadPool(2)
    try {
      val runs = pool.submit(new Callable[Int] {
        def call(): Int = {
          var ok = 0
          try {
            while (true) {
              Using.resource(Tensor.ofFloats(new Array[Float](4096 * 4), Shape(4096, 4))) { x =>
                s.run(Map("x" -> x), Seq("out")).foreach(_.close())
                ok += 1
              }
            }
          } catch { case _: IllegalStateException => () }
          ok
        }
      })
      Thread.sleep(200)
      s.close()
      assert(runs.get(1, TimeUnit.MINUTES) > 0)
    } finally {
      pool.shutdownNow()
      g.close()
    }
  }

  test("soak: 20,000 runs with fresh tensors grow RSS by less than 50 MB") {
    withAddGraph { (g, s) =>
      val run = s.prepare(Seq(g.output("a"), g.output("b")), Seq(g.output("z")))
      def cycle(n: Int): Unit = for (_ <- 0 until n) {
        Using.resources(Tensor.ofFloats(new Array[Float](300), Shape(100, 3)), Tensor.ofFloats(new Array[Float](300), Shape(100, 3))) {
          (a, b) => run.run(Array(a, b)).foreach(_.close())
        }
      }
      cycle(2000) // warm up allocators and TF's caches
      // The JVM's own memory (its heap grows under the garbage of the tensors' Java objects) is
      // not native memory sparkdl holds: it is taken out of the RSS growth.
      val before = rssKb() - jvmCommittedKb()
      cycle(20000)
      val grownMb = (rssKb() - jvmCommittedKb() - before) / 1024.0
      assert(grownMb < 50, s"RSS grew by $grownMb MB beyond the JVM's own memory")
    }
  }

  /** Heap and non-heap memory the JVM has committed, in kB. */
  private def jvmCommittedKb(): Long = {
    val memory = java.lang.management.ManagementFactory.getMemoryMXBean
    (memory.getHeapMemoryUsage.getCommitted + memory.getNonHeapMemoryUsage.getCommitted) / 1024
  }

  private def rssKb(): Long =
    Files.readAllLines(Paths.get("/proc/self/status")).asScala
      .find(_.startsWith("VmRSS:")).map(_.replaceAll("[^0-9]", "").toLong).get
}
