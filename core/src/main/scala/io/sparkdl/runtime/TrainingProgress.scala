package io.sparkdl.runtime

import org.apache.spark.SparkContext
import org.apache.spark.scheduler.{SparkListener, SparkListenerExecutorMetricsUpdate}
import org.apache.spark.util.AccumulatorV2

/**
 * A fit's finished epochs, as its training task adds them. Executors send the accumulators of
 * running tasks with every heartbeat (`spark.executor.heartbeatInterval`, 10 s by default), so the
 * driver hears of epochs while the fit runs, not only when its task ends.
 */
private[sparkdl] final class EpochAccumulator extends AccumulatorV2[EpochMetrics, Seq[EpochMetrics]] {
  // Read by the heartbeat thread while the task thread adds: every access is synchronized.
  private var epochs = Vector.empty[EpochMetrics]

  override def isZero: Boolean = synchronized(epochs.isEmpty)
  override def copy(): EpochAccumulator = {
    val copied = new EpochAccumulator
    copied.epochs = value
    copied
  }
  override def reset(): Unit = synchronized { epochs = Vector.empty }
  override def add(v: EpochMetrics): Unit = synchronized { epochs :+= v }
  override def merge(other: AccumulatorV2[EpochMetrics, Seq[EpochMetrics]]): Unit = {
    val more = other.value
    synchronized { epochs ++= more }
  }
  override def value: Vector[EpochMetrics] = synchronized(epochs)
}

/**
 * The driver's view of several fits' progress: one [[EpochAccumulator]] per fit, read from the
 * executors' heartbeats while the fits run and from the merged value when a fit's job ends
 * ([[finished]]). `report(i, epoch)` hears of each epoch of fit i exactly once, in order.
 */
private[sparkdl] final class TrainingProgress(
    sc: SparkContext,
    fits: Seq[String],
    report: (Int, EpochMetrics) => Unit
) extends SparkListener
    with AutoCloseable {

  val accumulators: IndexedSeq[EpochAccumulator] = fits.indices.map { i =>
    val a = new EpochAccumulator
    sc.register(a, s"sparkdl epochs: ${fits(i)}")
    a
  }
  private val fitOf = accumulators.zipWithIndex.map { case (a, i) => a.id -> i }.toMap
  private val reported = Array.fill(fits.length)(0)
  sc.addSparkListener(this)

  override def onExecutorMetricsUpdate(update: SparkListenerExecutorMetricsUpdate): Unit =
    for ((_, _, _, infos) <- update.accumUpdates; info <- infos; i <- fitOf.get(info.id); v <- info.update) {
      v match {
        case epochs: Seq[_] => deliver(i, epochs.collect { case e: EpochMetrics => e })
        case _ =>
      }
    }

  /** Fit i's job has ended: reports the epochs the heartbeats had not brought yet. */
  def finished(i: Int): Unit = deliver(i, accumulators(i).value)

  private def deliver(i: Int, epochs: Seq[EpochMetrics]): Unit = synchronized {
    epochs.drop(reported(i)).foreach(report(i, _))
    reported(i) = math.max(reported(i), epochs.length)
  }

  override def close(): Unit = sc.removeSparkListener(this)
}

/** Lines of training progress on the driver: one per epoch per fit, and one as each fit ends. */
private[sparkdl] object TrainingLog {
  private val log = org.slf4j.LoggerFactory.getLogger("io.sparkdl.training")

  /** `<fit> epoch e/n: loss=..., accuracy=..., val_loss=..., 1234 rows/s`. */
  def epochLine(fit: String, epochs: Int, e: EpochMetrics): String =
    s"$fit epoch ${e.epoch}/$epochs: " +
      (figures(e.metrics) :+ f"${e.rowsPerSecond}%.0f rows/s").mkString(", ")

  /** `<fit> done: n epoch(s): loss=..., val_loss=...`, the figures of its last epoch. */
  def fitLine(fit: String, history: Seq[Map[String, Double]]): String =
    s"$fit done: ${history.length} epoch(s)" +
      history.lastOption.fold("")(last => ": " + figures(last).mkString(", "))

  /** Loss first, then metrics, then their validation twins. */
  private def figures(metrics: Map[String, Double]): Seq[String] =
    metrics.toSeq
      .sortBy { case (k, _) => (k.startsWith(TrainingSignatures.ValidationPrefix), k != TrainingSignatures.Loss &&
        k != TrainingSignatures.ValidationPrefix + TrainingSignatures.Loss, k) }
      .map { case (k, v) => f"$k=$v%.6g" }

  def info(line: String): Unit = log.info(line)
  def warn(line: String): Unit = log.warn(line)
}
