package io.sparkdl.runtime

import java.util.concurrent.{CompletableFuture, ExecutionException}

import scala.collection.mutable

import org.apache.spark.SparkEnv

import io.sparkdl.model.ModelSource
import io.sparkdl.tf.{Graph, Session, SessionConfig}

/**
 * The sessions of one executor JVM, one per model (keyed by the model's content hash and session
 * config), shared by every task, partition and job. Entries are ref-counted and the cache is
 * bounded in bytes ([[SessionCache.MaxBytesConf]]; a session counts as its model's bytes plus
 * [[SessionCache.SessionOverheadConf]], what TF holds per session whatever the model): when it
 * holds more, the least recently used idle sessions are closed. A session in use is never
 * closed, so models that do not all fit still run, each loaded again when evicted meanwhile.
 * Tasks that ask for a model being loaded wait for that load: a model is loaded once per JVM.
 */
private[sparkdl] object SessionCache {

  /** The Spark conf bounding the cache, in bytes ("512m", "2g"): read on the executors. */
  val MaxBytesConf = "spark.sparkdl.sessionCache.maxBytes"
  val DefaultMaxBytes: Long = 1L << 30

  /** The Spark conf of what a session costs beyond its model's bytes. dev/soak measured about
   * 2.6 MB of resident memory per session of a small Keras model: counting model bytes alone,
   * a 1g bound let thousands of small sessions pile up (gigabytes) without evicting one. */
  val SessionOverheadConf = "spark.sparkdl.sessionCache.sessionOverhead"
  val DefaultSessionOverhead: Long = 4L << 20

  /** A loaded model: its graph, a session over it, and the bytes it counts for. */
  final class Model private[SessionCache] (loaded: ModelSource.Loaded, val bytes: Long) {
    val graph: Graph = loaded.graph
    val session: Session = loaded.session
    private[SessionCache] def close(): Unit = loaded.close()
  }

  /** A model in use; [[release]] it (once) when done. */
  final class Lease private[SessionCache] (key: String, val model: Model) {
    private var released = false
    def release(): Unit = synchronized {
      if (!released) { released = true; SessionCache.release(key) }
    }
  }

  /** What the cache did and holds, for metrics ([[ExecutorSessionCaches]]) and tests. */
  final case class Stats(
      loads: Long,
      evictions: Long,
      sessions: Int,
      bytes: Long,
      maxBytes: Long,
      loadsByModel: Map[String, Long]
  )

  private final class Entry(val modelKey: String, val model: Model) { var users = 0 }

  // Insertion order = recency: an acquired entry is moved to the end.
  private val entries = mutable.LinkedHashMap.empty[String, Entry]
  // Loads in flight: other tasks wanting the same key wait for them.
  private val loading = mutable.HashMap.empty[String, CompletableFuture[Unit]]
  private var bytesHeld = 0L
  private var loads = 0L
  private var evictions = 0L
  private val loadsByModel = mutable.HashMap.empty[String, Long]

  /** The model for `modelKey` (loaded from `source` on a miss), held until the lease is released. */
  def acquire(modelKey: String, config: SessionConfig, source: => ModelSource): Lease = {
    val key = s"$modelKey/${config.intraOpThreads}/${config.interOpThreads}/${config.optimization}/${config.precision}"
    var lease: Lease = null
    while (lease == null) {
      val step: Either[CompletableFuture[Unit], Option[Lease]] = synchronized {
        entries.remove(key) match {
          case Some(e) =>
            entries.put(key, e)
            e.users += 1
            Right(Some(new Lease(key, e.model)))
          case None =>
            loading.get(key) match {
              case Some(inFlight) => Left(inFlight)
              case None =>
                loading.put(key, new CompletableFuture[Unit]())
                Right(None)
            }
        }
      }
      lease = step match {
        case Right(Some(hit)) => hit
        case Right(None) => load(key, modelKey, config, source)
        case Left(inFlight) => // its loader holds a lease, so the entry is there after: look again
          try inFlight.get()
          catch { case e: ExecutionException => throw e.getCause }
          null
      }
    }
    lease
  }

  // Loads outside the lock: a slow model load must not stall other models' lookups.
  private def load(key: String, modelKey: String, config: SessionConfig, source: => ModelSource): Lease = {
    val done = synchronized(loading(key))
    val model =
      try {
        val s = source
        new Model(s.load(config), s.sizeBytes + sessionOverhead)
      } catch {
        case e: Throwable =>
          synchronized(loading.remove(key))
          done.completeExceptionally(e)
          throw e
      }
    val lease = synchronized {
      loading.remove(key)
      val e = new Entry(modelKey, model)
      e.users = 1
      entries.put(key, e)
      bytesHeld += model.bytes
      loads += 1
      loadsByModel(modelKey) = loadsByModel.getOrElse(modelKey, 0L) + 1
      new Lease(key, model)
    }
    done.complete(())
    evictIdle()
    lease
  }

  /** How many models this JVM has loaded so far (for tests and metrics). */
  def loadCount: Long = synchronized(loads)

  def size: Int = synchronized(entries.size)

  def stats: Stats = synchronized {
    Stats(loads, evictions, entries.size, bytesHeld, maxBytes, loadsByModel.toMap)
  }

  /** Closes every idle model. */
  def clear(): Unit = {
    val idle = synchronized {
      val keys = entries.collect { case (k, e) if e.users == 0 => k }.toList
      keys.map(remove)
    }
    idle.foreach(_.close())
  }

  private def release(key: String): Unit = {
    synchronized(entries.get(key).foreach(e => e.users -= 1))
    evictIdle()
  }

  private def evictIdle(): Unit = {
    val bound = maxBytes
    val evicted = synchronized {
      val idle = entries.iterator.collect { case (k, e) if e.users == 0 => k }.toList
      var over = bytesHeld - bound
      idle.takeWhile { k =>
        val take = over > 0
        if (take) over -= entries(k).model.bytes
        take
      }.map { k => evictions += 1; remove(k) }
    }
    evicted.foreach(_.close())
  }

  // Under the lock.
  private def remove(key: String): Model = {
    val model = entries.remove(key).get.model
    bytesHeld -= model.bytes
    model
  }

  /** The bound this JVM's Spark conf sets (the default outside Spark). */
  def maxBytes: Long = Option(SparkEnv.get).map(env => boundOf(env.conf.getOption(MaxBytesConf))).getOrElse(DefaultMaxBytes)

  /** What a session counts for beyond its model's bytes, from this JVM's Spark conf. */
  def sessionOverhead: Long = Option(SparkEnv.get)
    .map(env => sizeOf(SessionOverheadConf, env.conf.getOption(SessionOverheadConf), DefaultSessionOverhead))
    .getOrElse(DefaultSessionOverhead)

  private[runtime] def boundOf(value: Option[String]): Long = sizeOf(MaxBytesConf, value, DefaultMaxBytes)

  private def sizeOf(conf: String, value: Option[String], default: Long): Long = value match {
    case None => default
    case Some(v) =>
      val bytes =
        try org.apache.spark.network.util.JavaUtils.byteStringAsBytes(v)
        catch {
          case e: NumberFormatException =>
            throw new IllegalArgumentException(s"$conf is '$v'; expected a size such as 512m or 2g", e)
        }
      if (bytes < 0) throw new IllegalArgumentException(s"$conf is '$v'; expected a size >= 0")
      bytes
  }
}
