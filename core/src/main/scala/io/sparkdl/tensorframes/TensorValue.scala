package io.sparkdl.tensorframes

import scala.util.Using

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.types.StructType

import io.sparkdl.model.{BindingNames, TensorColumn}
import io.sparkdl.runtime.{CellValidator, TensorWriter}
import io.sparkdl.tf.{DType, Shape}

/**
 * A tensor's value on the JVM heap, without native memory: dtype, shape and contents (raw
 * little-endian bytes for fixed-size dtypes, one byte array per element for strings).
 */
final case class TensorValue(dtype: DType, shape: Shape, rawBytes: Array[Byte], strings: Array[Array[Byte]]) {
  def dims: Array[Long] = shape.dims
  override def toString: String = s"TensorValue($dtype$shape)"
}

private[sparkdl] object TensorValue {

  /** The cell at `ordinal` of an internal row of `schema`, as a tensor value. */
  def fromCell(row: InternalRow, ordinal: Int, schema: StructType, dtype: DType): TensorValue = {
    val column = TensorColumn(schema, schema(ordinal).name)
    val validator = new CellValidator(column, Shape.unknown, BindingNames.of("reduce"))
    validator.startBlock()
    validator.check(row).foreach(problem => throw new IllegalStateException(problem))
    validator.accept()
    Using.resource(new TensorWriter(column, dtype).write(Array(row), 1, validator.cellShape, leading = false)) { t =>
      if (t.dtype == DType.TString) TensorValue(t.dtype, t.shape, Array.emptyByteArray, t.strings())
      else TensorValue(t.dtype, t.shape, t.rawBytes(), Array.empty)
    }
  }
}
