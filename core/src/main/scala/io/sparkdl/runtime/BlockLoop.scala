package io.sparkdl.runtime

import org.apache.spark.sql.catalyst.InternalRow

import io.sparkdl.model.FeedMode
import io.sparkdl.tf.Tensor

/** What to do with a row that cannot be fed: a null cell, or a cell that breaks its shape. */
private[sparkdl] object HandleInvalid {
  val Error = "error"
  val Skip = "skip"
  /** Keep the row, with null outputs. */
  val Keep = "keep"
  val all: Seq[String] = Seq(Error, Skip, Keep)

  def check(value: String): String = {
    if (!all.contains(value)) {
      throw new IllegalArgumentException(s"handleInvalid must be one of ${all.mkString(", ")}, not '$value'")
    }
    value
  }
}

/**
 * One model's share of a block: the rows it is fed (held past the input's `next()`), one
 * session run over them, and the fetched tensors, checked against the plan, to read rows from.
 * The session is leased on first use, so an empty partition loads no model.
 */
private[sparkdl] final class ModelBlock(shipped: ShippedPlan, blockSize: Int) {
  private val plan = shipped.plan
  private val leading = plan.mode == FeedMode.Block
  private val fetchesLeading = plan.fetchMode == FeedMode.Block
  private var leased = false
  private lazy val runner = { leased = true; new ModelRunner(shipped) }
  private val held = new BlockRows(blockSize)
  private var tensors: Array[Tensor] = Array.empty
  private var readers: Array[TensorReader] = Array.empty

  /** The rows in the block. */
  var size = 0

  def names = plan.names

  /** Empties the block (after [[release]]). */
  def start(): Unit = { size = 0; runner.startBlock() }

  /** None when `row` is valid on its own, else what is wrong with it (see [[CellValidator]]). */
  def check(row: InternalRow): Option[String] = runner.check(row)

  /** Whether the row last checked may join the block: its cells have the block's shapes. */
  def fits: Boolean = runner.fitsBlock

  /** Holds the row last checked (a copy of it) in the block. */
  def add(row: InternalRow): Unit = { runner.accept(); held.set(size, row); size += 1 }

  def rows: Array[InternalRow] = held.rows

  /** Runs the model on the block; the results stay readable until [[release]]. */
  def run(): Unit = {
    tensors = runner.runBlock(held.rows, size, leading)
    // Filled one by one, so release() lets go of the readers made before one that fails its check.
    readers = new Array[TensorReader](tensors.length)
    var j = 0
    while (j < tensors.length) {
      readers(j) = new TensorReader(tensors(j), plan.fetches(j), fetchesLeading, plan.names)
      j += 1
    }
  }

  def fetchCount: Int = readers.length

  /** The rows fetch `j` returned (the block's size for row-wise models). */
  def resultRows(j: Int): Int = readers(j).numRows

  /** Stores fetch `j`'s row `i` into `target(ordinal)`. */
  def read(j: Int, i: Int, target: InternalRow, ordinal: Int): Unit = readers(j).read(i, target, ordinal)

  /** Frees the block's tensors and returns the session (tasks return it at task end anyway). */
  def close(): Unit = { release(); if (leased) runner.close() }

  /** Frees the block's tensors (after their readers let go); safe to call more than once. */
  def release(): Unit = {
    readers.foreach(r => if (r != null) r.close())
    tensors.foreach(_.close())
    tensors = Array.empty
    readers = Array.empty
  }
}

/**
 * The one block loop (rows -> tensors -> run -> rows) under map_blocks, map_rows and SQL
 * functions: streams a partition in blocks of at most `blockSize` rows through one or more
 * models, each fed from its own view of the input row ([[feedRow]]). Only one block of rows is
 * held at a time.
 *
 * A row invalid for any model fails the task naming the model's column (`error`), is dropped
 * (`skip`), or comes out alone with null outputs (`keep`, [[invalidRow]]). A valid row whose
 * cells differ in shape from the block's starts the next block, so which rows survive never
 * depends on the block size. A plan node passes its `metrics` to be counted.
 */
private[sparkdl] abstract class BlockLoop(
    input: Iterator[InternalRow],
    protected val models: Array[ModelBlock],
    blockSize: Int,
    handleInvalid: String,
    metrics: Option[BlockMetrics] = None
) extends BlockIterator(input) {
  private val feeds = new Array[InternalRow](models.length)
  private var carried: InternalRow = _ // a row that did not fit the last block
  private var invalid: InternalRow = _ // the kept invalid row that is the current "block"

  /** Output row `i` of a block the models ran on. */
  protected def blockRow(i: Int): InternalRow

  /** The output of an invalid row kept with `handleInvalid` 'keep': its outputs null. */
  protected def invalidRow(row: InternalRow): InternalRow

  final override protected def row(i: Int): InternalRow =
    if (invalid != null) invalidRow(invalid) else blockRow(i)

  /** The row model `m` is fed from, for input row `row` (valid until the next call). */
  protected def feedRow(m: Int, row: InternalRow): InternalRow = row

  /** Called with each input row the block takes, at position `i`. */
  protected def hold(i: Int, row: InternalRow): Unit = ()

  /** The number of output rows of a block of `n` input rows, after the models ran. */
  protected def outputRows(n: Int): Int

  override protected def hasMoreInput: Boolean = carried != null || input.hasNext

  override protected def nextBlock(): Int = {
    models.foreach(_.start())
    var n = 0
    var full = false
    while (!full && n < blockSize && hasMoreInput) {
      val row = if (carried != null) carried else input.next()
      carried = null
      var m = 0
      var problem: Option[String] = None
      var fits = true
      while (m < models.length && problem.isEmpty) {
        feeds(m) = feedRow(m, row)
        problem = models(m).check(feeds(m))
        fits &&= models(m).fits
        m += 1
      }
      problem match {
        case Some(p) =>
          handleInvalid match {
            case HandleInvalid.Skip => metrics.foreach(_.invalidRows.add(1))
            case HandleInvalid.Keep =>
              // Alone, in order: after the rows before it have gone through the model.
              if (n == 0) { metrics.foreach(_.invalidRows.add(1)); invalid = row; return 1 }
              carried = row.copy()
              full = true
            case _ =>
              throw new IllegalArgumentException(
                models(m - 1).names.error(s"$p (${models(m - 1).names.invalidRowHint})")
              )
          }
        case None if !fits =>
          carried = row.copy()
          full = true
        case None =>
          hold(n, row)
          m = 0
          while (m < models.length) { models(m).add(feeds(m)); m += 1 }
          n += 1
      }
    }
    if (n == 0) 0
    else {
      val started = System.nanoTime()
      models.foreach(_.run())
      metrics.foreach { m =>
        m.tfTime.add(System.nanoTime() - started)
        m.modelRuns.add(models.length)
        m.rows.add(n)
      }
      outputRows(n)
    }
  }

  override protected def release(): Unit = { invalid = null; models.foreach(_.release()) }
}
