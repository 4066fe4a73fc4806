package org.apache.spark.sparkdl

import org.apache.spark.SparkContext

/**
 * The one place sparkdl reads Spark's `private[spark]` scheduler state: how many tasks of the
 * default resource profile the cluster can run at once, the number Spark's barrier stages are
 * checked against. A data-parallel fit checks it before submitting its barrier stage, since Spark
 * would otherwise retry the check for minutes (spark.scheduler.barrier.maxConcurrentTasksCheck.*)
 * before failing the job.
 */
object SchedulerShim {
  def taskSlots(sc: SparkContext): Int =
    sc.maxNumConcurrentTasks(sc.resourceProfileManager.defaultResourceProfile)
}
