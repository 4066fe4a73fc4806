package io.sparkdl.tf

import java.nio.charset.StandardCharsets
import java.util.concurrent.atomic.AtomicInteger

import io.sparkdl.jni.NativeBindings

/**
 * A TF gRPC server, task `taskIndex` of the cluster of job `worker` whose tasks are at `cluster`
 * (`host:port` each, this one's included): sessions on it ([[SessionConfig]]'s `server`) place
 * their ops on its own task and run TF's collective ops (`CollectiveReduceV2`) with the other
 * tasks' sessions, task 0 leading each collective group (docs/training.md).
 *
 * TF cannot stop a started server, and deleting one aborts the process: the native server, its
 * port and its threads live as long as the process. [[close]] only marks this object closed (its
 * [[target]] is refused afterwards); the owner that wants to serve another fit on it must not
 * close it.
 */
final class Server private (val cluster: IndexedSeq[String], val taskIndex: Int, handle: Long) extends AutoCloseable {
  @volatile private var closed = false
  private val serverTarget = Native.call(NativeBindings.serverTarget(handle))

  /** `grpc://host:port`: where sessions on this server connect. */
  def target: String = {
    if (closed) throw new IllegalStateException(s"server $serverTarget (task $taskIndex) is closed")
    serverTarget
  }

  /** This task's device name prefix, `/job:worker/replica:0/task:i`. */
  def taskName: String = Server.taskName(taskIndex)

  def isClosed: Boolean = closed

  override def close(): Unit = closed = true

  override def toString: String = s"Server($serverTarget, task $taskIndex of ${cluster.mkString(",")})"
}

object Server {
  val Job = "worker"

  private val count = new AtomicInteger()

  /** How many servers this process has started (none is ever stopped: see [[Server]]). */
  def started: Int = count.get()

  def taskName(index: Int): String = s"/job:$Job/replica:0/task:$index"

  /** ConfigProto.Experimental { collective_group_leader = 1: task 0 }, for servers and sessions. */
  private[tf] def experimental: Array[Byte] = {
    val out = new ProtoWriter
    out.messageField(1, utf8(taskName(0)))
    out.toByteArray
  }

  /**
   * Starts task `taskIndex` of `cluster` (`host:port` each; the port of its own entry is the one it
   * binds, on every interface). `intraOpThreads` and `interOpThreads` size the thread pools its
   * sessions' ops run on; inter-op needs more threads than the collectives that may wait at once
   * (TF's multi-worker tests note hangs otherwise), so it is at least the cluster's size + 1.
   */
  def start(cluster: Seq[String], taskIndex: Int, intraOpThreads: Int = 0, interOpThreads: Int = 0): Server = {
    require(cluster.nonEmpty, "a server's cluster has at least one task")
    require(taskIndex >= 0 && taskIndex < cluster.length, s"task $taskIndex is not one of the ${cluster.length} tasks")
    cluster.foreach { a =>
      require(a.matches("[^:/\\s]+:\\d+") || a.matches("\\[[0-9a-fA-F:.]+\\]:\\d+"), s"'$a' is not host:port")
    }
    val job = new ProtoWriter
    job.messageField(1, utf8(Job))
    cluster.zipWithIndex.foreach { case (address, i) =>
      val entry = new ProtoWriter
      entry.varintField(1, i.toLong)
      entry.messageField(2, utf8(address))
      job.messageField(2, entry.toByteArray)
    }
    val clusterDef = new ProtoWriter
    clusterDef.messageField(1, job.toByteArray)
    val config = new ProtoWriter
    if (intraOpThreads > 0) config.varintField(2, intraOpThreads.toLong)
    config.varintField(5, math.max(interOpThreads, cluster.length + 1).toLong)
    config.messageField(16, experimental)
    val serverDef = new ProtoWriter
    serverDef.messageField(1, clusterDef.toByteArray)
    serverDef.messageField(2, utf8(Job))
    serverDef.varintField(3, taskIndex.toLong)
    serverDef.messageField(4, config.toByteArray)
    serverDef.messageField(5, utf8("grpc"))
    val handle = Native.call(NativeBindings.serverStart(serverDef.toByteArray))
    count.incrementAndGet()
    new Server(cluster.toIndexedSeq, taskIndex, handle)
  }

  private def utf8(s: String): Array[Byte] = s.getBytes(StandardCharsets.UTF_8)
}
