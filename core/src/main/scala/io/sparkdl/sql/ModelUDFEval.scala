package io.sparkdl.sql

import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet}
import org.apache.spark.sql.catalyst.plans.logical.{LogicalPlan, UnaryNode}

/**
 * Evaluates model function calls over `child`'s rows in blocks and appends their results as
 * `resultAttrs` (one per call): the logical twin of Spark's BatchEvalPython, planned into a
 * [[ModelUDFEvalExec]].
 */
final case class ModelUDFEval(calls: Seq[ModelUDFCall], resultAttrs: Seq[Attribute], child: LogicalPlan)
    extends UnaryNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override protected def withNewChildInternal(newChild: LogicalPlan): ModelUDFEval =
    copy(child = newChild)
}
