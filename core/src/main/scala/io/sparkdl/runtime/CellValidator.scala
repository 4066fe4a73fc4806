package io.sparkdl.runtime

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData
import org.apache.spark.sql.catalyst.util.ArrayData
import org.apache.spark.sql.types.{ArrayType, DataType}
import org.apache.spark.unsafe.Platform

import io.sparkdl.model.{BindingNames, CellKind, ImageStruct, TensorColumn}
import io.sparkdl.tf.Shape

/**
 * Checks one column's cells before they are written to a tensor.
 *
 * A cell is invalid — skipped or an error, per handleInvalid — when it is null, holds nulls, is
 * ragged inside (nested arrays of different lengths), is a malformed ML vector, or breaks the
 * declared shape: the placeholder's known dimensions, else those recorded in the column's
 * metadata (`analyze`, `append_shape`). That is a property of the row alone, so which rows are
 * invalid never depends on how rows fall into blocks. Valid cells whose undeclared dimensions
 * differ from the block's only end the block: the next block starts with them.
 */
private[sparkdl] final class CellValidator(column: TensorColumn, placeholderCell: Shape, names: BindingNames) {
  private val rank = column.cellRank
  private val declared: Array[Long] = {
    val fromModel =
      if (placeholderCell.hasKnownRank && placeholderCell.rank == rank) placeholderCell.dims
      else Array.fill(rank)(-1L)
    val fromColumn = column.cellShape.dims
    Array.tabulate(rank)(i => if (fromModel(i) >= 0) fromModel(i) else fromColumn(i))
  }
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
  private val who = names.column(column.name)
  private var blockShape: Array[Long] = _

  /** Forgets the block's shape: the next accepted cell sets it. */
  def startBlock(): Unit = blockShape = null

  /** The cell shape of the current block (after at least one accepted cell). */
  def cellShape: Shape = Shape.of(if (rank == 0) Array.emptyLongArray else blockShape)

  /** None when the row's cell is valid on its own (see the class doc), else what is wrong. */
  def check(row: InternalRow): Option[String] = {
    // Reading a row by another schema's ordinals would read bytes as offsets: refuse, never guess.
    if (row.numFields != column.rowWidth) {
      throw new IllegalStateException(s"sparkdl internal error: $who was resolved in rows of " +
        s"${column.rowWidth} columns but is read from rows of ${row.numFields}")
    }
    if (row.isNullAt(column.index)) return Some(s"$who has a null cell")
    if (rank == 0) return None
    val problem = column.kind match {
      case CellKind.Vector => checkVector(row.getStruct(column.index, 4))
      case CellKind.Image => checkImage(row.getStruct(column.index, ImageStruct.NumFields))
      case CellKind.Array(_) => measure(row.getArray(column.index), 0)
      case _ => None
    }
    if (problem.isDefined) return problem
    var i = 0
    while (i < rank) {
      if (declared(i) >= 0 && current(i) != declared(i)) {
        return Some(s"$who has a cell of shape ${Shape.of(current.clone())} where ${Shape.of(declared)} is " +
          "declared (by the model input, or the column's recorded shape)")
      }
      i += 1
    }
    None
  }

  /** Whether the cell last checked has the block's shape (any shape fits an empty block). */
  def fitsBlock: Boolean = rank == 0 || blockShape == null || java.util.Arrays.equals(blockShape, current)

  /** Takes the cell last checked into the block. */
  def accept(): Unit = if (rank > 0 && blockShape == null) blockShape = current.clone()

  // Records the nested lengths of `array` into `current`, requiring all siblings to agree.
  private def measure(array: ArrayData, depth: Int): Option[String] = {
    val n = array.numElements()
    current(depth) = n
    if (depth + 1 == rank) {
      if (leafMayHoldNull && hasNull(array)) Some(s"$who has a null array element")
      else None
    } else {
      var i = 0
      var firstLen = -1L
      while (i < n) {
        if (array.isNullAt(i)) return Some(s"$who has a null nested array")
        val inner = array.getArray(i)
        if (firstLen >= 0 && inner.numElements() != firstLen) {
          return Some(s"$who has a ragged cell (nested arrays of lengths $firstLen and ${inner.numElements()})")
        }
        val p = measure(inner, depth + 1)
        if (p.isDefined) return p
        firstLen = inner.numElements()
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

  // An image struct comes from user data: its sizes and mode must agree with its data's length.
  private def checkImage(image: InternalRow): Option[String] = {
    // Which image, when it says (a user finds the file behind the row by it); made only for an
    // error, never per valid row.
    def from: String = {
      val origin =
        if (image.isNullAt(ImageStruct.Origin)) ""
        else image.getUTF8String(ImageStruct.Origin).toString
      if (origin.isEmpty) "" else s" '$origin'"
    }
    if (image.isNullAt(ImageStruct.Data)) return Some(s"$who has an image$from without data")
    val h = image.getInt(ImageStruct.Height)
    val w = image.getInt(ImageStruct.Width)
    val c = image.getInt(ImageStruct.Channels)
    val expected = ImageStruct.expectedDataSize(h, w, c, image.getInt(ImageStruct.Mode))
    if (expected < 0) {
      return Some(s"$who has an invalid image$from (height $h, width $w, $c channels, mode " +
        s"${image.getInt(ImageStruct.Mode)}); expected positive sizes, 1, 3 or 4 channels and an 8-bit " +
        "or float32 OpenCV mode of that many channels")
    }
    if (ImageStruct.dataSize(image) != expected) {
      return Some(s"$who has an image$from of ${h}x${w}x$c whose data holds " +
        s"${ImageStruct.dataSize(image)} bytes; expected $expected")
    }
    current(0) = h
    current(1) = w
    current(2) = c
    None
  }

  // An ML vector's struct comes from user data: its size, indices and values are checked here,
  // because the writer stores value i at offset indices(i) of the tensor.
  private def checkVector(v: InternalRow): Option[String] = {
    if (v.isNullAt(3)) return Some(s"$who has a vector without values")
    val values = v.getArray(3)
    if (v.getByte(0) == 1) {
      current(0) = values.numElements()
      return None
    }
    if (v.isNullAt(1) || v.isNullAt(2)) return Some(s"$who has a sparse vector without a size or indices")
    val size = v.getInt(1)
    val indices = v.getArray(2)
    if (size < 0) return Some(s"$who has a sparse vector of negative size $size")
    if (indices.numElements() != values.numElements()) {
      return Some(s"$who has a sparse vector with ${indices.numElements()} indices and " +
        s"${values.numElements()} values; expected as many of each")
    }
    var i = 0
    while (i < indices.numElements()) {
      val index = indices.getInt(i)
      if (index < 0 || index >= size) {
        return Some(s"$who has a sparse vector of size $size with index $index; expected indices in [0, $size)")
      }
      i += 1
    }
    current(0) = size
    None
  }
}

/**
 * One row's cells checked against every fed column's [[CellValidator]]: the row is valid when each
 * cell is, and fits the block when each cell does. Shared by model runs and training batches.
 */
private[sparkdl] final class RowValidator(validators: Array[CellValidator]) {

  /** Forgets the block's shapes. */
  def startBlock(): Unit = { var i = 0; while (i < validators.length) { validators(i).startBlock(); i += 1 } }

  /** None when every cell of `row` is valid on its own, else what is wrong with the first bad one. */
  def check(row: InternalRow): Option[String] = {
    var i = 0
    while (i < validators.length) {
      val problem = validators(i).check(row)
      if (problem.isDefined) return problem
      i += 1
    }
    None
  }

  /** Whether the row last checked has the current block's cell shapes. */
  def fitsBlock: Boolean = {
    var i = 0
    while (i < validators.length) { if (!validators(i).fitsBlock) return false; i += 1 }
    true
  }

  /** Takes the row last checked into the block (its shapes become the block's). */
  def accept(): Unit = { var i = 0; while (i < validators.length) { validators(i).accept(); i += 1 } }

  /** The block's cell shape of column `i`. */
  def cellShape(i: Int): Shape = validators(i).cellShape

  /** Checks cell `i` of `row` alone, as a block of its own (pairs of rows of reduce_rows). */
  def checkAlone(i: Int, row: InternalRow): Option[String] = {
    validators(i).startBlock()
    val problem = validators(i).check(row)
    if (problem.isEmpty) validators(i).accept()
    problem
  }

  def length: Int = validators.length
}
