package io.sparkdl.sql

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{
  Expression, GenericInternalRow, JoinedRow, SpecificInternalRow, UnsafeProjection
}
import org.apache.spark.sql.types.DataType

import io.sparkdl.execution.PartitionEvaluator
import io.sparkdl.runtime.{BlockLoop, BlockMetrics, BlockRows, HandleInvalid, ModelBlock, ShippedPlan}

/** What a task needs to run one model call: the plan and model, the argument expressions
 * (bound to the input rows, as the model's plan takes them), and its result's shape. */
private[sql] final case class ShippedCall(shipped: ShippedPlan, arguments: Seq[Expression], returnsStruct: Boolean)

/**
 * The executor side of [[ModelUDFEval]]: streams a partition through the runtime's block
 * loop, one model per call (each fed its argument rows), and appends one result column per call
 * to each row. A row a model cannot take fails the query, naming the function and argument.
 */
private[sql] final class ModelUDFBlocks(
    calls: Seq[ShippedCall],
    inputTypes: Seq[DataType],
    resultTypes: Seq[DataType],
    blockSize: Int,
    metrics: BlockMetrics
) extends PartitionEvaluator {

  override def apply(partitionIndex: Int, input: Iterator[InternalRow]): Iterator[InternalRow] = {
    val blocks = calls.map(c => new ModelBlock(c.shipped, blockSize)).toArray
    new BlockLoop(input, blocks, blockSize, HandleInvalid.Error, Some(metrics)) {
      private val k = calls.length
      private val argumentRows = calls.map { c =>
        val p = UnsafeProjection.create(c.arguments)
        p.initialize(partitionIndex)
        p
      }.toArray
      private val results = new SpecificInternalRow(resultTypes)
      private val structs = calls.map { c =>
        if (c.returnsStruct) new GenericInternalRow(c.shipped.plan.fetches.length) else null
      }
      private val joined = new JoinedRow()
      private val project = UnsafeProjection.create((inputTypes ++ resultTypes).toArray)
      // The block's input rows, in buffers reused block to block.
      private val inputRows = new BlockRows(blockSize)

      override protected def feedRow(m: Int, row: InternalRow): InternalRow = argumentRows(m)(row)

      override protected def hold(i: Int, row: InternalRow): Unit = inputRows.set(i, row)

      override protected def invalidRow(row: InternalRow): InternalRow =
        throw new IllegalStateException("model UDFs fail on invalid rows")

      override protected def blockRow(pos: Int): InternalRow = {
        var c = 0
        while (c < k) {
          val model = models(c)
          if (structs(c) == null) model.read(0, pos, results, c)
          else {
            var j = 0
            while (j < model.fetchCount) { model.read(j, pos, structs(c), j); j += 1 }
            results.update(c, structs(c))
          }
          c += 1
        }
        project(joined(inputRows.rows(pos), results))
      }

      override protected def outputRows(n: Int): Int = {
        var c = 0
        while (c < k) {
          val model = models(c)
          val names = model.names
          (0 until model.fetchCount).find(model.resultRows(_) != n).foreach { j =>
            val fetch = calls(c).shipped.plan.fetches(j)
            throw new IllegalArgumentException(names.error(
              s"model output '${fetch.column}' returned ${model.resultRows(j)} rows for a batch of $n; a " +
                "SQL function returns one result per row"
            ))
          }
          c += 1
        }
        n
      }
    }
  }
}
