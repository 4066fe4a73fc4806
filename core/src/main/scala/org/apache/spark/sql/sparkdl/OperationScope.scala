package org.apache.spark.sql.sparkdl

import org.apache.spark.SparkContext
import org.apache.spark.rdd.RDDOperationScope

/**
 * Names the RDDs that `body` creates, as Spark's own operations do (`RDDOperationScope` is
 * `private[spark]`): the Spark UI's DAG view then shows e.g. "sparkdl map_blocks" around the
 * stage that runs a model. It replaces the scope of the plan node executing it (which names
 * only the node's class).
 */
object OperationScope {
  def apply[T](sc: SparkContext, name: String)(body: => T): T =
    RDDOperationScope.withScope(sc, name, allowNesting = false, ignoreParent = true)(body)
}
