package io.sparkdl.ml

import org.apache.spark.ml.image.ImageSchema
import org.apache.spark.sql.types.{StructField, StructType}

import io.sparkdl.ml.param.HasInputCol
import io.sparkdl.model.ImageStruct

/** The input column of every image stage: Spark's image struct. */
private[ml] trait HasImageInputCol extends HasInputCol {
  override protected def inputColDoc: String = "The column of images (Spark's image struct). Required."
}

/** The column checks every image stage makes before any data moves. */
private[ml] object ImageColumns {

  /** The image column `input` of `schema`, after checking it is an image struct and `output` is
   * a new column; errors start with `stage`. */
  def check(stage: String, schema: StructType, input: String, output: String): StructField = {
    def fail(message: String): Nothing = throw new IllegalArgumentException(s"$stage: $message")
    val field = schema.find(_.name == input).getOrElse(fail(
      s"inputCol names column '$input', which the DataFrame lacks; expected one of its columns: " +
        schema.fieldNames.mkString(", ")
    ))
    field.dataType match {
      case s: StructType if ImageStruct.matches(s) =>
      case other =>
        fail(s"inputCol column '$input' has type ${other.simpleString}; expected an image struct " +
          s"(${ImageSchema.columnSchema.simpleString}), e.g. from readImages")
    }
    if (schema.fieldNames.contains(output)) {
      fail(s"outputCol names output column '$output', which already exists; expected a new column name")
    }
    field
  }
}
