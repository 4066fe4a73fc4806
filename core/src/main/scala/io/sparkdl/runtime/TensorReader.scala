package io.sparkdl.runtime

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData
import org.apache.spark.sql.catalyst.util.{ArrayData, GenericArrayData}
import org.apache.spark.unsafe.Platform

import io.sparkdl.model.{BindingNames, Fetch}
import io.sparkdl.tf.{DType, Shape, Tensor}

/**
 * Reads a fetched tensor back as Spark values, one row (cell) at a time, into an output row:
 * arrays by bulk copies from tensor memory into fresh unsafe arrays, scalars by direct loads.
 *
 * The tensor is checked first against what the plan declared for `fetch` (dtype, rank, known
 * dimensions): the output rows are laid out by the declaration, so a model that returns
 * something else must fail with an error, never write malformed rows.
 */
private[sparkdl] final class TensorReader(tensor: Tensor, fetch: Fetch, leading: Boolean, names: BindingNames)
    extends AutoCloseable {
  TensorReader.check(tensor, fetch, leading, names)

  val cellShape: Shape = if (leading) tensor.shape.tail else tensor.shape
  /** The number of rows (cells) the tensor holds. */
  val numRows: Int = if (leading) Math.toIntExact(tensor.shape(0)) else 1
  private val dtype = tensor.dtype
  private val cellElements = cellShape.numElements
  private val strings = if (dtype == DType.TString) tensor.strings() else null
  // Holds the tensor's memory until close: the tensor cannot be freed under the reads.
  private val memory = if (dtype == DType.TString) null else tensor.memory()
  private val base = if (memory == null) 0L else memory.address
  private val elementSize = dtype.byteSize.toLong

  /** Stores cell `i` into `target(ordinal)`. */
  def read(i: Int, target: InternalRow, ordinal: Int): Unit = {
    if (dtype == DType.TString) {
      if (cellShape.rank == 0) target.update(ordinal, strings(i))
      else target.update(ordinal, stringArray(i))
    } else if (cellShape.rank == 0) readScalar(base + i * elementSize, target, ordinal)
    else target.update(ordinal, readArray(base + i * cellElements * elementSize, 0)._1)
  }

  /** Lets the tensor go; call before closing it. */
  override def close(): Unit = if (memory != null) memory.close()

  private def readScalar(address: Long, target: InternalRow, ordinal: Int): Unit = dtype match {
    case DType.Float32 => target.setFloat(ordinal, Platform.getFloat(null, address))
    case DType.Float64 => target.setDouble(ordinal, Platform.getDouble(null, address))
    case DType.Int32 => target.setInt(ordinal, Platform.getInt(null, address))
    case DType.Int64 => target.setLong(ordinal, Platform.getLong(null, address))
    case DType.Int16 => target.setShort(ordinal, Platform.getShort(null, address))
    case DType.Int8 => target.setByte(ordinal, Platform.getByte(null, address))
    case DType.UInt8 => target.setInt(ordinal, Platform.getByte(null, address) & 0xff)
    case DType.Bool => target.setBoolean(ordinal, Platform.getByte(null, address) != 0)
    case DType.TString => throw new IllegalStateException("strings are read by stringArray")
  }

  // Returns the array for the level `depth` of a cell at `address`, and the address after it.
  private def readArray(address: Long, depth: Int): (ArrayData, Long) = {
    val n = Math.toIntExact(cellShape(depth))
    if (depth == cellShape.rank - 1) {
      if (dtype == DType.UInt8) {
        val out = UnsafeArrayData.createFreshArray(n, 4)
        var i = 0
        while (i < n) { out.setInt(i, Platform.getByte(null, address + i) & 0xff); i += 1 }
        (out, address + n)
      } else {
        val out = UnsafeArrayData.createFreshArray(n, elementSize.toInt)
        val header = UnsafeArrayData.calculateHeaderPortionInBytes(n)
        Platform.copyMemory(null, address, out.getBaseObject, out.getBaseOffset + header, n * elementSize)
        (out, address + n * elementSize)
      }
    } else {
      val children = new Array[Any](n)
      var next = address
      var i = 0
      while (i < n) {
        val (child, after) = readArray(next, depth + 1)
        children(i) = child
        next = after
        i += 1
      }
      (new GenericArrayData(children), next)
    }
  }

  private def stringArray(i: Int): ArrayData = {
    val start = i * cellElements
    def level(depth: Int, offset: Long): (ArrayData, Long) = {
      val n = Math.toIntExact(cellShape(depth))
      val children = new Array[Any](n)
      var next = offset
      var j = 0
      while (j < n) {
        if (depth == cellShape.rank - 1) { children(j) = strings(Math.toIntExact(next)); next += 1 }
        else { val (c, after) = level(depth + 1, next); children(j) = c; next = after }
        j += 1
      }
      (new GenericArrayData(children), next)
    }
    level(0, start)._1
  }
}

private[sparkdl] object TensorReader {

  /** Fails unless `tensor` is what `fetch` declares (with a leading row dimension if `leading`). */
  def check(tensor: Tensor, fetch: Fetch, leading: Boolean, names: BindingNames): Unit = {
    val declared = if (leading) fetch.cell.prepend(-1) else fetch.cell
    val shape = tensor.shape
    if (tensor.dtype != fetch.dtype || !shape.hasKnownRank || shape.rank != declared.rank ||
        !declared.isCompatibleWith(shape)) {
      throw new IllegalArgumentException(names.error(
        s"${names.output(fetch.tensor)} returned a ${tensor.dtype} tensor of shape $shape, but the model " +
          s"declares ${fetch.dtype}$declared; expected the declared dtype and rank (fix the model's static " +
          "shape, e.g. with tf.reshape or set_shape)"
      ))
    }
  }
}
