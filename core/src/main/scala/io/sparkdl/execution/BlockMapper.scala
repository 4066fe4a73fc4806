package io.sparkdl.execution

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{GenericInternalRow, JoinedRow, SpecificInternalRow, UnsafeProjection}
import org.apache.spark.sql.types.DataType

import io.sparkdl.runtime.{BlockLoop, BlockMetrics, ModelBlock, ShippedPlan}

/**
 * The executor side of a [[ModelMap]]: streams a partition through the runtime's block loop and
 * appends the fetched columns to each input row (or, with `trim`, emits only the fetched rows),
 * as unsafe rows of `outputTypes` (reused: valid until the next `next()`).
 */
private[sparkdl] final class BlockMapper(
    shipped: ShippedPlan,
    trim: Boolean,
    blockSize: Int,
    handleInvalid: String,
    outputTypes: Seq[DataType],
    metrics: BlockMetrics
) extends PartitionEvaluator {

  override def apply(partition: Int, input: Iterator[InternalRow]): Iterator[InternalRow] = {
    val model = new ModelBlock(shipped, blockSize)
    new BlockLoop(input, Array(model), blockSize, handleInvalid, Some(metrics)) {
      private val fetches = shipped.plan.fetches
      private val names = shipped.plan.names
      private val out = new SpecificInternalRow(fetches.map(_.field.dataType))
      private val joined = new JoinedRow()
      private val project = UnsafeProjection.create(outputTypes.toArray)

      private lazy val nulls = new GenericInternalRow(fetches.length)

      override protected def blockRow(i: Int): InternalRow = {
        var j = 0
        while (j < fetches.length) { model.read(j, i, out, j); j += 1 }
        project(if (trim) out else joined(model.rows(i), out))
      }

      override protected def invalidRow(row: InternalRow): InternalRow =
        project(if (trim) nulls else joined(row, nulls))

      override protected def outputRows(n: Int): Int =
        if (trim) {
          val counts = fetches.indices.map(model.resultRows).distinct
          if (counts.length > 1) {
            throw new IllegalArgumentException(names.error(
              "trim=True: the fetches returned different row counts " +
                fetches.indices.map(j => s"${fetches(j).tensor}: ${model.resultRows(j)}").mkString(", ")
            ))
          }
          counts.headOption.getOrElse(0)
        } else {
          fetches.indices.find(model.resultRows(_) != n).foreach { j =>
            throw new IllegalArgumentException(names.error(
              s"${names.output(fetches(j).tensor)} returned ${model.resultRows(j)} rows for a block of $n; " +
                names.rowCountHint
            ))
          }
          n
        }
    }
  }
}
