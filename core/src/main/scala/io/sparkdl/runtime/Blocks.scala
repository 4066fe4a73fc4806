package io.sparkdl.runtime

import org.apache.spark.TaskContext
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.UnsafeRow
import org.apache.spark.unsafe.Platform

/**
 * The rows of one block, held past the input iterator's `next()` (which may reuse its row).
 * Unsafe rows are copied into per-slot buffers that later blocks reuse, so a steady stream
 * allocates nothing per row; other rows are copied. Grown on demand: a huge `blockSize` ("one
 * block per partition") must not allocate up front.
 */
private[sparkdl] final class BlockRows(blockSize: Int) {
  private var held = new Array[InternalRow](math.min(blockSize, 1024))
  private var slots = new Array[UnsafeRow](held.length)

  /** The held rows; `rows(i)` is valid until `set(i, _)` is called again. */
  def rows: Array[InternalRow] = held

  /** Holds (a copy of) `row` in slot `i`; slots fill in order from 0. */
  def set(i: Int, row: InternalRow): Unit = {
    if (i == held.length) {
      val size = math.min(blockSize.toLong, i * 2L).toInt
      held = java.util.Arrays.copyOf(held, size)
      slots = java.util.Arrays.copyOf(slots, size)
    }
    held(i) = row match {
      case unsafe: UnsafeRow => copyInto(i, unsafe)
      case other => other.copy()
    }
  }

  private def copyInto(i: Int, row: UnsafeRow): UnsafeRow = {
    val size = row.getSizeInBytes
    var slot = slots(i)
    if (slot == null || slot.numFields != row.numFields) {
      slot = new UnsafeRow(row.numFields)
      slot.pointTo(new Array[Byte](size), size)
      slots(i) = slot
    }
    // The slot's byte[] is its capacity (pointTo keeps it); sizeInBytes is only the last row's.
    var buffer = slot.getBaseObject.asInstanceOf[Array[Byte]]
    if (buffer.length < size) buffer = new Array[Byte](size)
    Platform.copyMemory(row.getBaseObject, row.getBaseOffset, buffer, Platform.BYTE_ARRAY_OFFSET, size)
    slot.pointTo(buffer, size)
    slot
  }
}

/**
 * A partition's output, produced a block at a time: [[nextBlock]] reads up to a block of input
 * rows and runs the model on them, [[row]] gives the block's output rows one by one, [[release]]
 * frees the block's tensors (before the next block, at the end, and when the task ends).
 */
private[sparkdl] abstract class BlockIterator(input: Iterator[InternalRow]) extends Iterator[InternalRow] {
  private var count = 0
  private var pos = 0

  Option(TaskContext.get()).foreach(_.addTaskCompletionListener[Unit](_ => release()))

  /** Consumes up to a block of `input` (at least one row) and runs it; returns its output rows. */
  protected def nextBlock(): Int

  /** Output row `i` of the current block (may be reused by the next call). */
  protected def row(i: Int): InternalRow

  /** Frees the current block's resources; safe to call more than once. */
  protected def release(): Unit

  /** Whether input is left for another block. */
  protected def hasMoreInput: Boolean = input.hasNext

  final override def hasNext: Boolean = {
    while (pos >= count && hasMoreInput) {
      release()
      count = nextBlock()
      pos = 0
    }
    if (pos >= count) release()
    pos < count
  }

  final override def next(): InternalRow = {
    if (!hasNext) throw new NoSuchElementException
    val out = row(pos)
    pos += 1
    out
  }
}
