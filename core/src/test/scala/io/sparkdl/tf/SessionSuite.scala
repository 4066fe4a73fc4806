package io.sparkdl.tf

import java.io.InputStream
import java.nio.file.Files
import java.util.concurrent.{Callable, Executors, TimeUnit}

import scala.concurrent.duration._
import scala.jdk.CollectionConverters._
import scala.util.Using

import org.scalatest.concurrent.Eventually._
import org.scalatest.exceptions.TestFailedException
import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck

class SessionSuite extends AnyFunSuite with NativeLeakCheck with TolerantAssertions {

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
    // The run writes more than a pipe holds into a named pipe: TF's WriteFile blocks inside the
    // run, which holds the session, until the test reads the pipe.
    val dir = Files.createTempDirectory("sparkdl-session")
    val pipe = dir.resolve("pipe")
    assert(new ProcessBuilder("mkfifo", pipe.toString).inheritIO().start().waitFor() == 0)
    val contents = Array.tabulate[Byte](4 << 20)(i => (i % 251).toByte)
    val g = Graph()
    val filename = scalarPlaceholder(g, "filename", DType.TString)
    val data = scalarPlaceholder(g, "contents", DType.TString)
    val write = g.opBuilder("WriteFile", "write").addInput(filename).addInput(data).build()
    val s = Session(g)
    // Daemon threads: should the test fail with TF blocked on the pipe, they do not outlive it.
    val threads = Executors.newCachedThreadPool { (r: Runnable) =>
      val t = new Thread(r, "session-suite-run"); t.setDaemon(true); t
    }
    val run = threads.submit(new Callable[Unit] {
      def call(): Unit =
        Using.resources(
          Tensor.ofUtf8(Array(pipe.toString), Shape.scalar),
          Tensor.ofStrings(Array(contents), Shape.scalar)
        )((f, c) => s.run(Seq(filename -> f, data -> c), Nil, Seq(write)).foreach(_.close()))
    })
    try {
      // Opening a pipe to read returns once TF has opened it to write: the run is in flight.
      val reader = threads.submit(new Callable[InputStream] {
        def call(): InputStream = Files.newInputStream(pipe)
      })
      eventually(timeout(1.minute))(assert(reader.isDone || run.isDone))
      if (!reader.isDone) run.get() // the run failed before it reached the pipe: say why
      Using.resource(reader.get()) { in =>
        val closer = new Thread(() => s.close(), "session-suite-closer")
        closer.setDaemon(true)
        closer.start()
        eventually(timeout(1.minute))(assert(s.isWaiting(closer)))
        assert(closer.isAlive && !s.isClosed && !run.isDone, "close returned with a run in flight")
        assert(in.readAllBytes().sameElements(contents)) // releases the run
        closer.join(TimeUnit.MINUTES.toMillis(1))
        assert(!closer.isAlive && s.isClosed)
      }
      run.get(1, TimeUnit.MINUTES) // the run finished cleanly, not cut short by the close
    } finally {
      threads.shutdownNow()
      if (run.isDone) s.close() // else TF still holds it, blocked on the pipe: leave it
      g.close()
      Files.delete(pipe)
      Files.delete(dir)
    }
  }

  test("closing a feed tensor waits for the run in flight that reads it") {
    // As above, a run blocked writing a named pipe; this time another thread closes a feed tensor
    // of the run. Without the tensor's use guard, close freed it while TF still held it.
    val dir = Files.createTempDirectory("sparkdl-tensor-close")
    val pipe = dir.resolve("pipe")
    assert(new ProcessBuilder("mkfifo", pipe.toString).inheritIO().start().waitFor() == 0)
    val contents = Array.tabulate[Byte](4 << 20)(i => (i % 253).toByte)
    val g = Graph()
    val filename = scalarPlaceholder(g, "filename", DType.TString)
    val data = scalarPlaceholder(g, "contents", DType.TString)
    val write = g.opBuilder("WriteFile", "write").addInput(filename).addInput(data).build()
    val s = Session(g)
    val f = Tensor.ofUtf8(Array(pipe.toString), Shape.scalar)
    val c = Tensor.ofStrings(Array(contents), Shape.scalar)
    val threads = Executors.newCachedThreadPool { (r: Runnable) =>
      val t = new Thread(r, "tensor-close-run"); t.setDaemon(true); t
    }
    val run = threads.submit(new Callable[Unit] {
      def call(): Unit = s.run(Seq(filename -> f, data -> c), Nil, Seq(write)).foreach(_.close())
    })
    try {
      val reader = threads.submit(new Callable[InputStream] {
        def call(): InputStream = Files.newInputStream(pipe)
      })
      eventually(timeout(1.minute))(assert(reader.isDone || run.isDone))
      if (!reader.isDone) run.get()
      Using.resource(reader.get()) { in =>
        val closer = new Thread(() => c.close(), "tensor-close-closer")
        closer.setDaemon(true)
        closer.start()
        eventually(timeout(1.minute))(assert(c.isWaiting(closer) || !closer.isAlive))
        assert(closer.isAlive && !c.isClosed && !run.isDone, "the feed tensor was freed under a run in flight")
        assert(in.readAllBytes().sameElements(contents))
        closer.join(TimeUnit.MINUTES.toMillis(1))
        assert(!closer.isAlive && c.isClosed)
      }
      run.get(1, TimeUnit.MINUTES)
    } finally {
      threads.shutdownNow()
      if (run.isDone) { s.close(); f.close(); c.close() }
      g.close()
      Files.delete(pipe)
      Files.delete(dir)
    }
  }

  test("soak: 20,000 runs with fresh tensors leave no tensor, session or graph behind") {
    val before = NativeObjects.live()
    soak(runs = 20000, leakFetches = false)
    assertNothingLeftSince(before)
  }

  test("soak: the check fails when a run leaks its fetched tensors") {
    val before = NativeObjects.live()
    val leaked = soak(runs = 2000, leakFetches = true)
    try {
      val e = intercept[TestFailedException](assertNothingLeftSince(before))
      assert(e.getMessage.contains("tensors=2000"), e.getMessage)
    } finally leaked.foreach(_.close())
    assertNothingLeftSince(before)
  }

  /**
   * A graph, a session and `runs` runs of it with fresh feed tensors, all closed but for the
   * fetched tensors when `leakFetches`, which are returned. The soak checks the live native
   * objects, not the process's RSS: a 50 MB RSS threshold failed in a full test run with no leak
   * (the JVM and other suites' memory come and go), while the counts are exactly what sparkdl
   * owns.
   */
  private def soak(runs: Int, leakFetches: Boolean): Seq[Tensor] = {
    val leaked = Seq.newBuilder[Tensor]
    withAddGraph { (g, s) =>
      val run = s.prepare(Seq(g.output("a"), g.output("b")), Seq(g.output("z")))
      for (_ <- 0 until runs) {
        Using.resources(Tensor.ofFloats(new Array[Float](300), Shape(100, 3)), Tensor.ofFloats(new Array[Float](300), Shape(100, 3))) {
          (a, b) =>
            val fetched = run.run(Array(a, b))
            if (leakFetches) leaked ++= fetched else fetched.foreach(_.close())
        }
      }
    }
    leaked.result()
  }

  /**
   * The live tensors, sessions and graphs are back to their counts `before`. All suites share one
   * forked test JVM (build.sbt), so the check is relative to what existed before, and holds since
   * suites run one at a time and nothing else makes native objects meanwhile.
   */
  private def assertNothingLeftSince(before: NativeObjectCounts): Unit = {
    val left = NativeObjects.live() - before
    assert(
      left == NativeObjectCounts.Zero,
      s"native objects left: tensors=${left.tensors} sessions=${left.sessions} " +
        s"graphs=${left.graphs} operationBuilders=${left.operationBuilders}"
    )
  }

  private def scalarPlaceholder(g: Graph, name: String, dtype: DType): Output =
    g.opBuilder("Placeholder", name).setAttr("dtype", dtype).setAttr("shape", Shape.scalar).build()
      .output(0)
}
