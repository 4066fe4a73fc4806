package io.sparkdl.sql

import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet, Expression}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan

import io.sparkdl.execution.{BlockEvaluation, ModelBlocksNode, PartitionEvaluator}
import io.sparkdl.runtime.{BlockMetrics, ComputeMode, ShippedPlan}

/**
 * Evaluates model function calls over `child`'s rows in blocks and appends their results as
 * `resultAttrs` (one per call): the logical twin of Spark's BatchEvalPython, planned into the
 * plan nodes' one physical node (`execution.ModelBlocksExec`).
 */
private[sparkdl] final case class ModelUDFEval(calls: Seq[ModelUDFCall], resultAttrs: Seq[Attribute], child: LogicalPlan)
    extends ModelBlocksNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override def arguments: Seq[Expression] = calls

  override def evaluation: BlockEvaluation = ModelUDFEvaluation(calls.map(_.function))

  override protected def withNewChildInternal(newChild: LogicalPlan): ModelUDFEval =
    copy(child = newChild)
}

/** What a [[ModelUDFEval]] runs: one model per call, each fed its argument rows (see
 * [[ModelUDFBlocks]]); a function's model is broadcast once per SparkContext. */
private[sql] final case class ModelUDFEvaluation(functions: Seq[ModelUDF]) extends BlockEvaluation {

  override def name: String = s"SQL functions ${functions.map(_.name).distinct.mkString(", ")}"

  override def describe: String = functions.map { f =>
    s"${f.name}: ${f.model.describe}, inputs [${f.inputs.mkString(", ")}], outputs [${f.outputs.mkString(", ")}], " +
      s"batchSize ${f.batchSize}"
  }.mkString("; ")

  override def partitions(
      bound: Seq[Expression],
      childOutput: Seq[Attribute],
      output: Seq[Attribute],
      session: SparkSession,
      metrics: BlockMetrics
  ): PartitionEvaluator = {
    val compute = ComputeMode.resolve(session)
    val shipped = bound.map(_.asInstanceOf[ModelUDFCall]).map { c =>
      ShippedCall(ShippedPlan(c.plan, c.function.shipment.broadcast(session.sparkContext), compute), c.arguments, c.function.returnsStruct)
    }
    new ModelUDFBlocks(shipped, childOutput.map(_.dataType), output.drop(childOutput.length).map(_.dataType),
      functions.map(_.batchSize).min, metrics)
  }
}
