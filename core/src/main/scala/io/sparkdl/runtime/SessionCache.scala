package io.sparkdl.runtime

import scala.collection.mutable

import io.sparkdl.model.ModelSource
import io.sparkdl.tf.{Graph, Session, SessionConfig}

/**
 * The sessions of one executor JVM, one per model (keyed by the model's content hash and session
 * config), shared by every task, partition and job. Entries are ref-counted; when more than
 * [[SessionCache.capacity]] are cached, the least recently used idle ones are closed.
 */
private[sparkdl] object SessionCache {

  /** A loaded model: its graph and a session over it. */
  final class Model private[SessionCache] (loaded: ModelSource.Loaded) {
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

  private final class Entry(val model: Model) { var users = 0 }

  @volatile var capacity: Int = sys.props.get("sparkdl.sessionCache.capacity").map(_.toInt).getOrElse(8)

  // Insertion order = recency: an acquired entry is moved to the end.
  private val entries = mutable.LinkedHashMap.empty[String, Entry]
  private var loads = 0L

  /** The model for `modelKey` (loaded from `source` on a miss), held until the lease is released. */
  def acquire(modelKey: String, config: SessionConfig, source: => ModelSource): Lease = {
    val key = s"$modelKey/${config.intraOpThreads}/${config.interOpThreads}"
    val hit = synchronized {
      entries.remove(key).map { e =>
        entries.put(key, e)
        e.users += 1
        new Lease(key, e.model)
      }
    }
    hit.getOrElse(load(key, config, source))
  }

  private def load(key: String, config: SessionConfig, source: ModelSource): Lease = {
    // Load outside the lock: a slow model load must not stall other tasks' lookups.
    val model = new Model(source.load(config))
    val (lease, redundant) = synchronized {
      entries.get(key) match {
        case Some(existing) => // another task loaded it meanwhile
          existing.users += 1
          (new Lease(key, existing.model), Some(model))
        case None =>
          val e = new Entry(model)
          e.users = 1
          entries.put(key, e)
          loads += 1
          (new Lease(key, model), None)
      }
    }
    redundant.foreach(_.close())
    evictIdle()
    lease
  }

  /** How many models this JVM has loaded so far (for tests and metrics). */
  def loadCount: Long = synchronized(loads)

  def size: Int = synchronized(entries.size)

  /** Closes every idle model. */
  def clear(): Unit = {
    val idle = synchronized {
      val keys = entries.collect { case (k, e) if e.users == 0 => k }.toList
      keys.map(entries.remove(_).get.model)
    }
    idle.foreach(_.close())
  }

  private def release(key: String): Unit = {
    synchronized(entries.get(key).foreach(e => e.users -= 1))
    evictIdle()
  }

  private def evictIdle(): Unit = {
    val evicted = synchronized {
      val excess = entries.size - capacity
      if (excess <= 0) Nil
      else {
        val idle = entries.iterator.collect { case (k, e) if e.users == 0 => k }.take(excess).toList
        idle.map(entries.remove(_).get.model)
      }
    }
    evicted.foreach(_.close())
  }
}
