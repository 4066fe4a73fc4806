package io.sparkdl.runtime

import org.apache.spark.Partitioner
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.storage.StorageLevel

/**
 * The rows of a data-parallel fit, one partition per worker: partition w holds worker w's share
 * of the training rows ([[WorkerShares]]) then of the validation rows ([[ValidationShares]]), each
 * in the order one worker would read them. Made by one shuffle of the cached rows keyed by each
 * row's index among the fit's rows (Spark's barrier stages take no parent with another number of
 * partitions than their tasks), and cached as the workers read it, so later epochs read their
 * own executor's blocks.
 */
private[sparkdl] object WorkerRows {

  def apply(rows: RDD[InternalRow], fit: FitSpec): RDD[InternalRow] = {
    val workers = fit.workers
    val shares = WorkerShares(fit.trainRows, fit.params.batchSize, workers)
    val total = fit.counts.sum
    val starts = fit.counts.scanLeft(0L)(_ + _)
    val trainUntil = fit.trainRows - shares.dropped // the last incomplete global batch may not train
    val (plan, skip) = (fit.plan, fit.skipInvalid)
    val keyed = rows.mapPartitionsWithIndex { (p, it) =>
      var i = starts(p) - 1
      TrainingRows.read(it, plan, skip).map { r => i += 1; (i, r) }
        .filter { case (index, _) => index < trainUntil || index >= fit.trainRows }
    }
    keyed.repartitionAndSortWithinPartitions(new WorkerPartitioner(shares, fit.trainRows, total - fit.trainRows))
      .map(_._2)
      .persist(StorageLevel.MEMORY_AND_DISK)
  }
}

/** A row's worker by its index among the fit's rows: training rows by range, then validation. */
private final class WorkerPartitioner(shares: WorkerShares, trainRows: Long, validationRows: Long)
    extends Partitioner {
  private val starts = (0 to shares.workers).map(w => if (w == shares.workers) Long.MaxValue else shares.start(w)).toArray
  private val validationStarts = (0 to shares.workers).map(w =>
    if (w == shares.workers) Long.MaxValue else ValidationShares.range(validationRows, shares.workers, w)._1).toArray

  override def numPartitions: Int = shares.workers

  override def getPartition(key: Any): Int = {
    val index = key.asInstanceOf[Long]
    // The last worker whose range starts at or before i (ranges may be empty; workers are few).
    def find(bounds: Array[Long], i: Long): Int = {
      var w = 0
      while (w + 1 < shares.workers && bounds(w + 1) <= i) w += 1
      w
    }
    if (index < trainRows) find(starts, index) else find(validationStarts, index - trainRows)
  }
}
