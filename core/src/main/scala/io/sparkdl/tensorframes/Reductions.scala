package io.sparkdl.tensorframes

import scala.collection.mutable.ArrayBuffer

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{BoundReference, JoinedRow, SpecificInternalRow, UnsafeProjection, UnsafeRow}
import org.apache.spark.sql.types.StructType

import io.sparkdl.model.{BindingNames, FeedMode, GraphProgram, Plan}
import io.sparkdl.runtime.{ModelBlock, ModelRunner, ShippedPlan, TensorReader}

/**
 * Reduces a stream of rows to one row with a reduce_blocks graph: blocks of input rows are reduced
 * to partial rows, and partials are reduced again whenever `blockSize` of them pile up, so memory
 * stays at one block however long the stream. `input` plans the graph over the input rows'
 * layout, `partial` over the layout of its own results (the fetch columns).
 */
private[sparkdl] final class StreamReducer(input: ShippedPlan, partial: ShippedPlan, blockSize: Int)
    extends AutoCloseable {
  private val names = input.plan.names
  private val inputBlock = new ModelBlock(input, blockSize)
  // Partials pile up to blockSize, then one more joins the collapsed one.
  private val partialBlock = new ModelBlock(partial, blockSize + 1)
  private val fetches = partial.plan.fetches
  private val partials = ArrayBuffer.empty[InternalRow]
  private val out = new SpecificInternalRow(fetches.map(_.field.dataType))
  private val project = UnsafeProjection.create(partial.plan.outputSchema)
  private var used = false

  def start(): Unit = { partials.clear(); used = true; inputBlock.start() }

  /** Releases the sessions (tasks release them at task end anyway; the driver must call this). */
  override def close(): Unit = if (used) { inputBlock.close(); partialBlock.close() }

  def add(row: InternalRow): Unit = {
    inputBlock.check(row).foreach(problem => throw new IllegalArgumentException(names.error(problem)))
    if (!inputBlock.fits) flush() // cells of another shape reduce in a block of their own
    inputBlock.add(row)
    if (inputBlock.size == blockSize) flush()
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

  private def flush(): Unit = if (inputBlock.size > 0) {
    partials += reduce(inputBlock)
    inputBlock.start()
    if (partials.length >= blockSize) collapse()
  }

  private def collapse(): Unit = {
    partialBlock.start()
    partials.foreach { p =>
      partialBlock.check(p).orElse(if (partialBlock.fits) None else Some("partial results differ in shape"))
        .foreach(problem => throw new IllegalArgumentException(names.error(problem)))
      partialBlock.add(p)
    }
    val reduced = reduce(partialBlock)
    partials.clear()
    partials += reduced
  }

  // The block reduced to one row of one cell per fetch.
  private def reduce(block: ModelBlock): InternalRow = {
    block.run()
    try {
      var j = 0
      while (j < fetches.length) { block.read(j, 0, out, j); j += 1 }
      project(out).copy()
    } finally block.release()
  }
}

/** Plans for the reduce conventions: fetch `x` reads placeholder `x_input` (blocks) or
 * `x_1`/`x_2` (pairs of rows), fed from column `x`. */
private[sparkdl] object ReducePlans {

  /** The plan of a reduce_blocks graph over `schema`: blocks in, one cell per fetch out. */
  def blocks(schema: StructType, program: GraphProgram, op: String): Plan =
    Plan(schema, program, FeedMode.Block, BindingNames.of(op), Some(blockColumnOf(op)), Some(FeedMode.Row))

  /** The plan of a reduce_rows graph over `schema`: two cells in, one out. */
  def pairs(schema: StructType, program: GraphProgram, op: String): Plan =
    Plan(schema, program, FeedMode.Row, BindingNames.of(op), Some(pairColumnOf(op)), Some(FeedMode.Row))

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
        if (feed.dtype != f.dtype) {
          throw new IllegalArgumentException(
            s"$op: fetch '${f.tensor}' is ${f.dtype} but placeholder '${feed.placeholder}' takes " +
              s"${feed.dtype}; a reduction must keep the dtype"
          )
        }
      }
    }
    plan.outputSchema
  }
}

