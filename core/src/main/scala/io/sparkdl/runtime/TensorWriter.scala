package io.sparkdl.runtime

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData
import org.apache.spark.sql.catalyst.util.ArrayData
import org.apache.spark.sql.types.{BinaryType, StringType}
import org.apache.spark.unsafe.Platform

import io.sparkdl.model.{CellKind, ImageStruct, TensorColumn}
import io.sparkdl.tf.{DType, Shape, Tensor}

/**
 * Writes one column of a block of rows straight into a tensor of `dtype`: arrays by bulk copies
 * from Spark's internal (unsafe) arrays when the column holds `dtype` values, converting element
 * by element otherwise (the conversions [[io.sparkdl.model.CastPolicy]] allows); scalars by
 * direct stores; no `Row`, no boxing. Rows must have been checked by a [[CellValidator]].
 */
private[sparkdl] final class TensorWriter(column: TensorColumn, dtype: DType) {
  private val elementSize = dtype.byteSize.toLong
  private val converts = column.dtype != dtype

  /**
   * A new tensor of shape `[n] ++ cellShape` (or `cellShape` when `!leading` and `n == 1`) holding
   * the column's cells of `rows(0 until n)`.
   */
  def write(rows: Array[InternalRow], n: Int, cellShape: Shape, leading: Boolean = true): Tensor = {
    val shape = if (leading) cellShape.prepend(n.toLong) else cellShape
    if (dtype == DType.TString) return writeStrings(rows, n, shape)
    val tensor = Tensor.allocate(dtype, shape)
    try {
      val cellElements = cellShape.numElements
      tensor.withAddress { start =>
        var address = start
        var i = 0
        while (i < n) {
          writeCell(rows(i), address, cellShape, cellElements)
          address += cellElements * elementSize
          i += 1
        }
      }
      tensor
    } catch {
      case e: Throwable => tensor.close(); throw e
    }
  }

  private def writeCell(row: InternalRow, address: Long, cellShape: Shape, cellElements: Long): Unit =
    column.kind match {
      case CellKind.Scalar => writeScalar(row, address)
      case CellKind.Array(_) => writeArray(row.getArray(column.index), address, cellShape, 0)
      case CellKind.Vector => writeVector(row.getStruct(column.index, 4), address, cellElements)
      case CellKind.Image => writeImage(row.getStruct(column.index, ImageStruct.NumFields), address, cellElements)
      case CellKind.Bytes => throw new IllegalStateException("strings are written by writeStrings")
    }

  private def writeScalar(row: InternalRow, address: Long): Unit = {
    val i = column.index
    column.dtype match {
      case DType.Float32 => putDouble(address, row.getFloat(i))
      case DType.Float64 => putDouble(address, row.getDouble(i))
      case DType.Int32 => putLong(address, row.getInt(i))
      case DType.Int64 => putLong(address, row.getLong(i))
      case DType.Int16 => putLong(address, row.getShort(i))
      case DType.Int8 => putLong(address, row.getByte(i))
      case DType.Bool => Platform.putByte(null, address, if (row.getBoolean(i)) 1 else 0)
      case other => throw new IllegalStateException(s"no scalar column holds $other")
    }
  }

  // Copies nested arrays depth-first; the innermost level is one bulk copy per array.
  private def writeArray(array: ArrayData, address: Long, cellShape: Shape, depth: Int): Long = {
    val n = array.numElements()
    if (n != cellShape(depth)) {
      throw new IllegalArgumentException(
        s"column '${column.name}': a nested array of length $n where the block has ${cellShape(depth)}"
      )
    }
    if (depth == cellShape.rank - 1) {
      copyLeaf(array, address, n)
      address + n * elementSize
    } else {
      var next = address
      var i = 0
      while (i < n) { next = writeArray(array.getArray(i), next, cellShape, depth + 1); i += 1 }
      next
    }
  }

  private def copyLeaf(array: ArrayData, address: Long, n: Int): Unit = array match {
    case _ if converts => convertLeaf(array, address, n)
    case unsafe: UnsafeArrayData =>
      val header = UnsafeArrayData.calculateHeaderPortionInBytes(n)
      Platform.copyMemory(unsafe.getBaseObject, unsafe.getBaseOffset + header, null, address, n * elementSize)
    case generic =>
      dtype match {
        case DType.Float32 => copyFrom(generic.toFloatArray(), Platform.FLOAT_ARRAY_OFFSET, address, n)
        case DType.Float64 => copyFrom(generic.toDoubleArray(), Platform.DOUBLE_ARRAY_OFFSET, address, n)
        case DType.Int32 => copyFrom(generic.toIntArray(), Platform.INT_ARRAY_OFFSET, address, n)
        case DType.Int64 => copyFrom(generic.toLongArray(), Platform.LONG_ARRAY_OFFSET, address, n)
        case DType.Int16 => copyFrom(generic.toShortArray(), Platform.SHORT_ARRAY_OFFSET, address, n)
        case DType.Int8 => copyFrom(generic.toByteArray(), Platform.BYTE_ARRAY_OFFSET, address, n)
        case DType.Bool =>
          val values = generic.toBooleanArray()
          var i = 0
          while (i < n) { Platform.putByte(null, address + i, if (values(i)) 1 else 0); i += 1 }
        case other => throw new IllegalStateException(s"no array column holds $other")
      }
  }

  // Element by element, from the column's dtype to the tensor's.
  private def convertLeaf(array: ArrayData, address: Long, n: Int): Unit = {
    var i = 0
    column.dtype match {
      case DType.Float32 => while (i < n) { putDouble(address + i * elementSize, array.getFloat(i)); i += 1 }
      case DType.Float64 => while (i < n) { putDouble(address + i * elementSize, array.getDouble(i)); i += 1 }
      case DType.Int32 => while (i < n) { putLong(address + i * elementSize, array.getInt(i)); i += 1 }
      case DType.Int64 => while (i < n) { putLong(address + i * elementSize, array.getLong(i)); i += 1 }
      case DType.Int16 => while (i < n) { putLong(address + i * elementSize, array.getShort(i)); i += 1 }
      case DType.Int8 => while (i < n) { putLong(address + i * elementSize, array.getByte(i)); i += 1 }
      case other => throw new IllegalStateException(s"no conversion from $other to $dtype")
    }
  }

  // Stores a float value as the tensor's dtype (float32 or float64: CastPolicy allows no other).
  private def putDouble(address: Long, v: Double): Unit = dtype match {
    case DType.Float32 => Platform.putFloat(null, address, v.toFloat)
    case DType.Float64 => Platform.putDouble(null, address, v)
    case other => throw new IllegalStateException(s"floats do not feed $other")
  }

  // Stores an integer value as the tensor's dtype.
  private def putLong(address: Long, v: Long): Unit = dtype match {
    case DType.Int64 => Platform.putLong(null, address, v)
    case DType.Int32 => Platform.putInt(null, address, v.toInt)
    case DType.Int16 => Platform.putShort(null, address, v.toShort)
    case DType.Int8 => Platform.putByte(null, address, v.toByte)
    case DType.Float32 => Platform.putFloat(null, address, v.toFloat)
    case DType.Float64 => Platform.putDouble(null, address, v.toDouble)
    case other => throw new IllegalStateException(s"integers do not feed $other")
  }

  private def copyFrom(values: AnyRef, baseOffset: Long, address: Long, n: Int): Unit =
    Platform.copyMemory(values, baseOffset, null, address, n * elementSize)

  // ML vectors: struct<type: byte (0 sparse, 1 dense), size: int, indices: array<int>, values:
  // array<double>>; the CellValidator has checked sizes and sparse indices.
  private def writeVector(vector: InternalRow, address: Long, size: Long): Unit = {
    val values = vector.getArray(3)
    if (vector.getByte(0) == 1) copyLeaf(values, address, values.numElements())
    else {
      Platform.setMemory(address, 0.toByte, size * elementSize)
      val indices = vector.getArray(2)
      var i = 0
      while (i < indices.numElements()) {
        putDouble(address + indices.getInt(i) * elementSize, values.getDouble(i))
        i += 1
      }
    }
  }

  // An image's data, checked by the CellValidator: 8-bit values become floats 0-255, float32
  // values are copied (little-endian, as the JVM's platforms here).
  private def writeImage(image: InternalRow, address: Long, n: Long): Unit = {
    val (base, offset) = ImageStruct.dataLocation(image)
    val floats = ImageStruct.valueSize(image.getInt(ImageStruct.Mode), image.getInt(ImageStruct.Channels)) == 4
    if (floats && dtype == DType.Float32) Platform.copyMemory(base, offset, null, address, n * 4)
    else {
      var i = 0L
      while (i < n) {
        val v = if (floats) Platform.getFloat(base, offset + i * 4) else (Platform.getByte(base, offset + i) & 0xff).toFloat
        putDouble(address + i * elementSize, v)
        i += 1
      }
    }
  }

  private def writeStrings(rows: Array[InternalRow], n: Int, shape: Shape): Tensor = {
    val values = new Array[Array[Byte]](n)
    var i = 0
    while (i < n) {
      values(i) = column.dataType match {
        case StringType => rows(i).getUTF8String(column.index).getBytes
        case BinaryType => rows(i).getBinary(column.index)
        case other => throw new IllegalStateException(s"no string column has type $other")
      }
      i += 1
    }
    Tensor.ofStrings(values, shape)
  }
}
