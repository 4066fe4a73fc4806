package io.sparkdl.bench

import java.lang.management.ManagementFactory
import java.util.concurrent.{CyclicBarrier, Executors, TimeUnit}

import scala.util.{Random, Using}

import io.sparkdl.tf.{SavedModel, SessionConfig, Shape, Tensor}

/**
 * A SavedModel's serving signature run on one float batch in a loop, through sparkdl's bridge,
 * by `callers` threads at once on one session (as a featurizer's concurrent tasks share their
 * executor's cached session), in a JVM of its own (TF sizes its intra-op pool once per process,
 * from the first session). The model step of the photos section without Spark, to compare with
 * TF Python on the same batch (bench/README.md, Photos).
 */
object ModelStepBench {

  /** Keeps the outputs observable, so no run can be optimised away. */
  @volatile var checksum: Double = 0.0

  /**
   * `ModelStepBench <savedModelDir> <size> <batch> <intraOp> <interOp> <callers> <warmup> <runs> [own]`:
   * prints one JSON line: the images a second of all callers (wall) and the process CPU seconds an
   * image. With `own`, each caller loads the model into a session of its own instead of sharing one.
   */
  def main(args: Array[String]): Unit = {
    if (args.length != 8 && !(args.length == 9 && args(8) == "own")) {
      System.err.println(
        "usage: ModelStepBench <savedModelDir> <size> <batch> <intraOp> <interOp> <callers> <warmup> <runs> [own]")
      sys.exit(2)
    }
    val dir = args(0)
    val n = args.slice(1, 8).map(_.toInt)
    val (size, batch, intra, inter, callers, warmup, runs) = (n(0), n(1), n(2), n(3), n(4), n(5), n(6))
    val own = args.length == 9
    val os = ManagementFactory.getOperatingSystemMXBean
      .asInstanceOf[com.sun.management.OperatingSystemMXBean]
    val config = SessionConfig(intra, inter)
    val models = Seq.fill(if (own) callers else 1)(SavedModel.load(dir, config = config))
    try {
      val prepared = models.map { model =>
        val sig = model.signature(SavedModel.DefaultSignature)
        val in = sig.inputs.values.head.name
        val out = sig.outputs.values.head.name
        model.session.prepare(Seq(model.graph.output(in)), Seq(model.graph.output(out)))
      }
      val random = new Random(0)
      val values = Array.fill(batch * size * size * 3)(random.nextFloat() * 2f - 1f)
      Using.resource(Tensor.ofFloats(values, Shape(batch.toLong, size.toLong, size.toLong, 3L))) { x =>
        def once(c: Int): Unit =
          prepared(c % prepared.length).run(Array(x)).foreach { t => checksum += t.floats()(0); t.close() }
        val pool = Executors.newFixedThreadPool(callers)
        val barrier = new CyclicBarrier(callers)
        def round(n: Int): Unit = {
          val futures = (0 until callers).map { c =>
            pool.submit(new Runnable { def run(): Unit = { barrier.await(); (0 until n).foreach(_ => once(c)) } })
          }
          futures.foreach(_.get())
        }
        round(warmup)
        val cpu0 = os.getProcessCpuTime
        val t0 = System.nanoTime()
        round(runs)
        val wall = (System.nanoTime() - t0) / 1e9
        val cpu = (os.getProcessCpuTime - cpu0) / 1e9
        val images = callers.toLong * runs * batch
        pool.shutdown(); pool.awaitTermination(1, TimeUnit.MINUTES)
        println(f"""{"engine": "sparkdl", "sessions": ${models.length}, "intra": $intra, "inter": $inter, """ +
          f""""callers": $callers, "batch": $batch, """ +
          f""""img_s": ${images / wall}%.2f, "cpu_ms_img": ${cpu * 1000 / images}%.2f, "cpu_use": ${cpu / wall}%.2f}""")
      }
    } finally models.foreach(_.close())
  }
}
