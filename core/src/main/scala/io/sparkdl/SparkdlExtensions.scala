package io.sparkdl

import org.apache.spark.sql.SparkSessionExtensions

import io.sparkdl.execution.SparkdlPlanner
import io.sparkdl.image.DecodeResizeFusion
import io.sparkdl.sql.ModelUDFExtraction

/**
 * sparkdl's planner strategy and optimizer rules for every session of an application:
 * `spark.sql.extensions=io.sparkdl.SparkdlExtensions` (a Spark Connect server, a Thrift server, a
 * `spark-submit` app). Without it, sparkdl adds them to a session the first time one of its
 * operations is built there, which serves sessions that run sparkdl's own calls.
 */
class SparkdlExtensions extends (SparkSessionExtensions => Unit) {
  override def apply(extensions: SparkSessionExtensions): Unit =
    SparkdlPlanner.inject(extensions, Seq(ModelUDFExtraction, DecodeResizeFusion))
}
