package io.sparkdl.runtime

import org.apache.spark.{SparkContext, SparkEnv}

/**
 * Reads the [[SessionCache.Stats]] of every executor's session cache: a read-only metric of what
 * each executor JVM loaded, held and evicted.
 */
private[sparkdl] object ExecutorSessionCaches {

  /**
   * The stats of each executor, by executor id. One barrier stage with a task per task slot (Spark
   * launches a barrier stage's tasks all at once, so every slot, hence every executor, runs one);
   * in local mode the one JVM answers.
   */
  def collect(sc: SparkContext): Map[String, SessionCache.Stats] = {
    val slots = math.max(1, sc.defaultParallelism)
    sc.parallelize(0 until slots, slots)
      .barrier()
      .mapPartitions(_ => Iterator(SparkEnv.get.executorId -> SessionCache.stats))
      .collect()
      .toMap
  }
}
