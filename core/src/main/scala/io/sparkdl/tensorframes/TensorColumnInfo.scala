package io.sparkdl.tensorframes

import org.apache.spark.sql.DataFrame

import io.sparkdl.model.TensorColumn

/**
 * What a column looks like to TensorFlow: the dtype name ("float64", "string", ...) and the shape
 * of one cell (-1 where unknown, from the column's shape metadata when [[TensorFrames.analyze]]
 * or [[TensorFrames.appendShape]] recorded it).
 */
final case class TensorColumnInfo(column: String, dtypeName: String, cellShape: Array[Long]) {
  /** The shape of a block of cells: a leading unknown row dimension, then the cell's. */
  def blockShape: Array[Long] = -1L +: cellShape
}

object TensorColumnInfo {
  def apply(df: DataFrame, column: String): TensorColumnInfo = {
    val c = TensorColumn(df.schema, column)
    TensorColumnInfo(column, c.dtype.name, c.cellShape.dims)
  }
}
