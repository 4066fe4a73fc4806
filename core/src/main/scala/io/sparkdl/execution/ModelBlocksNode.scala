package io.sparkdl.execution

import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{Attribute, Expression}
import org.apache.spark.sql.catalyst.plans.logical.UnaryNode

import io.sparkdl.runtime.BlockMetrics

/**
 * A logical node that runs models over blocks of its child's rows: TensorFrames' maps and the ML
 * stages ([[ModelMap]]), SQL functions (`sql.ModelUDFEval`). Every such node is planned into the
 * one physical node, [[ModelBlocksExec]].
 */
private[sparkdl] trait ModelBlocksNode extends UnaryNode {

  /** The expressions that [[evaluation]] binds to the child's rows (input columns, or calls
   * with their arguments); plan rules see and rewrite them as any node's. */
  def arguments: Seq[Expression]

  def evaluation: BlockEvaluation
}

/** The driver side of a [[ModelBlocksNode]]: what it runs, described for `explain`, and how it
 * is shipped to the executors. */
private[sparkdl] trait BlockEvaluation {

  /** A short name: the operation, its outputs and model ("map_blocks: z from frozen GraphDef ..."),
   * which the Spark UI's DAG view shows around the stage that runs it. */
  def name: String

  /** The models, their inputs and outputs, and how they run, as `explain` shows them. */
  def describe: String

  /** The executor side over rows laid out as `childOutput`, with the node's arguments bound to
   * them (`bound`); models are broadcast here, at execution, once per SparkContext. */
  def partitions(
      bound: Seq[Expression],
      childOutput: Seq[Attribute],
      output: Seq[Attribute],
      session: SparkSession,
      metrics: BlockMetrics
  ): PartitionEvaluator
}

/** What a task does with one partition of a [[ModelBlocksExec]]'s input. */
private[sparkdl] trait PartitionEvaluator extends Serializable {
  def apply(partition: Int, rows: Iterator[InternalRow]): Iterator[InternalRow]
}
