package io.sparkdl.sql

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet, BindReferences}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.execution.{SparkPlan, SparkStrategy, UnaryExecNode}
import org.apache.spark.sql.execution.metric.{SQLMetric, SQLMetrics}

import io.sparkdl.runtime.{ComputeMode, ShippedPlan}

/**
 * Runs the model calls of a [[ModelUDFEval]] on blocks of its child's rows (see [[ModelUDFBlocks]])
 * and appends one column per call. Each model is broadcast once per execution; executors keep
 * its session in their SessionCache across tasks and queries.
 */
final case class ModelUDFEvalExec(calls: Seq[ModelUDFCall], resultAttrs: Seq[Attribute], child: SparkPlan)
    extends UnaryExecNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override lazy val metrics: Map[String, SQLMetric] = Map(
    "modelRuns" -> SQLMetrics.createMetric(sparkContext, "number of model runs")
  )

  override protected def doExecute(): RDD[InternalRow] = {
    val sources = calls.map(_.function.model.source).distinctBy(_.key)
    val models = sources.map(s => s.key -> sparkContext.broadcast(s)).toMap
    val compute = ComputeMode.resolve(session)
    val shipped = calls.map { c =>
      ShippedCall(
        ShippedPlan(c.plan, models(c.function.model.source.key), compute),
        BindReferences.bindReferences(c.arguments, child.output),
        c.function.returnsStruct
      )
    }
    val blocks = new ModelUDFBlocks(
      shipped,
      child.output.map(_.dataType),
      resultAttrs.map(_.dataType),
      calls.map(_.function.batchSize).min,
      metrics("modelRuns")
    )
    child.execute().mapPartitionsWithIndex((partition, rows) => blocks(partition, rows))
  }

  override protected def withNewChildInternal(newChild: SparkPlan): ModelUDFEvalExec =
    copy(child = newChild)
}

/** Plans [[ModelUDFEval]] nodes into [[ModelUDFEvalExec]]. */
object ModelUDFEvalStrategy extends SparkStrategy {
  override def apply(plan: LogicalPlan): Seq[SparkPlan] = plan match {
    case ModelUDFEval(calls, resultAttrs, child) =>
      ModelUDFEvalExec(calls, resultAttrs, planLater(child)) :: Nil
    case _ => Nil
  }
}