/** A partition reduced to (at most) one row, the first phase of reduce_blocks. */
private[sparkdl] final class PartitionReducer(input: ShippedPlan, partial: ShippedPlan, blockSize: Int)
    extends PartitionFunction {
  def apply(rows: Iterator[InternalRow]): Iterator[InternalRow] = {
    val reducer = new StreamReducer(input, partial, blockSize)
    reducer.start()
    rows.foreach(reducer.add)
    reducer.finish().iterator
  }
}

/** A partition folded to (at most) one row, the first phase of reduce_rows. */
private[sparkdl] final class PartitionFolder(shipped: ShippedPlan) extends PartitionFunction {
  def apply(rows: Iterator[InternalRow]): Iterator[InternalRow] = new PairFolder(shipped).fold(rows).iterator
}

/** Folds rows pairwise with a reduce_rows graph: acc = graph(acc, row). */
private[sparkdl] final class PairFolder(shipped: ShippedPlan) {
  private val fetches = shipped.plan.fetches
  private val feeds = shipped.plan.feeds

  /** The fold of `rows`; `release` frees the session at the end (on the driver, with no task). */
  def fold(rows: Iterator[InternalRow], release: Boolean = false): Option[InternalRow] = {
    if (!rows.hasNext) return None
    val runner = new ModelRunner(shipped)
    try foldWith(runner, rows) finally if (release) runner.close()
  }

  private def foldWith(runner: ModelRunner, rows: Iterator[InternalRow]): Option[InternalRow] = {
    val out = new org.apache.spark.sql.catalyst.expressions.SpecificInternalRow(fetches.map(_.field.dataType))
    val project = UnsafeProjection.create(shipped.plan.outputSchema)
    var acc: InternalRow = rows.next().copy()
    val cells = new Array[InternalRow](feeds.length)
    while (rows.hasNext) {
      val row = rows.next()
      var i = 0
      while (i < feeds.length) { cells(i) = if (feeds(i).placeholder.endsWith("_1")) acc else row; i += 1 }
      runner.checkCells(cells).foreach(problem => throw new IllegalArgumentException(shipped.plan.names.error(problem)))
      val tensors = runner.runCells(cells)
      try {
        var j = 0
        while (j < tensors.length) {
          val reader = new TensorReader(tensors(j), fetches(j), leading = false, shipped.plan.names)
          try reader.read(0, out, j) finally reader.close()
          j += 1
        }
        acc = project(out).copy()
      } finally tensors.foreach(_.close())
    }
    Some(acc)
  }
}

/** Reduces sorted rows group by group: keys first, then the fetch columns' partial results. */
private[sparkdl] final class GroupReducer(
    input: ShippedPlan, // the plan over the input rows
    partial: ShippedPlan, // the plan over partial results
    keySchema: StructType,
    blockSize: Int
) extends PartitionFunction {

  def apply(rows: Iterator[InternalRow]): Iterator[InternalRow] = {
    val keyProject = UnsafeProjection.create(keySchema.fields.toSeq.zipWithIndex.map { case (f, i) =>
      BoundReference(i, f.dataType, f.nullable)
    })
    val joined = new JoinedRow()
    lazy val reducer = new StreamReducer(input, partial, blockSize)
    new Iterator[InternalRow] {
      private var pending: InternalRow = if (rows.hasNext) rows.next() else null
      override def hasNext: Boolean = pending != null
      override def next(): InternalRow = {
        val key = keyProject(pending).copy()
        reducer.start()
        while (pending != null && keyProject(pending) == key) {
          reducer.add(pending)
          pending = if (rows.hasNext) rows.next() else null
        }
        joined(key, reducer.finish().get) // the DataFrame over these rows projects them
      }
    }
  }
}
