package io.sparkdl.tensorframes

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{GenericInternalRow, JoinedRow, SpecificInternalRow}

import io.sparkdl.runtime.{BlockLoop, ModelBlock, ShippedPlan}

/**
 * What a mapper does to a partition's rows. Mappers are named classes rather than lambdas so that
 * `RDD.mapPartitions` need not clean them: Spark's closure cleaner reads and parses the bytecode
 * of a lambda's enclosing class (all of TensorFrames) on every call, ~15% of planning a map.
 */
private[sparkdl] trait PartitionFunction extends (Iterator[InternalRow] => Iterator[InternalRow]) with Serializable

/**
 * The executor side of map_blocks (and, with blocks of one row, map_rows): streams a partition
 * through the runtime's block loop, and appends the fetched columns to each input row (or, with
 * `trim`, emits only the fetched rows).
 *
 * Rows are emitted as reused, non-unsafe rows (valid until the next `next()`): the DataFrame over
 * them (`internalCreateDataFrame`, an `RDDScanExec`) projects every row to an unsafe row itself,
 * so a projection here would only copy each row twice and generate code in every task.
 */
private[sparkdl] final class BlockMapper(
    shipped: ShippedPlan,
    trim: Boolean,
    blockSize: Int,
    handleInvalid: String
) extends PartitionFunction {

  def apply(input: Iterator[InternalRow]): Iterator[InternalRow] = {
    val model = new ModelBlock(shipped, blockSize)
    new BlockLoop(input, Array(model), blockSize, handleInvalid) {
      private val fetches = shipped.plan.fetches
      private val names = shipped.plan.names
      private val out = new SpecificInternalRow(fetches.map(_.field.dataType))
      private val joined = new JoinedRow()

      private lazy val nulls = new GenericInternalRow(fetches.length)

      override protected def blockRow(i: Int): InternalRow = {
        var j = 0
        while (j < fetches.length) { model.read(j, i, out, j); j += 1 }
        if (trim) out else joined(model.rows(i), out)
      }

      override protected def invalidRow(row: InternalRow): InternalRow = if (trim) nulls else joined(row, nulls)

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
