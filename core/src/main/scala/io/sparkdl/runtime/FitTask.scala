package io.sparkdl.runtime

import org.apache.spark.TaskContext
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.sql.catalyst.InternalRow

import io.sparkdl.tf.SessionConfig

/** The result of one fit: the trained SavedModel's archive bytes and the per-epoch history. */
private[sparkdl] final case class FitResult(archive: Array[Byte], history: Seq[EpochMetrics])

/**
 * One fit of a [[FitTask]]: its model (SavedModel archive bytes, broadcast once per distinct model),
 * its plan and hyper-parameters, the rows it reads (every cached row, or with `skipInvalid` those
 * its plan can feed: `counts` of them per partition, [[TrainingRows]]), how it orders and splits
 * them (rows with an index below `trainRows` among those it reads train, the rest validate, as
 * Keras' validation_split trains on the first rows), the accumulator its epochs are reported
 * through, and `name`, how log lines and errors name it.
 */
private[sparkdl] final case class FitSpec(
    name: String,
    model: Broadcast[Array[Byte]],
    plan: TrainingPlan,
    params: TrainingParams,
    shuffle: Boolean,
    seed: Long,
    skipInvalid: Boolean,
    counts: Array[Long],
    trainRows: Long,
    progress: EpochAccumulator,
    workers: Int = 1,
    checkpoints: Option[Checkpoints] = None, // data-parallel: where worker 0 saves each epoch
    resumeEpoch: Option[Int] = None // a retry: the checkpoint every worker starts from
)

/**
 * Fits as training tasks: task i trains `fits(i)` over the cached rows. Each epoch visits the
 * training partitions in order, or, with `shuffle`, in a seeded order with their rows shuffled too
 * (one partition held at a time).
 */
private[sparkdl] final class FitTask(fits: Seq[FitSpec]) extends TrainingTask[FitResult] {

  def apply(index: Int, partitions: Int, read: Int => Iterator[InternalRow]): FitResult = {
    val fit = fits(index)
    val rows = new FitRows(fit, partitions, read)
    val cpus = Option(TaskContext.get()).map(_.cpus()).getOrElse(1)
    val trainer = new Trainer(fit.model.value, fit.plan, SessionConfig(cpus, -1))
    try {
      val history = trainer.fit(
        fit.params,
        epoch => rows.range(0, fit.trainRows, fit.shuffle, new scala.util.Random(fit.seed * 31 + epoch)),
        () => rows.range(fit.trainRows, rows.total, shuffle = false, null),
        e => fit.progress.add(e),
        fit.name
      )
      FitResult(trainer.trainedArchive(), history)
    } finally trainer.close()
  }
}

/**
 * The rows a fit reads, by their index among them (partition after partition): `range(from,
 * until)` reads the partitions holding those rows only, in order, or with `shuffle` in `random`'s
 * order with their rows shuffled too (one partition held at a time).
 */
private[sparkdl] final class FitRows(fit: FitSpec, partitions: Int, read: Int => Iterator[InternalRow]) {
  private val counts = fit.counts
  private val starts = counts.scanLeft(0L)(_ + _)
  val total: Long = starts.last

  // The rows the fit reads of partition p with their index in [from, until).
  private def slice(p: Int, from: Long, until: Long): Iterator[InternalRow] = {
    val lo = math.max(from - starts(p), 0L)
    val hi = math.min(until - starts(p), counts(p))
    if (lo >= hi) Iterator.empty
    else TrainingRows.read(read(p), fit.plan, fit.skipInvalid).slice(lo.toInt, hi.toInt)
  }

  def range(from: Long, until: Long, shuffle: Boolean, random: scala.util.Random): Iterator[InternalRow] = {
    val order = if (shuffle) random.shuffle((0 until partitions).toVector) else 0 until partitions
    order.iterator.flatMap { p =>
      val rows = slice(p, from, until)
      if (shuffle) random.shuffle(rows.map(_.copy()).toVector).iterator else rows
    }
  }
}
