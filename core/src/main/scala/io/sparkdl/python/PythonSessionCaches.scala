package io.sparkdl.python

import scala.jdk.CollectionConverters._

import org.apache.spark.api.java.JavaSparkContext

import io.sparkdl.runtime.ExecutorSessionCaches

/** The executors' session caches for py4j, used by `sparkdl.runtime.session_cache_stats`. */
object PythonSessionCaches {

  /**
   * Each executor's session cache: executor id -> {loads, evictions, sessions, bytes, maxBytes,
   * loadsByModel (model key -> loads)}.
   */
  def stats(jsc: JavaSparkContext): java.util.Map[String, java.util.Map[String, Any]] =
    ExecutorSessionCaches.collect(jsc.sc).map { case (executor, s) =>
      executor -> Map[String, Any](
        "loads" -> s.loads,
        "evictions" -> s.evictions,
        "sessions" -> s.sessions,
        "bytes" -> s.bytes,
        "maxBytes" -> s.maxBytes,
        "loadsByModel" -> s.loadsByModel.map { case (k, v) => k -> Long.box(v) }.asJava
      ).asJava
    }.asJava
}
