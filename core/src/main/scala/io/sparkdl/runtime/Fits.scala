package io.sparkdl.runtime

import java.util.UUID
import java.util.concurrent.LinkedBlockingQueue

import scala.concurrent.ExecutionContext
import scala.util.{Failure, Success, Try}

import org.apache.hadoop.fs.Path
import org.apache.spark.{FutureAction, SparkContext, SparkThrowable}
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sparkdl.SchedulerShim
import org.apache.spark.storage.StorageLevel
import org.apache.spark.util.SerializableConfiguration

import io.sparkdl.tf.InvalidArgumentException

/**
 * One fit to run, as its stage resolved it: `name` (how logs, job descriptions and errors name
 * it), the trainable SavedModel's archive bytes (one broadcast per distinct array), its plan and
 * hyper-parameters, and `checkpointDir`, where a data-parallel fit (`workers` > 1) saves its
 * epochs ("" : a temporary directory of the application, [[Checkpoints.temporaryRoot]]).
 */
private[sparkdl] final case class FitRequest(
    name: String,
    archive: Array[Byte],
    plan: TrainingPlan,
    params: TrainingParams,
    shuffle: Boolean,
    seed: Long,
    skipInvalid: Boolean,
    validationFraction: Double,
    workers: Int,
    checkpointDir: String
)

/** What happened to running fits, in the order it happened: `kind` "epoch" or "fitted". */
private[sparkdl] sealed trait FitEvent {
  def kind: String
  def index: Int // the fit's index among the requests
  def line: String // as the driver logs it (TrainingLog)
}

private[sparkdl] object FitEvent {

  /** Fit `index` finished an epoch. */
  final case class Epoch(index: Int, metrics: EpochMetrics, line: String) extends FitEvent {
    def kind: String = "epoch"
  }

  /** Fit `index` ended: its model (as the caller's `fitted` made it) and history. */
  final case class Fitted[M](index: Int, model: M, history: Seq[EpochMetrics], line: String) extends FitEvent {
    def kind: String = "fitted"
  }
}

/**
 * Runs fits, and is how their caller follows them: the one place that caches the training rows
 * (once for every fit), broadcasts each distinct model once, submits one training job per fit at
 * once (each described by its fit's name), hears their epochs ([[TrainingProgress]]), retries a
 * data-parallel fit from its checkpoints, and on the first failure cancels the other fits.
 *
 * It all runs in a driver thread of its own, started here, which inherits the caller's job group
 * and local properties. [[next]] blocks until the next event; after the last fit's event
 * [[hasNext]] is false. A failure (a fit's own, or its jobs cancelled by anyone, e.g.
 * `SparkContext.cancelAllJobs` from PySpark's Ctrl-C handler) is thrown by [[next]] as the task
 * threw it ([[Fits.taskError]]). `fitted(i, result)` turns fit i's result into the caller's model.
 */
