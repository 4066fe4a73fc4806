package io.sparkdl.runtime

import org.apache.spark.{BarrierTaskContext, TaskContext}
import org.apache.spark.sql.catalyst.InternalRow

import io.sparkdl.tf.{CancelledException, SessionConfig, TfException}

/** A data-parallel worker failed: names the fit and the worker, with the worker's error as cause. */
final class WorkerFailedException(message: String, cause: Throwable) extends RuntimeException(message, cause)

/**
 * One fit trained by `fit.workers` data-parallel workers, the tasks of one barrier stage: task w
 * is worker w and reads only partition w of its data ([[WorkerRows]]: its share of the training
 * rows, then of the validation rows), local batches making up global batches of `batchSize` rows
 * ([[WorkerShares]]; with `shuffle`, the worker shuffles its own rows each epoch). It runs on a TF
 * server of its JVM ([[CollectiveServers]]) in a collective group of all the workers and
 * all-reduces every step (the model's `train_step_allreduce`), so every worker's variables stay
 * equal to the others'. Worker 0 returns the trained model and reports the epochs; the others
 * return the history only.
 */
private[sparkdl] final class DistributedFitTask(fit: FitSpec) extends TrainingTask[FitResult] {

  def apply(index: Int, partitions: Int, read: Int => Iterator[InternalRow]): FitResult = {
    val context = TaskContext.get() match {
      case b: BarrierTaskContext => b
      case _ => throw new IllegalStateException(s"${fit.name}: a data-parallel worker runs in a barrier stage")
    }
    val workers = fit.workers
    val worker = index
    val shares = WorkerShares(fit.trainRows, fit.params.batchSize, workers)
    val trainRows = shares.workerRows(worker)
    // The group key is the stage's (the same on every worker, another for any other fit or
    // attempt), so a reused server never mixes this fit's collectives with an earlier one's.
    val group = CollectiveGroup(workers, (context.stageId() * 64 + context.stageAttemptNumber() % 64) + 1)
    try {
      val server = CollectiveServers.acquire(context, context.cpus())
      val result = try {
        // A retry resumes from the checkpoint the driver chose (the same for every worker).
        val (archive, resumed) = fit.resumeEpoch.fold((fit.model.value, Seq.empty[EpochMetrics])) { e =>
          fit.checkpoints.get.load(e)
        }
        val trainer = new Trainer(archive, fit.plan, SessionConfig(context.cpus(), 0, server = Some(server)),
          Some(group))
        val watch = new KilledTaskWatch(context, () => trainer.cancel())
        try {
          def train(epoch: Int): Iterator[InternalRow] = {
            val rows = read(worker).take(trainRows.toInt)
            if (!fit.shuffle) rows
            else new scala.util.Random((fit.seed * 31 + epoch) * 31 + worker).shuffle(rows.map(_.copy()).toVector).iterator
          }
          val epochs = scala.collection.mutable.ArrayBuffer.from(resumed)
          if (worker == 0) resumed.foreach(fit.progress.add)
          val history = trainer.fit(
            fit.params,
            train,
            () => read(worker).drop(trainRows.toInt),
            e => if (worker == 0) {
              epochs += e
              fit.checkpoints.foreach(_.save(e.epoch, trainer.trainedArchive(), epochs.toSeq))
              fit.progress.add(e)
            },
            fit.name,
            Some(s => shares.stepRows(worker, s)),
            resumed
          )
          FitResult(if (worker == 0) trainer.trainedArchive() else Array.emptyByteArray, history)
        } finally try watch.close() finally trainer.close()
      } catch {
        // A failed or cancelled step may have aborted the server's collectives, which TF never
        // resets: a later fit on it would fail with this one's error. It is left unused.
        case e: Throwable => CollectiveServers.discard(server); throw e
      }
      CollectiveServers.release(Seq(server))
      result
    } catch {
      case e: TrainingDivergedException => throw e // every worker sees the same global loss
      case e: Throwable =>
        val hint = if (!abortedByPeer(e)) "" else {
          // TF aborts a step's collective on every worker when one worker's step fails, so this
          // worker may fail at about the same time as the one whose error the fit must report.
          // Spark reports the first failed task: give the other worker's failure time to come
          // first, which kills this task (its error then goes nowhere).
          PeerFailure.await(context)
          " (its all-reduce failed: another worker most likely failed or was lost)"
        }
        throw new WorkerFailedException(s"${fit.name}: worker $worker of $workers failed$hint: ${e.getMessage}", e)
    }
  }

  private def abortedByPeer(e: Throwable): Boolean = e match {
    case _: CancelledException => true
    case t: TfException => Option(t.getMessage).exists(_.contains("Collective"))
    case _ => false
  }
}

/** How long a worker whose all-reduce failed waits for its task to be killed by another's failure. */
private object PeerFailure {
  val GraceNanos: Long = 30L * 1000 * 1000 * 1000

  def await(context: TaskContext): Unit = {
    val deadline = System.nanoTime() + GraceNanos
    while (!context.isInterrupted() && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(20L * 1000 * 1000)
    }
  }
}

/**
 * Cancels a worker's TF session when Spark kills its task (another worker failed, the job was
 * cancelled): the worker is then most likely blocked in a collective, in native code that no
 * thread interrupt reaches, waiting for a worker that will not come. Checks every 100 ms.
 */
private final class KilledTaskWatch(context: TaskContext, cancel: () => Unit) extends AutoCloseable {
  @volatile private var done = false
  private val thread = new Thread(() => {
    while (!done && !context.isInterrupted()) {
      java.util.concurrent.locks.LockSupport.parkNanos(100L * 1000 * 1000)
    }
    if (!done) cancel()
  }, s"sparkdl worker watch (task ${context.taskAttemptId()})")
  thread.setDaemon(true)
  thread.start()

  override def close(): Unit = {
    done = true
    java.util.concurrent.locks.LockSupport.unpark(thread)
    thread.join()
  }
}
