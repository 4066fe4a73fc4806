package io.sparkdl.runtime

import org.apache.spark.SparkContext
import org.apache.spark.sql.execution.metric.{SQLMetric, SQLMetrics}

/**
 * What the block loop of a plan node counts, shown as the node's SQL metrics in the Spark UI and
 * in `explain("formatted")`'s statistics: model runs, the rows fed, the rows refused, skipped or
 * kept with null outputs, and the time spent inside TF's session runs.
 */
private[sparkdl] final case class BlockMetrics(
    modelRuns: SQLMetric,
    rows: SQLMetric,
    invalidRows: SQLMetric,
    tfTime: SQLMetric
) {
  def asMap: Map[String, SQLMetric] =
    Map("modelRuns" -> modelRuns, "rows" -> rows, "invalidRows" -> invalidRows, "tfTime" -> tfTime)
}

private[sparkdl] object BlockMetrics {
  def apply(sc: SparkContext): BlockMetrics = BlockMetrics(
    SQLMetrics.createMetric(sc, "number of model runs"),
    SQLMetrics.createMetric(sc, "number of rows fed to the model"),
    SQLMetrics.createMetric(sc, "number of invalid rows (skipped or kept with null outputs)"),
    SQLMetrics.createNanoTimingMetric(sc, "time inside TensorFlow")
  )
}