private[sparkdl] final class Fits[M](
    rows: RDD[InternalRow], // the selected columns of every fit, not cached yet
    requests: IndexedSeq[FitRequest],
    owner: String, // the stage, as errors and the cache job's description name it
    fitted: (Int, FitResult) => M
) {
  private val sc: SparkContext = rows.sparkContext
  private val events = new LinkedBlockingQueue[Try[Option[FitEvent]]]() // None: all cleaned up
  @volatile private var left = requests.length // fitted events not yet taken
  @volatile private var failed = false

  private val thread = new Thread(() => {
    val end = Try(run()).map(_ => None)
    events.put(end.recoverWith { case e => Failure(Fits.taskError(e)) })
  }, s"sparkdl-fits-$owner")
  thread.setDaemon(true)
  if (requests.nonEmpty) thread.start()

  /** Whether a fit has not ended yet (false too once [[next]] threw). Never blocks. */
  def hasNext: Boolean = left > 0 && !failed

  /**
   * The next event: blocks until a fit finishes an epoch or ends. Throws the first failure (the
   * other fits cancelled). After the last fit's event, the cache and checkpoints are gone.
   */
  def next(): FitEvent = synchronized {
    if (!hasNext) throw new NoSuchElementException(s"$owner: no fit is left")
    take() match {
      case f: FitEvent.Fitted[_] =>
        left -= 1
        if (left == 0) take() // the run's end: everything it made is cleaned up
        f
      case e => e
    }
  }

  private def take(): FitEvent = events.take() match {
    case Success(Some(e)) => e
    case Success(None) => null
    case Failure(e) =>
      failed = true
      throw e
  }

  private def run(): Unit = {
    val names = requests.map(_.name)
    val cached = rows.persist(StorageLevel.MEMORY_AND_DISK)
    val workerRows = scala.collection.mutable.ArrayBuffer.empty[RDD[_]]
    val run = UUID.randomUUID().toString // this run's checkpoints: never an older run's
    lazy val hadoopConf = new SerializableConfiguration(sc.hadoopConfiguration)
    val temporary = Option.when(requests.exists(r => r.workers > 1 && r.checkpointDir.isEmpty)) {
      Checkpoints.temporaryRoot(sc).map(root => new Path(root, s"sparkdl-fits-$run"))
    }.flatten
    val progress = new TrainingProgress(sc, names, (i, e) => {
      val line = TrainingLog.epochLine(names(i), requests(i).params.epochs, e)
      TrainingLog.info(line)
      events.put(Success(Some(FitEvent.Epoch(i, e, line))))
    })
    try {
      sc.setJobDescription(s"sparkdl $owner: caching the training rows of ${requests.length} fit(s)")
      val (all, counts) = TrainingRows.count(cached, requests.map(r => Option.when(r.skipInvalid)(r.plan)))
      val total = all.sum
      if (total == 0) throw new IllegalArgumentException(s"$owner: the dataset has no rows to train on")
      val broadcasts = new java.util.IdentityHashMap[Array[Byte], Broadcast[Array[Byte]]]()
      val fits = requests.indices.map { i =>
        val r = requests(i)
        val trainRows = checkedTrainRows(r, counts(i), total)
        FitSpec(r.name, broadcasts.computeIfAbsent(r.archive, a => sc.broadcast(a)), r.plan, r.params, r.shuffle,
          r.seed, r.skipInvalid, counts(i).perPartition, trainRows, progress.accumulators(i), r.workers,
          checkpoints(r, i, run, temporary, hadoopConf))
      }
      // One-worker fits share one RDD (task i trains fit i); each data-parallel fit is its own
      // barrier stage over its own rows, one partition per worker (WorkerRows).
      val single = new TrainingRDD(cached, fits.length, new FitTask(fits))
      val perWorker = fits.map(f => Option.when(f.workers > 1)(WorkerRows(cached, f)))
      workerRows ++= perWorker.flatten
      val results = new Array[FitResult](fits.length)
      val ended = new LinkedBlockingQueue[(Int, Try[Unit])]()
      val attempts = Array.fill(fits.length)(1)
      def submit(i: Int, fit: FitSpec): FutureAction[Unit] = {
        val workers = if (fit.workers > 1) s" on ${fit.workers} workers" else ""
        val attempt = if (attempts(i) > 1) {
          s" (attempt ${attempts(i)} of 3, from " + fit.resumeEpoch.fold("the start")(n => s"epoch $n") + ")"
        } else ""
        sc.setJobDescription(
          s"sparkdl ${names(i)}: ${fit.params.epochs} epoch(s) over ${fit.trainRows} rows$workers$attempt")
        val job = perWorker(i) match {
          case None => sc.submitJob[FitResult, FitResult, Unit](single, _.next(), Seq(i), (_, r) => results(i) = r, ())
          case Some(data) =>
            val rdd = new TrainingRDD(data, fit.workers, new DistributedFitTask(fit)).barrier().mapPartitions(it => it)
            sc.submitJob[FitResult, FitResult, Unit](rdd, _.next(), 0 until fit.workers,
              (w, r) => if (w == 0) results(i) = r, ())
        }
        job.onComplete(t => ended.put(i -> t))(ExecutionContext.parasitic)
        job
      }
      val jobs = Array.tabulate[FutureAction[Unit]](fits.length)(i => submit(i, fits(i)))
      var running = fits.length
      try {
        while (running > 0) ended.take() match {
          case (i, Failure(e)) if retryable(fits(i), attempts(i), e) =>
            // The driver picks the checkpoint, so every worker of the retry starts from the same one.
            val from = fits(i).checkpoints.get.latest()
            attempts(i) += 1
            TrainingLog.warn(s"${names(i)}: attempt ${attempts(i)} of 3, from " +
              from.fold("the start")(n => s"epoch $n (its checkpoint)") + ", after: " +
              Option(e.getMessage).fold("")(_.linesIterator.next()))
            jobs(i) = submit(i, fits(i).copy(resumeEpoch = from))
          case (i, Success(_)) =>
            running -= 1
            fits(i).checkpoints.foreach(_.delete())
            progress.finished(i)
            val history = results(i).history
            val line = TrainingLog.fitLine(names(i), history.map(_.metrics))
            events.put(Success(Some(FitEvent.Fitted(i, fitted(i, results(i)), history, line))))
          case (_, Failure(e)) => throw e
        }
      } catch {
        case e: Throwable =>
          jobs.foreach(_.cancel())
          throw e
      }
    } finally {
      progress.close()
      cached.unpersist(blocking = false)
      workerRows.foreach(_.unpersist(blocking = false))
      temporary.foreach(dir => Try(dir.getFileSystem(sc.hadoopConfiguration).delete(dir, true)))
    }
  }

  // Keras' validation_split rule, in the same double arithmetic: floor(n * (1 - f)) rows train;
  // and what a data-parallel fit needs of its rows and of the cluster.
  private def checkedTrainRows(r: FitRequest, counts: TrainingRows.Counts, total: Long): Long = {
    def fail(message: String) = throw new IllegalArgumentException(s"${r.name}: $message")
    val n = counts.total
    if (n == 0) {
      fail(s"all $total rows are invalid, and handleInvalid 'skip' dropped them; the first: " +
        counts.firstInvalid.getOrElse("?"))
    }
    val f = r.validationFraction
    val trainRows = if (f == 0.0) n else math.floor(n * (1.0 - f)).toLong
    if (f > 0.0 && (trainRows == 0 || trainRows == n)) {
      fail(s"validationFraction $f splits $n row(s) into $trainRows to train and ${n - trainRows} " +
        "to validate; expected both sides non-empty, as Keras' validation_split (whose first " +
        "floor(n * (1 - f)) rows train): provide more rows or another fraction")
    }
    val workers = r.workers
    if (workers > 1) {
      if (r.params.batchSize < workers) {
        fail(s"batchSize ${r.params.batchSize} is smaller than numWorkers $workers; expected a global batch of " +
          "at least one row per worker")
      }
      if (trainRows < workers) {
        fail(s"$trainRows training row(s) for numWorkers $workers; expected at least one row per worker")
      }
      val slots = SchedulerShim.taskSlots(sc)
      if (workers > slots) {
        fail(s"numWorkers $workers needs $workers task slots at once (one barrier stage); the cluster has " +
          s"$slots now: lower numWorkers or add executors")
      }
    }
    trainRows
  }

  // A data-parallel fit's checkpoints: under its checkpointDir, else under the run's temporary
  // directory (none: no checkpoints, no retries, said once in the log).
  private def checkpoints(
      r: FitRequest,
      i: Int,
      run: String,
      temporary: Option[Path],
      hadoopConf: => SerializableConfiguration
  ): Option[Checkpoints] =
    if (r.workers == 1) None
    else if (r.checkpointDir.nonEmpty) {
      Some(Checkpoints(new Path(r.checkpointDir, s"sparkdl-$run-$i").toString, hadoopConf)).map(c => { c.create(); c })
    } else temporary match {
      case Some(dir) => Some(Checkpoints(new Path(dir, s"fit-$i").toString, hadoopConf)).map(c => { c.create(); c })
      case None =>
        TrainingLog.warn(s"${r.name}: no checkpoints, so no retries of a failed worker: the master " +
          s"${sc.master} has no directory all executors can read by default (the default filesystem is " +
          "local); set checkpointDir, or SparkContext.setCheckpointDir, to a shared directory")
        None
    }

  // A data-parallel fit with checkpoints is retried (3 attempts in all) unless it failed on its
  // own terms, which would fail again (its data: IllegalArgumentException, or TF's
  // INVALID_ARGUMENT from an op of its step; or a diverging loss),
  // or someone cancelled its job. A barrier stage's abort keeps the task's error only as text
  // (Spark passes the job no exception): its stack trace, causes included, in the message.
  private def retryable(fit: FitSpec, attempt: Int, e: Throwable): Boolean =
    fit.checkpoints.isDefined && attempt < 3 &&
      !Iterator.iterate(e)(_.getCause).takeWhile(_ != null).exists {
        case _: IllegalArgumentException | _: TrainingDivergedException | _: InvalidArgumentException => true
        case s: SparkThrowable if s.getCondition == "SPARK_JOB_CANCELLED" => true
        case t => Option(t.getMessage).exists(m => Fits.OwnFailure.findFirstIn(m).isDefined)
      }
}

private[sparkdl] object Fits {

  // In a task's stack trace as text: an error of the fit's own, thrown or a cause.
  private val OwnFailure =
    ("""(?m)^(Caused by: )?(java\.lang\.IllegalArgumentException|""" +
      """io\.sparkdl\.runtime\.TrainingDivergedException|io\.sparkdl\.tf\.InvalidArgumentException)\b""").r

  /**
   * A training job's failure as the user should see it: our own errors from the task (a NaN loss,
   * a bad row) rather than Spark's "Job aborted" wrapper, which keeps them only in its message.
   */
  def taskError(e: Throwable): Throwable = {
    val causes = Iterator.iterate(e)(_.getCause).takeWhile(_ != null).toSeq
    causes.collectFirst { case t: WorkerFailedException => t }
      .orElse(causes.collectFirst {
        case t: TrainingDivergedException => t
        case t: IllegalArgumentException => t
      })
      .getOrElse(e)
  }
}
