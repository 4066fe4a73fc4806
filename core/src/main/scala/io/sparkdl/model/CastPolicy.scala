package io.sparkdl.model

import io.sparkdl.tf.DType

/**
 * Which column values may feed which model dtype: the one rule map_blocks, the ML stages and SQL
 * functions share. Values are converted as they are written into the tensor, so no temporary
 * column is made.
 *
 * | column values       | feed                                   |
 * |---------------------|----------------------------------------|
 * | the model's dtype   | as they are                            |
 * | integers            | any integer or float dtype             |
 * | floats              | float32 or float64                     |
 * | ML vectors          | float64 (as stored) or float32         |
 * | image structs       | float32 or float64 (pixel values)      |
 * | booleans, strings   | only bool, only string                 |
 *
 * Floats never feed integers implicitly: truncation would change the model's answer silently.
 */
object CastPolicy {
  private val Integers: Set[DType] = Set(DType.Int8, DType.Int16, DType.Int32, DType.Int64)
  private val Floats: Set[DType] = Set(DType.Float32, DType.Float64)

  /** Whether values of `column` (a column view) may feed a tensor of `dtype`. */
  def allows(column: TensorColumn, dtype: DType): Boolean = reason(column, dtype).isEmpty

  /** None when `column` may feed `dtype`, else why not (to follow "expected ... values"). */
  def reason(column: TensorColumn, dtype: DType): Option[String] = {
    val from = column.dtype
    if (column.kind == CellKind.Image) {
      if (Floats.contains(dtype)) None else Some("images feed float32 or float64 inputs only")
    } else if (from == dtype) None
    else if (column.kind == CellKind.Vector) {
      if (Floats.contains(dtype)) None else Some("ML vectors feed float32 or float64 inputs only")
    } else if (Integers.contains(from) && (Integers.contains(dtype) || Floats.contains(dtype))) None
    else if (Floats.contains(from) && Floats.contains(dtype)) None
    else if (Floats.contains(from) && Integers.contains(dtype)) {
      Some("floats are not cast to integers implicitly; cast the column, or the input inside the model")
    } else if (dtype == DType.UInt8) {
      Some("Spark has no uint8 column type; cast to uint8 inside the model")
    } else if (isNumeric(dtype)) Some(s"$from values cannot feed $dtype; expected numbers")
    else Some(s"$from values cannot feed $dtype")
  }

  def isNumeric(dtype: DType): Boolean = Integers.contains(dtype) || Floats.contains(dtype)
  def isFloat(dtype: DType): Boolean = Floats.contains(dtype)
}
