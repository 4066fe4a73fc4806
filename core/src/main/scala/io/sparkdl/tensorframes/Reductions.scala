package io.sparkdl.tensorframes

import scala.collection.mutable.ArrayBuffer

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{SpecificInternalRow, UnsafeProjection, UnsafeRow}
import org.apache.spark.sql.types.StructType

import io.sparkdl.tf.Tensor

/**
 * Reduces a stream of rows to one row with a reduce_blocks graph: blocks of input rows are reduced
 * to partial rows, and partials are reduced again whenever `blockSize` of them pile up, so memory
 * stays at one block however long the stream. `input` plans the graph over the input rows'
 * layout, `partial` over the layout of its own results (the fetch columns).
 */
private[sparkdl] final class StreamReducer(input: ShippedPlan, partial: ShippedPlan, blockSize: Int)
    extends AutoCloseable {
  private lazy val inputRunner = new ModelRunner(input)
  private lazy val partialRunner = new ModelRunner(partial)
  private val fetches = partial.plan.fetches
  private val block = new BlockRows(blockSize)
  private val partials = ArrayBuffer.empty[InternalRow]
  private val out = new SpecificInternalRow(fetches.map(_.field.dataType))
  private val project = UnsafeProjection.create(partial.plan.outputSchema)
  private var n = 0

  private var used = false

  def start(): Unit = { n = 0; partials.clear(); used = true; inputRunner.startBlock() }

  /** Releases the sessions (tasks release them at task end anyway; the driver must call this). */
  override def close(): Unit = if (used) { inputRunner.close(); partialRunner.close() }

  def add(row: InternalRow, op: String): Unit = {
    inputRunner.check(row).foreach(problem => HandleInvalid.fail(op, problem))
    block.set(n, row)
    n += 1
    if (n == blockSize) flush()
  }

  /** The reduced row (an UnsafeRow of the fetch columns), or None when no row was added. */
  def finish(): Option[UnsafeRow] = {
    flush()
    if (partials.isEmpty) None
    else {
      if (partials.length > 1) collapse()
      Some(partials.head.asInstanceOf[UnsafeRow])
    }
  }

  private def flush(): Unit = if (n > 0) {
    partials += reduce(inputRunner, block.rows, n)
    n = 0
    inputRunner.startBlock()
    if (partials.length >= blockSize) collapse()
  }

  private def collapse(): Unit = {
    partialRunner.startBlock()
    partials.foreach(p => partialRunner.check(p).foreach(msg => throw new IllegalStateException(msg)))
    val reduced = reduce(partialRunner, partials.toArray, partials.length)
    partials.clear()
    partials += reduced
  }

  private def reduce(runner: ModelRunner, block: Array[InternalRow], count: Int): InternalRow = {
    val tensors = runner.runBlock(block, count)
    try toRow(tensors) finally tensors.foreach(_.close())
  }

  /** The row of one cell per fetched tensor (whose shapes must be the fetches' cells). */
  def toRow(tensors: Array[Tensor]): InternalRow = {
    var j = 0
    while (j < tensors.length) {
      val reader = new TensorReader(tensors(j), leading = false)
      if (reader.cellShape.rank != fetches(j).cell.rank) {
        throw new IllegalArgumentException(
          s"reduction fetch '${fetches(j).tensor}' returned shape ${tensors(j).shape}; expected " +
            s"${fetches(j).cell} (a reduction drops the row dimension)"
        )
      }
      reader.read(0, out, j)
      j += 1
    }
    project(out).copy()
  }
}

/** Plans for the reduce conventions: fetch `x` reads placeholder `x_input` (blocks) or
 * `x_1`/`x_2` (pairs of rows), fed from column `x`. */
private[sparkdl] object ReducePlans {

  def blockColumnOf(op: String)(placeholder: String): String =
    stripSuffix(op, placeholder, "_input")

  def pairColumnOf(op: String)(placeholder: String): String =
    if (placeholder.endsWith("_1")) placeholder.stripSuffix("_1") else stripSuffix(op, placeholder, "_2")

  private def stripSuffix(op: String, placeholder: String, suffix: String): String = {
    if (!placeholder.endsWith(suffix)) {
      throw new IllegalArgumentException(
        s"$op: placeholder '$placeholder' does not follow the convention: a fetch 'x' reads " +
          (if (suffix == "_input") "placeholder 'x_input'" else "placeholders 'x_1' and 'x_2'") +
          ", fed from column 'x'"
      )
    }
    placeholder.stripSuffix(suffix)
  }

  /** The schema of partial results, checked to be a valid input of the same graph. */
  def partialSchema(plan: Plan, op: String): StructType = {
    val byColumn = plan.feeds.groupBy(_.column.name)
    plan.fetches.foreach { f =>
      byColumn.getOrElse(f.column, Nil).foreach { feed =>
        if (feed.column.dtype != f.dtype) {
          throw new IllegalArgumentException(
            s"$op: fetch '${f.tensor}' is ${f.dtype} but placeholder '${feed.placeholder}' takes " +
              s"${feed.column.dtype}; a reduction must keep the dtype"
          )
        }
      }
    }
    plan.outputSchema
  }
}
