package io.sparkdl.runtime

import java.net.ServerSocket

import scala.collection.mutable
import scala.util.Using

import org.apache.spark.{BarrierTaskContext, SparkEnv}

import io.sparkdl.tf.Server

/**
 * The TF gRPC servers of this JVM that data-parallel fits run their collectives on. TF cannot
 * stop a server (docs/training.md), and a server serves one cluster only, so servers are kept
 * and reused: a barrier task takes one idle server of each cluster its JVM has one of, the tasks
 * tell each other (through `allGather`) which clusters they hold a task of, and when every task holds a distinct task of one
 * same cluster, they run on it; otherwise each task picks a free port, the tasks gather their
 * addresses, and each starts task `partitionId` of that new cluster. A fit on the same executors
 * as an earlier one thus starts no server.
 */
private[sparkdl] object CollectiveServers {
  private val idle = mutable.ArrayBuffer.empty[Server]

  /** A server for this barrier task, in a cluster of all the stage's tasks; [[release]] it after. */
  def acquire(context: BarrierTaskContext, intraOpThreads: Int): Server = {
    val workers = context.getTaskInfos().length
    // One idle server per cluster: the stage's other tasks in this JVM take the cluster's others.
    val taken = synchronized {
      val mine = idle.filter(_.cluster.length == workers).groupBy(_.cluster).values.map(_.minBy(_.taskIndex)).toVector
      idle --= mine
      mine
    }
    val offers =
      try context.allGather(taken.map(s => s.cluster.mkString(",") + "#" + s.taskIndex).mkString(";"))
      catch { case e: Throwable => release(taken); throw e } // killed while the others gathered
    val held = offers.map(o => o.split(";").filter(_.nonEmpty).map { e =>
      val Array(cluster, task) = e.split("#")
      cluster -> task.toInt
    }.toMap)
    // A cluster every task holds a task of, each a different one; the same choice on every task.
    val shared = held.head.keys.toSeq.sorted.find { c =>
      held.forall(_.contains(c)) && held.map(_(c)).distinct.length == workers
    }
    val reused = shared.flatMap(c => taken.find(_.cluster.mkString(",") == c))
    release(taken.filterNot(s => reused.contains(s)))
    reused.getOrElse {
      val host = SparkEnv.get.blockManager.blockManagerId.host
      // The port is free when picked and bound by TF a moment later; another process taking it in
      // between fails the start with TF's "Could not start gRPC server", which fails the fit.
      val port = Using.resource(new ServerSocket(0))(_.getLocalPort)
      val cluster = context.allGather(s"$host:$port").toIndexedSeq
      Server.start(cluster, context.partitionId(), intraOpThreads)
    }
  }

  /** Gives servers back for later fits. */
  def release(servers: Iterable[Server]): Unit = synchronized { idle ++= servers }

  /**
   * Leaves `server` unused from now on: a fit failed on it. TF keeps a server's collectives
   * aborted once a step's all-reduce aborts ("Restart your program to reset"), so a later fit on
   * it would fail with the earlier one's error. TF cannot stop it either: its port and threads
   * stay until the JVM ends. Later fits of its cluster's other tasks start a new cluster.
   */
  def discard(server: Server): Unit = {
    synchronized { discarded += 1 }
    TrainingLog.warn(s"$server: a fit failed on it; left unused (TF cannot reset its collectives)")
  }

  /** Servers left unused after a failed fit, since this JVM started (a metric for tests). */
  def discardedCount: Int = synchronized(discarded)

  private var discarded = 0

  /** Servers of this JVM not in use now (a metric for tests and logs). */
  def idleCount: Int = synchronized(idle.length)
}
