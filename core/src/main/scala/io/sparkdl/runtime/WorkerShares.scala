package io.sparkdl.runtime

/**
 * How `workers` data-parallel workers share an epoch of `rows` training rows in global batches of
 * `batchSize` rows, so that every worker runs the same steps: worker w takes a contiguous range of
 * the rows (in the order one worker would read them), in local batches of `batchSize / workers`
 * rows (the first `batchSize % workers` workers one more); the last, incomplete global batch of
 * r rows is shared the same way (r / workers each, the first r % workers one more) when r is at
 * least `workers`, and is dropped (its r rows train in no step) when it is smaller, since a worker
 * cannot take a step on no rows. No row is used twice; no other row is dropped.
 */
private[sparkdl] final case class WorkerShares(rows: Long, batchSize: Int, workers: Int) {
  require(workers >= 1 && batchSize >= workers, s"a global batch of $batchSize rows for $workers workers")

  /** Full global batches, and the rows of the last incomplete one (0: none). */
  val fullSteps: Long = rows / batchSize
  val remainder: Int = (rows % batchSize).toInt

  /** Rows of the last global batch that train in no step (fewer than the workers). */
  val dropped: Int = if (remainder >= workers) 0 else remainder

  /** Steps of an epoch, the same for every worker. */
  val steps: Long = fullSteps + (if (remainder >= workers) 1 else 0)

  private def split(n: Int, w: Int): Int = n / workers + (if (w < n % workers) 1 else 0)

  /** Worker w's rows in step s (0-based). */
  def stepRows(w: Int, s: Long): Int = if (s < fullSteps) split(batchSize, w) else split(remainder - dropped, w)

  /** Worker w's rows in an epoch. */
  def workerRows(w: Int): Long = fullSteps * split(batchSize, w) + split(remainder - dropped, w)

  /** Where worker w's range starts among the rows. */
  def start(w: Int): Long = (0 until w).map(v => workerRows(v)).sum
}

/** How `workers` workers share `rows` held-out rows: contiguous ranges, as even as can be. */
private[sparkdl] object ValidationShares {
  def range(rows: Long, workers: Int, w: Int): (Long, Long) = {
    def start(v: Int): Long = v * (rows / workers) + math.min(v.toLong, rows % workers)
    (start(w), start(w + 1))
  }
}
