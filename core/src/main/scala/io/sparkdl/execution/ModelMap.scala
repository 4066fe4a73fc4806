package io.sparkdl.execution

import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet, BoundReference, Expression}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan

import io.sparkdl.model.Plan
import io.sparkdl.runtime.{BlockMetrics, ComputeMode, ModelShipment, ShippedPlan}

/**
 * Runs one model over blocks of the child's rows and appends its outputs as `resultAttrs` (or,
 * with `trim`, replaces the rows with them): map_blocks, map_rows, and every model stage
 * (TFTransformer, KerasTransformer, TFImageTransformer and the named-image stages). `inputs` are
 * the child's columns that feed the model, one per feed of the plan, in its order: the columns the
 * optimizer must keep. A filter on the child's columns is pushed below the node when its rows
 * map one to one ([[ModelMapPushdown]]); columns neither the model nor the query reads are pruned
 * by Spark's own rule, which passes through nodes whose output extends their child's.
 */
private[sparkdl] final case class ModelMap(
    spec: ModelMapSpec,
    inputs: Seq[Attribute],
    resultAttrs: Seq[Attribute],
    child: LogicalPlan
) extends ModelBlocksNode {

  override def output: Seq[Attribute] = if (spec.trim) resultAttrs else child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override def arguments: Seq[Expression] = inputs

  override def evaluation: BlockEvaluation = spec

  override def simpleString(maxFields: Int): String =
    s"ModelMap ${spec.describe}, reading ${inputs.mkString("[", ", ", "]")}"

  override protected def withNewChildInternal(newChild: LogicalPlan): ModelMap = copy(child = newChild)
}

/**
 * What a [[ModelMap]] runs: `plan` (resolved on the driver over the child's schema) on the model
 * of `shipment`, in blocks of `blockSize` rows; `operation` names it in errors, the Spark UI and
 * `explain` ("map_blocks", "TFTransformer TFTransformer_1a2b").
 */
private[sparkdl] final case class ModelMapSpec(
    operation: String,
    plan: Plan,
    shipment: ModelShipment,
    compute: ComputeMode,
    trim: Boolean,
    blockSize: Int,
    handleInvalid: String,
    intraOpThreads: Option[Int] = None,
    interOpThreads: Option[Int] = None
) extends BlockEvaluation {

  override def name: String = s"$operation: ${plan.fetches.map(_.column).mkString(", ")} from ${shipment.source.describe}"

  override def describe: String = {
    val feeds = plan.feeds.map(f => s"${f.placeholder} <- ${f.column.name}").mkString(", ")
    val fetches = plan.fetches.map(f => s"${f.column} <- ${f.tensor}").mkString(", ")
    s"$operation: ${shipment.source.describe}, inputs [$feeds], outputs [$fetches]" +
      s"${if (trim) ", trim" else ""}, blockSize $blockSize, handleInvalid $handleInvalid, " +
      s"graphOptimization ${compute.optimization.name}, precision ${compute.precision.name}"
  }

  override def partitions(
      bound: Seq[Expression],
      childOutput: Seq[Attribute],
      output: Seq[Attribute],
      session: SparkSession,
      metrics: BlockMetrics
  ): PartitionEvaluator = {
    val ordinals = bound.map {
      case b: BoundReference => b.ordinal
      case other => throw new IllegalStateException(s"$operation: a model input is $other, not a column")
    }
    val shipped = ShippedPlan(plan.reading(ordinals, childOutput.length), shipment.broadcast(session.sparkContext), compute,
      intraOpThreads, interOpThreads)
    new BlockMapper(shipped, trim, blockSize, handleInvalid, output.map(_.dataType), metrics)
  }
}
