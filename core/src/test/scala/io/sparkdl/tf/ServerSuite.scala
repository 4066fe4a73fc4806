package io.sparkdl.tf

import java.net.ServerSocket
import java.util.concurrent.{Callable, Executors, TimeUnit}

import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

/**
 * TF gRPC servers of one cluster in this JVM (as two barrier tasks in one executor are): sessions
 * on each server's target run a CollectiveReduceV2 together. Servers are never stopped (TF cannot,
 * docs/training.md), so this suite starts only the two it needs.
 */
class ServerSuite extends AnyFunSuite {

  private def freePort(): Int = Using.resource(new ServerSocket(0))(_.getLocalPort)

  private lazy val servers: IndexedSeq[Server] = {
    val cluster = IndexedSeq.fill(2)(s"localhost:${freePort()}")
    cluster.indices.map(i => Server.start(cluster, i, intraOpThreads = 1))
  }

  // A graph averaging a float32 vector over the group: x -> CollectiveReduceV2(Add, Div).
  private def reduceGraph(): (Graph, Output, Seq[Output]) = {
    val graph = Graph()
    def placeholder(name: String, dtype: DType) =
      graph.opBuilder("Placeholder", name).setAttr("dtype", dtype).build().output(0)
    val x = placeholder("x", DType.Float32)
    val keys = Seq("group_size", "group_key", "instance_key").map(placeholder(_, DType.Int32))
    val reduce = graph.opBuilder("CollectiveReduceV2", "reduce").addInput(x).addInput(keys(0)).addInput(keys(1))
      .addInput(keys(2)).addInputList(Nil).setAttr("T", DType.Float32).setAttr("merge_op", "Add")
      .setAttr("final_op", "Div").setAttr("timeout_seconds", 60f).build()
    (graph, reduce.output(0), x +: keys)
  }

  test("sessions on two servers of a cluster average a tensor with CollectiveReduceV2, step after step") {
    val pool = Executors.newFixedThreadPool(2)
    try {
      val results = servers.map { server =>
        pool.submit(new Callable[Seq[Seq[Float]]] {
          override def call(): Seq[Seq[Float]] = {
            val (graph, out, feeds) = reduceGraph()
            Using.resources(graph, Session(graph, SessionConfig(server = Some(server)))) { (_, session) =>
              (1 to 3).map { step =>
                val value = (server.taskIndex + 1) * step.toFloat
                Using.Manager { use =>
                  val tensors = Seq(use(Tensor.ofFloats(Array(value, 2 * value), Shape(2)))) ++
                    Seq(2, 11, 1).map(k => use(Tensor.ofInts(Array(k), Shape.scalar)))
                  val fetched = session.run(feeds.zip(tensors), Seq(out))
                  try fetched.head.floats().toSeq finally fetched.foreach(_.close())
                }.get
              }
            }
          }
        })
      }.map(_.get(120, TimeUnit.SECONDS))
      // mean of (1 * step, 2 * step) and of twice that
      val expected = (1 to 3).map(step => Seq(1.5f * step, 3f * step))
      assert(results == IndexedSeq(expected, expected))
    } finally pool.shutdownNow()
  }

  test("a server's target is grpc://, its task name its device prefix, and it counts as started") {
    val s = servers(1)
    assert(s.target.startsWith("grpc://localhost:"))
    assert(s.taskName == "/job:worker/replica:0/task:1")
    assert(Server.started >= 2)
    val (cluster, index) = (s.cluster, s.taskIndex)
    assert(cluster.length == 2 && index == 1)
  }

  test("cancel ends a run waiting in a collective for a worker that never comes") {
    val (graph, out, feeds) = reduceGraph()
    val one = Using.resource(Tensor.ofFloats(Array(1f), Shape(1))) { t =>
      graph.opBuilder("Const", "one").setAttr("dtype", DType.Float32).setAttr("value", t).build().output(0)
    }
    Using.resources(graph, Session(graph, SessionConfig(server = Some(servers(0))))) { (_, session) =>
      // A first run connects the session to its server (a session on a server that never ran has
      // nothing for cancel to close: its first run would connect anew).
      session.run(Nil, Seq(one)).foreach(_.close())
      val pool = Executors.newSingleThreadExecutor()
      try {
        // Group 12 of size 2 has only this session: the run waits (up to the op's 60 s timeout).
        val run = pool.submit(new Callable[Throwable] {
          override def call(): Throwable = Using.Manager { use =>
            val tensors = Seq(use(Tensor.ofFloats(Array(1f, 2f), Shape(2)))) ++
              Seq(2, 12, 1).map(k => use(Tensor.ofInts(Array(k), Shape.scalar)))
            try { session.run(feeds.zip(tensors), Seq(out)).foreach(_.close()); null }
            catch { case e: TfException => e }
          }.get
        })
        session.cancel() // before the run (it fails: "A session is not created yet") or during (CANCELLED)
        val error = run.get(30, TimeUnit.SECONDS)
        assert(error != null && error.getMessage.toLowerCase.matches("(?s).*(cancel|closed|not created).*"), error)
        session.cancel() // idempotent
      } finally pool.shutdownNow()
    }
  }

  test("a server's cluster and task are checked before TF sees them") {
    val bad = intercept[IllegalArgumentException](Server.start(Seq("localhost"), 0))
    assert(bad.getMessage.contains("'localhost' is not host:port"))
    val index = intercept[IllegalArgumentException](Server.start(Seq("localhost:1"), 1))
    assert(index.getMessage.contains("task 1 is not one of the 1 tasks"))
  }

  test("a port another server holds fails the start with TF's error, the JVM lives on") {
    Using.resource(new ServerSocket(0)) { taken =>
      val e = intercept[TfException](Server.start(Seq(s"localhost:${taken.getLocalPort}"), 0))
      assert(e.getMessage.nonEmpty)
    }
  }
}
