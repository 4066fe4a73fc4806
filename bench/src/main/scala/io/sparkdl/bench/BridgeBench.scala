package io.sparkdl.bench

import java.nio.file.{Files, Paths}

import scala.io.Source
import scala.util.{Random, Using}

import io.sparkdl.tf.{DType, Graph, GraphOptimization, Precision, Session, SessionConfig, Shape, Tensor}

/**
 * sparkdl's bridge alone: the `io.sparkdl.tf` Session run in a loop in one JVM, no Spark. Each
 * batch fills a fresh tensor from a float array, runs the graph (one native call) and reads the
 * output back into a float array, the way raw TF Python turns numpy slices into tensors and back.
 *
 * The harness runs [[main]] in a JVM of its own: TF sizes its intra-op thread pool once per
 * process, from the first session's settings, so a JVM that already ran sparkdl's (1-thread)
 * task sessions would hold the bridge to one core.
 */
object BridgeBench {

  /**
   * `BridgeBench <graph.pb> <input> <fetch> <features> <rows> <batch> <intra> <inter> <passes>
   * <warmupBatches> <seed> [<optimization> <precision>]`: prints one JSON line, each pass's
   * nanoseconds and the JVM's peak RSS. Optimization and precision as sparkdl names them
   * ("default", "xla", "none"; "float32", "bfloat16"); default: default, float32.
   */
  def main(args: Array[String]): Unit = {
    if (args.length != 11 && args.length != 13) {
      System.err.println(
        "usage: BridgeBench <graph.pb> <input> <fetch> <features> <rows> <batch> <intraOp> " +
          "<interOp> <passes> <warmupBatches> <seed> [<optimization> <precision>]"
      )
      sys.exit(2)
    }
    val (optimization, precision) =
      if (args.length == 13) {
        (GraphOptimization.parse(args(11), "optimization"), Precision.parse(args(12), "precision"))
      } else (GraphOptimization.Default, Precision.Float32)
    val nanos = run(
      Files.readAllBytes(Paths.get(args(0))), args(1), args(2), args(3).toInt, args(4).toInt,
      args(5).toInt, args(6).toInt, args(7).toInt, args(8).toInt, args(9).toInt, args(10).toLong,
      optimization, precision
    )
    println(s"""{"nanos": [${nanos.mkString(", ")}], "vmhwm_kb": $peakRssKb}""")
  }

  /** This process's peak RSS (VmHWM) in kB, or -1 where /proc is missing. */
  def peakRssKb: Long = scala.util.Try {
    Using.resource(Source.fromFile("/proc/self/status")) { status =>
      status.getLines().find(_.startsWith("VmHWM:")).map(_.split("\\s+")(1).toLong).getOrElse(-1L)
    }
  }.getOrElse(-1L)

  /** Keeps the outputs observable, so no run can be optimised away. */
  @volatile var checksum: Double = 0.0

  /**
   * Runs the graph over `rows` rows of `features` floats (uniform in [-1, 1), drawn with `seed`),
   * `batchSize` rows per run, `passes` times over the data, after `warmupBatches` untimed runs
   * (so the JIT has compiled the loop, as it has the Spark paths by the time they are timed).
   *
   * @param input the placeholder's tensor name, e.g. "x:0"
   * @param fetch the output's tensor name, e.g. "y:0"
   * @param intraOpThreads TF's intra-op threads (0: TF picks)
   * @param interOpThreads TF's inter-op threads (0: TF picks, -1: the calling thread)
   * @param optimization how TF rewrites the graph (sparkdl's compute mode)
   * @param precision the float type matmuls and convolutions compute in
   * @return elapsed nanoseconds of each pass; session creation is outside the timing
   */
  def run(
      graphDef: Array[Byte],
      input: String,
      fetch: String,
      features: Int,
      rows: Int,
      batchSize: Int,
      intraOpThreads: Int,
      interOpThreads: Int,
      passes: Int,
      warmupBatches: Int,
      seed: Long,
      optimization: GraphOptimization = GraphOptimization.Default,
      precision: Precision = Precision.Float32
  ): Array[Long] = {
    require(features > 0 && rows > 0 && batchSize > 0 && passes > 0, "sizes must be positive")
    val random = new Random(seed)
    val data = Array.fill(Math.multiplyExact(rows, features))(random.nextFloat() * 2f - 1f)
    Using.resource(Graph.fromGraphDef(graphDef)) { graph =>
      Using.resource(Session(graph, SessionConfig(intraOpThreads, interOpThreads, optimization, precision))) { session =>
        val prepared = session.prepare(Seq(graph.output(input)), Seq(graph.output(fetch)))

        // One batch: a fresh tensor filled from `data`, one run, the output read back.
        def batch(offset: Int, n: Int): Float =
          Using.resource(Tensor.allocate(DType.Float32, Shape(n.toLong, features.toLong))) { x =>
            x.withBuffer(_.asFloatBuffer().put(data, offset * features, n * features))
            val outputs = prepared.run(Array(x))
            try outputs(0).floats()(0)
            finally outputs.foreach(_.close())
          }

        // One pass over the data: its elapsed nanoseconds.
        def pass(): Long = {
          val start = System.nanoTime()
          var sum = 0.0
          var offset = 0
          while (offset < rows) {
            val n = math.min(batchSize, rows - offset)
            sum += batch(offset, n)
            offset += n
          }
          val elapsed = System.nanoTime() - start
          checksum += sum
          elapsed
        }

        var warmOffset = 0
        (0 until warmupBatches).foreach { _ =>
          if (warmOffset >= rows) warmOffset = 0
          val n = math.min(batchSize, rows - warmOffset)
          checksum += batch(warmOffset, n)
          warmOffset += n
        }
        Array.fill(passes)(pass())
      }
    }
  }
}
