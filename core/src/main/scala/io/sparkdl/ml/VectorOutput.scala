package io.sparkdl.ml

import org.apache.spark.ml.functions.array_to_vector
import org.apache.spark.sql.Column
import org.apache.spark.sql.functions.{array, flatten, when}
import org.apache.spark.sql.types.{ArrayType, DataType, DoubleType}

import io.sparkdl.model.CastPolicy
import io.sparkdl.tf.DType

/**
 * OutputMode 'vector', the one rule every stage follows: an output cell of any rank becomes an ML
 * DenseVector of its values in row-major order (numpy's `reshape(-1)`), a scalar a size-1 vector.
 */
private[ml] object VectorOutput {

  /** Whether outputs of `dtype` can become vectors: numbers can, strings and bools cannot. */
  def accepts(dtype: DType): Boolean = CastPolicy.isNumeric(dtype)

  /** `cells`, a column of output cells of `rank`, as ML vectors; null cells stay null. */
  def apply(cells: Column, rank: Int): Column = {
    val doubles = if (rank == 0) array(cells.cast(DoubleType)) else {
      val nested = (0 until rank).foldLeft(DoubleType: DataType)((t, _) => ArrayType(t, containsNull = false))
      (1 until rank).foldLeft(cells.cast(nested))((flat, _) => flatten(flat))
    }
    // Spark's array_to_vector fails on null (handleInvalid 'keep'): null stays null.
    when(cells.isNotNull, array_to_vector(doubles))
  }
}
