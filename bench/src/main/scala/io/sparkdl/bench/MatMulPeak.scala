package io.sparkdl.bench

import java.nio.file.{Files, Paths}

import scala.util.{Random, Using}

import io.sparkdl.tf.{Graph, Session, SessionConfig, Shape, Tensor}

/**
 * The machine's compute peak through sparkdl's bridge: a large square MatMul graph (made by the
 * harness: placeholders `a`, `b` of float32 `[n, n]`, fetch `sum:0`, the product's sum, so no
 * n x n result crosses into the JVM) run in a loop in a JVM of its own, with the whole machine's
 * threads (TF sizes its intra-op pool once per process, from the first session).
 *
 * The inputs are filled once and fed to every run (feeding aliases them, no copy), so a run is
 * the matmul and its sum alone: 2 n^3 + n^2 floating-point operations.
 */
object MatMulPeak {

  /**
   * `MatMulPeak <intraOp> <warmup> <runs> <graph.pb>:<n> ...`: prints one JSON line per graph,
   * its path, n and each timed run's nanoseconds.
   */
  def main(args: Array[String]): Unit = {
    if (args.length < 4) {
      System.err.println("usage: MatMulPeak <intraOp> <warmup> <runs> <graph.pb>:<n> ...")
      sys.exit(2)
    }
    val Array(intraOp, warmup, runs) = args.take(3).map(_.toInt)
    args.drop(3).foreach { spec =>
      val at = spec.lastIndexOf(':')
      val (path, n) = (spec.substring(0, at), spec.substring(at + 1).toInt)
      val nanos = time(Files.readAllBytes(Paths.get(path)), n, intraOp, warmup, runs)
      println(s"""{"graph": "$path", "n": $n, "nanos": [${nanos.mkString(", ")}]}""")
    }
  }

  /** Keeps the outputs observable, so no run can be optimised away. */
  @volatile var checksum: Double = 0.0

  /**
   * Runs the graph `warmup` times untimed, then `runs` times timed, on two n x n inputs of
   * uniform values in [-1, 1).
   *
   * @return each timed run's nanoseconds (feed and fetch of the scalar included)
   */
  def time(graphDef: Array[Byte], n: Int, intraOpThreads: Int, warmup: Int, runs: Int): Array[Long] = {
    require(n > 0 && runs > 0 && warmup >= 0, "sizes must be positive")
    val random = new Random(n.toLong)
    Using.resource(Graph.fromGraphDef(graphDef)) { graph =>
      Using.resource(Session(graph, SessionConfig(intraOpThreads, 0))) { session =>
        val prepared = session.prepare(
          Seq(graph.output("a:0"), graph.output("b:0")),
          Seq(graph.output("sum:0"))
        )
        def input(): Tensor = {
          val values = Array.fill(Math.multiplyExact(n, n))(random.nextFloat() * 2f - 1f)
          Tensor.ofFloats(values, Shape(n.toLong, n.toLong))
        }
        Using.resources(input(), input()) { (a, b) =>
          def once(): Long = {
            val start = System.nanoTime()
            val outputs = prepared.run(Array(a, b))
            try checksum += outputs(0).floats()(0)
            finally outputs.foreach(_.close())
            System.nanoTime() - start
          }
          (0 until warmup).foreach(_ => once())
          Array.fill(runs)(once())
        }
      }
    }
  }
}
