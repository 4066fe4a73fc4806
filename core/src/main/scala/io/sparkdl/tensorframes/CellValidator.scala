package io.sparkdl.tensorframes

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData
import org.apache.spark.sql.catalyst.util.ArrayData
import org.apache.spark.sql.types.{ArrayType, DataType}
import org.apache.spark.unsafe.Platform

import io.sparkdl.tf.Shape

/**
 * Checks one column's cells before they are written to a tensor: no nulls, and every cell of a
 * block with the same shape (the placeholder's known dims, else the block's first cell's).
 */
private[sparkdl] final class CellValidator(column: TensorColumn, placeholderCell: Shape) {
  private val rank = column.cellRank
  private val known: Array[Long] =
    if (placeholderCell.hasKnownRank && placeholderCell.rank == rank) placeholderCell.dims
    else Array.fill(rank)(-1L)
  private val current = new Array[Long](rank)
  // Whether the innermost arrays may hold nulls at all (their type says so).
  private val leafMayHoldNull: Boolean = {
    def leaf(t: DataType): Boolean = t match {
      case ArrayType(inner: ArrayType, _) => leaf(inner)
      case ArrayType(_, containsNull) => containsNull
      case _ => false
    }
    leaf(column.dataType)
  }
  private var blockShape: Array[Long] = _

  /** Forgets the block's shape: the next valid cell sets it. */
  def startBlock(): Unit = blockShape = null

  /** The cell shape of the current block (after at least one valid cell). */
  def cellShape: Shape = Shape.of(if (rank == 0) Array.emptyLongArray else blockShape)

  /** None when the cell can join the block, else what is wrong with it. */
  def check(row: InternalRow): Option[String] = {
    if (row.isNullAt(column.index)) return Some(s"column '${column.name}' has a null cell")
    if (rank == 0) return None
    val problem = column.kind match {
      case CellKind.Vector => current(0) = vectorSize(row); None
      case CellKind.Array(_) => measure(row.getArray(column.index), 0)
      case _ => None
    }
    if (problem.isDefined) problem
    else {
      var i = 0
      var broken = -1
      while (i < rank && broken < 0) {
        if (known(i) >= 0 && current(i) != known(i)) broken = i
        i += 1
      }
      if (broken >= 0) Some(mismatch(Shape.of(known)))
      else if (blockShape == null) { blockShape = current.clone(); None }
      else if (!java.util.Arrays.equals(blockShape, current)) Some(mismatch(Shape.of(blockShape)))
      else None
    }
  }

  private def mismatch(expected: Shape) =
    s"column '${column.name}' has a cell of shape ${Shape.of(current.clone())} where the block " +
      s"expects $expected (ragged arrays can only go through map_rows)"

  // Records the nested lengths of `array` into `current`, requiring all siblings to agree.
  private def measure(array: ArrayData, depth: Int): Option[String] = {
    val n = array.numElements()
    current(depth) = n
    if (depth + 1 == rank) {
      if (leafMayHoldNull && hasNull(array)) Some(s"column '${column.name}' has a null array element")
      else None
    } else {
      var i = 0
      var firstLen = -1L
      while (i < n) {
        if (array.isNullAt(i)) return Some(s"column '${column.name}' has a null nested array")
        val inner = array.getArray(i)
        if (firstLen < 0) {
          val p = measure(inner, depth + 1)
          if (p.isDefined) return p
          firstLen = inner.numElements()
        } else if (inner.numElements() != firstLen) {
          return Some(s"column '${column.name}' has a ragged cell (nested arrays of lengths $firstLen and ${inner.numElements()})")
        } else {
          val p = measure(inner, depth + 1)
          if (p.isDefined) return p
        }
        i += 1
      }
      if (n == 0) (depth + 1 until rank).foreach(current(_) = 0)
      None
    }
  }

  private def hasNull(array: ArrayData): Boolean = array match {
    case unsafe: UnsafeArrayData =>
      // The null bits follow the 8-byte length: test them a word at a time.
      val words = (unsafe.numElements() + 63) / 64
      var w = 0
      while (w < words) {
        if (Platform.getLong(unsafe.getBaseObject, unsafe.getBaseOffset + 8 + w * 8L) != 0L) return true
        w += 1
      }
      false
    case _ => hasNullSlow(array)
  }

  private def hasNullSlow(array: ArrayData): Boolean = {
    var i = 0
    while (i < array.numElements()) { if (array.isNullAt(i)) return true; i += 1 }
    false
  }

  private def vectorSize(row: InternalRow): Long = {
    val v = row.getStruct(column.index, 4)
    if (v.getByte(0) == 0) v.getInt(1).toLong else v.getArray(3).numElements().toLong
  }
}
