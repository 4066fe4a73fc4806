package io.sparkdl.runtime

import org.apache.spark.{SparkEnv, TaskContext}
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.sql.catalyst.InternalRow

import io.sparkdl.model.{ModelSource, Plan}
import io.sparkdl.tf.{PreparedRun, SessionConfig, Tensor, TfException}

/**
 * What an executor needs to run a plan: the plan, the model (broadcast once per call), how TF
 * compiles it, and TF thread settings (None: the task's cores for intra-op, and TF's -1 inter-op:
 * ops run on the task's own thread).
 */
private[sparkdl] final case class ShippedPlan(
    plan: Plan,
    model: Broadcast[ModelSource],
    compute: ComputeMode,
    intraOpThreads: Option[Int] = None,
    interOpThreads: Option[Int] = None
)

/**
 * Runs a plan's graph on blocks (or single rows) of internal rows, in one task: the session comes
 * from the executor's [[SessionCache]] and is released when the task ends.
 */
private[sparkdl] final class ModelRunner(shipped: ShippedPlan) extends AutoCloseable {
  private val plan = shipped.plan
  private val lease =
    try {
      SessionCache.acquire(
        plan.modelKey,
        ModelRunner.taskConfig(shipped.intraOpThreads, shipped.interOpThreads, shipped.compute),
        shipped.model.value
      )
    } catch {
      case e: TfException =>
        val where = Option(SparkEnv.get).map(env => s" on executor ${env.executorId}").getOrElse("")
        throw ModelRunner.withContext(e, plan.names.error(
          s"the ${shipped.model.value.describe} could not be loaded$where: ${e.getMessage}"))
    }
  private val run: PreparedRun =
    try {
      val graph = lease.model.graph
      lease.model.session.prepare(
        plan.feeds.map(f => graph.output(f.placeholder)),
        plan.fetches.map(f => graph.output(f.tensor))
      )
    } catch { case e: Throwable => lease.release(); throw e } // a failed prepare must not pin the model
  private val rowValidator =
    new RowValidator(plan.feeds.map(f => new CellValidator(f.column, f.cell, plan.names)).toArray)
  private val writers = plan.feeds.map(f => new TensorWriter(f.column, f.dtype)).toArray

  Option(TaskContext.get()).foreach(_.addTaskCompletionListener[Unit](_ => close()))

  def startBlock(): Unit = rowValidator.startBlock()

  /** None when the row is valid on its own (see [[CellValidator]]), else what is wrong with it. */
  def check(row: InternalRow): Option[String] = rowValidator.check(row)

  /** Whether the row last checked has the current block's cell shapes. */
  def fitsBlock: Boolean = rowValidator.fitsBlock

  /** Takes the row last checked into the block (its shapes become the block's). */
  def accept(): Unit = rowValidator.accept()

  /** Runs the graph on `rows(0 until n)` (checked since [[startBlock]]); the caller owns the
   * fetched tensors. With `leading = false`, n must be 1 and placeholders take the bare cell. */
  def runBlock(rows: Array[InternalRow], n: Int, leading: Boolean = true): Array[Tensor] =
    runFeeds(i => writers(i).write(rows, n, rowValidator.cellShape(i), leading))

  /** Runs the graph on one cell per placeholder: placeholder i takes its column of `rows(i)`. */
  def runCells(rows: Array[InternalRow]): Array[Tensor] = {
    val one = new Array[InternalRow](1)
    runFeeds { i => one(0) = rows(i); writers(i).write(one, 1, rowValidator.cellShape(i), leading = false) }
  }

  /** Checks `rows(i)` against placeholder i's column alone (see [[runCells]]). */
  def checkCells(rows: Array[InternalRow]): Option[String] = {
    var i = 0
    while (i < rowValidator.length) {
      val problem = rowValidator.checkAlone(i, rows(i))
      if (problem.isDefined) return problem
      i += 1
    }
    None
  }

  private def runFeeds(feed: Int => Tensor): Array[Tensor] = {
    val feeds = new Array[Tensor](writers.length)
    try {
      var i = 0
      while (i < writers.length) { feeds(i) = feed(i); i += 1 }
      run.run(feeds)
    } catch {
      // TF names its nodes; the user knows their columns: say which fed this run.
      case e: TfException => throw ModelRunner.withContext(e, plan.names.error(s"TensorFlow failed " +
        s"running the model, fed ${feedNames}, fetching ${fetchNames}: ${e.getMessage}"))
    } finally feeds.foreach(t => if (t != null) t.close())
  }

  private def feedNames: String =
    plan.feeds.map(f => s"${plan.names.input(f.placeholder)} from ${plan.names.column(f.column.name)}").mkString(", ")

  private def fetchNames: String = plan.fetches.map(f => plan.names.output(f.tensor)).mkString(", ")

  override def close(): Unit = lease.release()
}

private[sparkdl] object ModelRunner {

  /**
   * TF threads for a task: its cores within each op, and one op at a time on the task's own
   * thread (TF's -1), so concurrent tasks never queue behind TF's process-wide op pool.
   */
  def taskConfig(intraOverride: Option[Int], interOverride: Option[Int], compute: ComputeMode): SessionConfig = {
    val cpus = Option(TaskContext.get()).map(_.cpus()).getOrElse(1)
    SessionConfig(intraOverride.getOrElse(cpus), interOverride.getOrElse(-1), compute.optimization, compute.precision)
  }

  /** `e` as the same kind of TF error with `message`; `e` (and its native stack) suppressed in
   * it, as TfException's constructor fixes the cause. */
  private def withContext(e: TfException, message: String): TfException = {
    val wrapped = TfException.of(e.code, message)
    wrapped.addSuppressed(e)
    wrapped
  }
}
