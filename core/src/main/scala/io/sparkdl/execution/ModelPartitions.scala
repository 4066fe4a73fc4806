package io.sparkdl.execution

import org.apache.spark.broadcast.Broadcast
import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet, Expression, UnsafeProjection}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan

import io.sparkdl.model.ModelSource
import io.sparkdl.runtime.{BlockMetrics, ModelShipment}

/**
 * A model run over whole partitions of the child, each turned into rows of `output` by a
 * function of the partition's rows (TensorFrames' `aggregate`: sorted rows reduced group by
 * group). The child's rows reach the function laid out as `inputs`.
 */
private[sparkdl] final case class ModelPartitions(
    spec: ModelPartitionsSpec,
    inputs: Seq[Attribute],
    output: Seq[Attribute],
    child: LogicalPlan
) extends ModelBlocksNode {

  override def producedAttributes: AttributeSet = AttributeSet(output)

  override def arguments: Seq[Expression] = inputs

  override def evaluation: BlockEvaluation = spec

  override def simpleString(maxFields: Int): String =
    s"ModelPartitions ${spec.describe}, reading ${inputs.mkString("[", ", ", "]")}"

  override protected def withNewChildInternal(newChild: LogicalPlan): ModelPartitions = copy(child = newChild)
}

/** What a [[ModelPartitions]] runs: `function` of the model's broadcast, over each partition. */
private[sparkdl] final case class ModelPartitionsSpec(
    name: String,
    describe: String,
    shipment: ModelShipment,
    function: Broadcast[ModelSource] => (Iterator[InternalRow] => Iterator[InternalRow])
) extends BlockEvaluation {

  override def partitions(
      bound: Seq[Expression],
      childOutput: Seq[Attribute],
      output: Seq[Attribute],
      session: SparkSession,
      metrics: BlockMetrics
  ): PartitionEvaluator = {
    val run = function(shipment.broadcast(session.sparkContext))
    val types = output.map(_.dataType)
    val layout = if (bound.map(_.asInstanceOf[org.apache.spark.sql.catalyst.expressions.BoundReference].ordinal) ==
      childOutput.indices) None else Some(bound)
    new PartitionEvaluator {
      override def apply(partition: Int, rows: Iterator[InternalRow]): Iterator[InternalRow] = {
        val in = layout.fold(rows) { exprs =>
          val p = UnsafeProjection.create(exprs)
          rows.map(p)
        }
        val project = UnsafeProjection.create(types.toArray)
        run(in).map(project)
      }
    }
  }
}
