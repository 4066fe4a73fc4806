package org.apache.spark.sql.sparkdl

import org.apache.spark.sql.expressions.{SparkUserDefinedFunction, UserDefinedFunction}
import org.apache.spark.sql.types.DataType

/**
 * A UDF whose plan expression holds sparkdl's own function object, so that an optimizer rule can
 * recognise it and read its settings. Spark's public `udf(...)` wraps a Java UDF in a lambda of
 * its own; the class that keeps the function as given is `private[spark]`.
 */
object UdfShim {

  /** A UDF named `name` calling `function` (a Scala function of `arity` arguments of Spark's
   * external types: `Array[Byte]`, `String`, `Row`, ...), returning `dataType`. */
  def of(function: AnyRef, arity: Int, dataType: DataType, name: String): UserDefinedFunction =
    SparkUserDefinedFunction(function, dataType, Seq.fill(arity)(None), None, Some(name))
}
