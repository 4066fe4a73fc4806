package io.sparkdl.runtime

import org.apache.spark.SparkContext

/**
 * Describes the jobs sparkdl starts itself (reductions, analysis), so the Spark UI and the console
 * progress bar say what runs: "sparkdl reduce_blocks: fetch x of frozen GraphDef (...)". A
 * description the caller set (`sc.setJobDescription`) wins; the previous one is restored after.
 */
private[sparkdl] object JobDescription {
  private val Key = "spark.job.description" // SparkContext.SPARK_JOB_DESCRIPTION, private[spark]

  def apply[T](sc: SparkContext, description: => String)(body: => T): T = {
    val previous = sc.getLocalProperty(Key)
    if (previous != null) body
    else {
      sc.setJobDescription(s"sparkdl $description")
      try body
      finally sc.setLocalProperty(Key, previous)
    }
  }
}
