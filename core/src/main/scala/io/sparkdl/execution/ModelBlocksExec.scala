package io.sparkdl.execution

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet, BindReferences, Expression}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.execution.{SparkPlan, SparkStrategy, UnaryExecNode}
import org.apache.spark.sql.execution.metric.SQLMetric
import org.apache.spark.sql.sparkdl.OperationScope

import io.sparkdl.runtime.BlockMetrics

/**
 * The physical node of every [[ModelBlocksNode]]: streams each partition of its child through
 * the runtime's block loop ([[BlockEvaluation.partitions]]). Its SQL metrics count model runs,
 * rows fed, invalid rows and the time inside TF; executors keep the models' sessions in their
 * SessionCache across tasks, queries and micro-batches.
 */
private[sparkdl] final case class ModelBlocksExec(
    arguments: Seq[Expression],
    evaluation: BlockEvaluation,
    output: Seq[Attribute],
    child: SparkPlan
) extends UnaryExecNode {

  override def producedAttributes: AttributeSet = AttributeSet(output) -- child.outputSet

  override lazy val metrics: Map[String, SQLMetric] = BlockMetrics(sparkContext).asMap

  private def blockMetrics: BlockMetrics =
    BlockMetrics(metrics("modelRuns"), metrics("rows"), metrics("invalidRows"), metrics("tfTime"))

  override protected def doExecute(): RDD[InternalRow] = {
    val bound = BindReferences.bindReferences(arguments, child.output)
    val partitions = evaluation.partitions(bound, child.output, output, session, blockMetrics)
    val input = child.execute()
    OperationScope(sparkContext, s"sparkdl ${evaluation.name}") {
      input.mapPartitionsWithIndex((index, rows) => partitions(index, rows), preservesPartitioning = true)
    }
  }

  override def simpleString(maxFields: Int): String = s"ModelBlocks ${evaluation.describe}"

  override protected def withNewChildInternal(newChild: SparkPlan): ModelBlocksExec = copy(child = newChild)
}

/** Plans every [[ModelBlocksNode]] into a [[ModelBlocksExec]]. */
private[sparkdl] object ModelBlocksStrategy extends SparkStrategy {
  override def apply(plan: LogicalPlan): Seq[SparkPlan] = plan match {
    case node: ModelBlocksNode => ModelBlocksExec(node.arguments, node.evaluation, node.output, planLater(node.child)) :: Nil
    case _ => Nil
  }
}
