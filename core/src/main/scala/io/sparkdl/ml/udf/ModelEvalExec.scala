package io.sparkdl.ml.udf

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet, BindReferences}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.execution.{SparkPlan, SparkStrategy, UnaryExecNode}
import org.apache.spark.sql.execution.metric.{SQLMetric, SQLMetrics}

import io.sparkdl.tensorframes.ShippedPlan

/**
 * Runs the model calls of a [[ModelEval]] on blocks of its child's rows (see [[ModelCallBlocks]])
 * and appends one column per call. Each model is broadcast once per execution; executors keep
 * its session in their SessionCache across tasks and queries.
 */
final case class ModelEvalExec(calls: Seq[ModelCall], resultAttrs: Seq[Attribute], child: SparkPlan)
    extends UnaryExecNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override lazy val metrics: Map[String, SQLMetric] = Map(
    "modelRuns" -> SQLMetrics.createMetric(sparkContext, "number of model runs")
  )

  override protected def doExecute(): RDD[InternalRow] = {
    val sources = calls.map(_.function.model.source).distinctBy(_.key)
    val models = sources.map(s => s.key -> sparkContext.broadcast(s)).toMap
    val shipped = calls.map { c =>
      ShippedCall(
        ShippedPlan(c.plan, models(c.function.model.source.key)),
        BindReferences.bindReferences(c.arguments, child.output),
        c.function.argumentNames,
        c.function.returnsStruct
      )
    }
    val blocks = new ModelCallBlocks(
      shipped,
      child.output.map(_.dataType),
      resultAttrs.map(_.dataType),
      calls.map(_.function.batchSize).min,
      metrics("modelRuns")
    )
    child.execute().mapPartitionsWithIndex((partition, rows) => blocks(partition, rows))
  }

  override protected def withNewChildInternal(newChild: SparkPlan): ModelEvalExec =
    copy(child = newChild)
}

/** Plans [[ModelEval]] nodes into [[ModelEvalExec]]. */
object ModelEvalStrategy extends SparkStrategy {
  override def apply(plan: LogicalPlan): Seq[SparkPlan] = plan match {
    case ModelEval(calls, resultAttrs, child) =>
      ModelEvalExec(calls, resultAttrs, planLater(child)) :: Nil
    case _ => Nil
  }
}
