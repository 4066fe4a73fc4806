package io.sparkdl.tensorframes

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{JoinedRow, SpecificInternalRow}

import io.sparkdl.tf.Tensor

/** What to do with a row that cannot be fed: a null cell, or a cell whose shape breaks the block. */
private[sparkdl] object HandleInvalid {
  val Error = "error"
  val Skip = "skip"
  val all: Seq[String] = Seq(Error, Skip)

  def check(value: String): String = {
    if (!all.contains(value)) {
      throw new IllegalArgumentException(s"handleInvalid must be one of ${all.mkString(", ")}, not '$value'")
    }
    value
  }

  def fail(op: String, problem: String): Nothing =
    throw new IllegalArgumentException(s"$op: $problem (handleInvalid='error'; use 'skip' to drop such rows)")
}

/**
 * What a mapper does to a partition's rows. Mappers are named classes rather than lambdas so that
 * `RDD.mapPartitions` need not clean them: Spark's closure cleaner reads and parses the bytecode
 * of a lambda's enclosing class (all of TensorFrames) on every call, ~15% of planning a map.
 */
private[sparkdl] trait PartitionFunction extends (Iterator[InternalRow] => Iterator[InternalRow]) with Serializable

/**
 * The executor side of map_blocks: streams a partition in blocks of at most `blockSize` rows,
 * runs the graph once per block, and appends the fetched columns to each input row (or, with
 * `trim`, emits only the fetched rows). Only one block of rows is held at a time.
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

  def apply(input: Iterator[InternalRow]): Iterator[InternalRow] = new BlockIterator(input) {
    private val fetches = shipped.plan.fetches
    private lazy val runner = new ModelRunner(shipped)
    private val block = new BlockRows(blockSize)
    private val out = new SpecificInternalRow(fetches.map(_.field.dataType))
    private val joined = new JoinedRow()
    private var tensors: Array[Tensor] = Array.empty
    private var readers: Array[TensorReader] = Array.empty

    override protected def row(i: Int): InternalRow = {
      var j = 0
      while (j < readers.length) { readers(j).read(i, out, j); j += 1 }
      if (trim) out else joined(block.rows(i), out)
    }

    override protected def nextBlock(): Int = {
      runner.startBlock()
      var n = 0
      while (n < blockSize && input.hasNext) {
        val row = input.next()
        runner.check(row) match {
          case None =>
            block.set(n, row)
            n += 1
          case Some(problem) => if (handleInvalid == HandleInvalid.Error) HandleInvalid.fail("map_blocks", problem)
        }
      }
      if (n == 0) return 0
      tensors = runner.runBlock(block.rows, n)
      readers = tensors.map(new TensorReader(_, leading = true))
      if (trim) {
        val counts = readers.map(_.numRows).distinct
        if (counts.length > 1) {
          throw new IllegalArgumentException(
            s"map_blocks(trim=True): the fetches returned different row counts " +
              fetches.zip(readers).map { case (f, r) => s"${f.tensor}: ${r.numRows}" }.mkString(", ")
          )
        }
        counts.headOption.getOrElse(0)
      } else {
        fetches.zip(readers).find(_._2.numRows != n).foreach { case (f, r) =>
          throw new IllegalArgumentException(
            s"map_blocks: fetch '${f.tensor}' returned ${r.numRows} rows for a block of $n; " +
              "outputs that change the row count need trim=True"
          )
        }
        n
      }
    }

    override protected def release(): Unit = {
      tensors.foreach(_.close())
      tensors = Array.empty
      readers = Array.empty
    }
  }
}

/**
 * The executor side of map_rows: runs the graph once per row, placeholders taking the row's cells
 * (which may differ in shape from row to row), and appends the fetched cells to the row. Like
 * [[BlockMapper]], it emits reused rows and leaves the projection to unsafe rows to Spark.
 */
private[sparkdl] final class RowMapper(shipped: ShippedPlan, handleInvalid: String) extends PartitionFunction {

  def apply(input: Iterator[InternalRow]): Iterator[InternalRow] = {
    lazy val runner = new ModelRunner(shipped)
    val fetches = shipped.plan.fetches
    val one = new Array[InternalRow](1)
    val out = new SpecificInternalRow(fetches.map(_.field.dataType))
    val joined = new JoinedRow()
    input.flatMap { row =>
      runner.startBlock()
      runner.check(row) match {
        case Some(problem) =>
          if (handleInvalid == HandleInvalid.Error) HandleInvalid.fail("map_rows", problem)
          None
        case None =>
          one(0) = row
          val tensors = runner.runBlock(one, 1, leading = false)
          try {
            var j = 0
            while (j < tensors.length) {
              val reader = new TensorReader(tensors(j), leading = false)
              if (reader.cellShape.rank != fetches(j).cell.rank) {
                throw new IllegalStateException(s"fetch '${fetches(j).tensor}' changed rank")
              }
              reader.read(0, out, j)
              j += 1
            }
            Some(joined(row, out))
          } finally tensors.foreach(_.close())
      }
    }
  }
}
