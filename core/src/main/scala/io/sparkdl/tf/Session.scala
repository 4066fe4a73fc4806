package io.sparkdl.tf

import java.util.concurrent.locks.ReentrantReadWriteLock

import io.sparkdl.jni.NativeBindings

/**
 * A TensorFlow session over a graph. [[run]] is thread-safe; [[close]] is idempotent and waits for
 * runs in flight. Feeds are checked against the graph's static dtypes and shapes before they cross
 * to native code; fetched tensors belong to the caller.
 */
final class Session private[tf] (val graph: Graph, nativeHandle: Long) extends AutoCloseable {
  private val lock = new ReentrantReadWriteLock()
  @volatile private var closed = false
  NativeObjects.sessions.increment()

  /** Runs the graph once: feeds by output, fetches by output, targets run for their effects. */
  def run(
      feeds: Seq[(Output, Tensor)],
      fetches: Seq[Output],
      targets: Seq[Operation] = Nil
  ): IndexedSeq[Tensor] =
    prepare(feeds.map(_._1), fetches, targets).run(feeds.map(_._2).toArray).toIndexedSeq

  /** Runs the graph once with feeds and fetches by tensor name ("op:0" or "op"). */
  def run(feeds: Map[String, Tensor], fetches: Seq[String]): IndexedSeq[Tensor] =
    run(feeds.toSeq.map { case (n, t) => graph.output(n) -> t }, fetches.map(graph.output))

  /** For Java and Python callers: parallel arrays of feed names and tensors. */
  def run(feedNames: Array[String], feedTensors: Array[Tensor], fetchNames: Array[String]): Array[Tensor] = {
    if (feedNames.length != feedTensors.length) {
      throw new IllegalArgumentException(s"${feedNames.length} feed names for ${feedTensors.length} tensors")
    }
    prepare(feedNames.toSeq.map(graph.output), fetchNames.toSeq.map(graph.output)).run(feedTensors)
  }

  /** Resolves feeds, fetches and targets once, for many runs with different feed tensors. */
  def prepare(feeds: Seq[Output], fetches: Seq[Output], targets: Seq[Operation] = Nil): PreparedRun = {
    (feeds ++ fetches).foreach(o => checkGraph(o.op))
    targets.foreach(checkGraph)
    new PreparedRun(this, feeds.toIndexedSeq, fetches.toIndexedSeq, targets.toIndexedSeq)
  }

  private[tf] def runNative(
      feedOps: Array[Long],
      feedIndices: Array[Int],
      feedTensors: Array[Long],
      fetchOps: Array[Long],
      fetchIndices: Array[Int],
      targetOps: Array[Long]
  ): Array[Long] = {
    val out = new Array[Long](fetchOps.length)
    val read = lock.readLock()
    read.lock()
    try {
      if (closed) throw new IllegalStateException("Session is closed")
      Native.call(
        NativeBindings.sessionRun(nativeHandle, feedOps, feedIndices, feedTensors, fetchOps, fetchIndices, targetOps, out)
      )
    } finally read.unlock()
    out
  }

  def isClosed: Boolean = closed

  /**
   * Cancels the runs in flight, which end with a [[TfException]] (CANCELLED), and makes later runs
   * fail (TF closes its session; [[close]] still frees it). For another thread than the runs':
   * a run blocked in a collective waiting for workers that will never come, say. A session on a
   * server ([[SessionConfig]]'s `server`) connects to it on its first run (a SavedModel's load
   * runs one): cancelling one that never ran does nothing.
   */
  def cancel(): Unit = {
    val read = lock.readLock()
    read.lock()
    try if (!closed) Native.call(NativeBindings.sessionCancel(nativeHandle))
    finally read.unlock()
  }

  /**
   * Whether `thread` waits for this session's lock: a [[close]] waiting for runs in flight, or a
   * run waiting for a close. Lets tests observe the waiting instead of sleeping on it.
   */
  private[tf] def isWaiting(thread: Thread): Boolean = lock.hasQueuedThread(thread)

  override def close(): Unit = {
    val write = lock.writeLock()
    write.lock()
    try {
      if (!closed) {
        closed = true
        try Native.call(NativeBindings.sessionDelete(nativeHandle))
        finally NativeObjects.sessions.decrement()
      }
    } finally write.unlock()
  }

  private def checkGraph(op: Operation): Unit =
    if (op.graph ne graph) throw new IllegalArgumentException(s"$op belongs to another graph")
}

object Session {

  /** A session over `graph`; closing the session leaves the graph to its owner. */
  def apply(graph: Graph, config: SessionConfig = SessionConfig()): Session = {
    new Session(graph, Native.call(NativeBindings.sessionNew(graph.handle, config.toConfigProto, config.target)))
  }
}

/**
 * A run with resolved feeds, fetches and targets: each [[run]] is one native call. Feed tensors
 * are checked against the graph's static dtypes and shapes first.
 */
final class PreparedRun private[tf] (
    val session: Session,
    val feeds: IndexedSeq[Output],
    val fetches: IndexedSeq[Output],
    val targets: IndexedSeq[Operation]
) {
  private val feedOps = feeds.map(_.op.handle).toArray
  private val feedIndices = feeds.map(_.index).toArray
  private val feedDTypes = feeds.map(_.dtypeCode).toArray
  private val feedShapes = feeds.map(_.shape).toArray
  private val fetchOps = fetches.map(_.op.handle).toArray
  private val fetchIndices = fetches.map(_.index).toArray
  private val targetOps = targets.map(_.handle).toArray

  /**
   * Runs once; the fetched tensors, in order, belong to the caller. The feed tensors are in use
   * until the run returns: closing one meanwhile waits for the run.
   */
  def run(feedTensors: Array[Tensor]): Array[Tensor] = {
    if (feedTensors.length != feeds.length) {
      throw new IllegalArgumentException(s"expected ${feeds.length} feed tensors, got ${feedTensors.length}")
    }
    var i = 0
    while (i < feedTensors.length) { checkFeed(i, feedTensors(i)); i += 1 }
    val handles = new Array[Long](feedTensors.length)
    var used = 0
    val fetched =
      try {
        while (used < feedTensors.length) { handles(used) = feedTensors(used).beginUse(); used += 1 }
        session.runNative(feedOps, feedIndices, handles, fetchOps, fetchIndices, targetOps)
      } finally {
        while (used > 0) { used -= 1; feedTensors(used).endUse() }
      }
    val tensors = new Array[Tensor](fetched.length)
    try {
      i = 0
      while (i < fetched.length) { tensors(i) = Tensor.own(fetched(i)); fetched(i) = 0L; i += 1 }
    } catch {
      case e: Throwable =>
        tensors.foreach(t => if (t != null) t.close())
        fetched.foreach(h => if (h != 0L) Tensor.freeUnowned(h))
        throw e
    }
    tensors
  }

  private def checkFeed(i: Int, tensor: Tensor): Unit = {
    if (tensor == null) throw new IllegalArgumentException(s"feed '${feeds(i).name}' is null")
    if (tensor.dtype.code != feedDTypes(i)) {
      throw new InvalidArgumentException(
        s"feed '${feeds(i).name}' expects ${feeds(i).dtype} but got a ${tensor.dtype} tensor ${tensor.shape}"
      )
    }
    if (!feedShapes(i).isCompatibleWith(tensor.shape)) {
      throw new InvalidArgumentException(
        s"feed '${feeds(i).name}' expects shape ${feedShapes(i)} but got a tensor of shape ${tensor.shape}"
      )
    }
  }
}
