package io.sparkdl.runtime

import org.apache.spark.TaskContext
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.sql.catalyst.InternalRow

import io.sparkdl.tf.SessionConfig

/** The result of one fit: the trained SavedModel's archive bytes and the per-epoch history. */
private[sparkdl] final case class FitResult(archive: Array[Byte], history: Seq[EpochMetrics])

/**
 * One fit as a training task: rows with a global index below `trainRows` (in the data's own order;
 * `counts` are the rows per partition) train, the rest validate, as Keras' validation_split
 * holds out the last rows. Each epoch visits the training partitions in order, or, with
 * `shuffle`, in a seeded order with their rows shuffled too (one partition held at a time).
 */
private[sparkdl] final class FitTask(
    model: Broadcast[Array[Byte]],
    plan: TrainingPlan,
    params: Seq[TrainingParams], // one per task
    counts: Array[Long],
    trainRows: Long,
    shuffle: Boolean,
    seed: Long,
    describe: Int => String // how task i's log lines name its fit
) extends TrainingTask[FitResult] {

  def apply(index: Int, partitions: Int, read: Int => Iterator[InternalRow]): FitResult = {
    val cpus = Option(TaskContext.get()).map(_.cpus()).getOrElse(1)
    val starts = counts.scanLeft(0L)(_ + _)
    // The rows of partition p with their global index in [from, until).
    def slice(p: Int, from: Long, until: Long): Iterator[InternalRow] = {
      val lo = math.max(from - starts(p), 0L)
      val hi = math.min(until - starts(p), counts(p))
      if (lo >= hi) Iterator.empty else read(p).slice(lo.toInt, hi.toInt)
    }
    def epochRows(epoch: Int): Iterator[InternalRow] = {
      val random = new scala.util.Random(seed * 31 + epoch)
      val order = if (shuffle) random.shuffle((0 until partitions).toVector) else 0 until partitions
      order.iterator.flatMap { p =>
        val rows = slice(p, 0, trainRows)
        if (shuffle) random.shuffle(rows.map(_.copy()).toVector).iterator else rows
      }
    }
    val total = starts.last
    val trainer = new Trainer(model.value, plan, SessionConfig(cpus, -1))
    try {
      val history = trainer.fit(
        params(index),
        epochRows,
        () => (0 until partitions).iterator.flatMap(p => slice(p, trainRows, total)),
        e => TrainingLog.epoch(describe(index), e)
      )
      FitResult(trainer.trainedArchive(), history)
    } finally trainer.close()
  }
}

/** Log lines of training progress: one per epoch per fit. */
private[sparkdl] object TrainingLog {
  private val log = org.slf4j.LoggerFactory.getLogger("io.sparkdl.training")

  def epoch(fit: String, e: EpochMetrics): Unit =
    log.info(s"$fit epoch ${e.epoch}: " + e.metrics.toSeq.sortBy(_._1).map { case (k, v) => f"$k=$v%.6g" }.mkString(", "))
}
