package io.sparkdl.ml

import org.apache.spark.ml.functions.{array_to_vector, vector_to_array}
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.sql.{Column, DataFrame}
import org.apache.spark.sql.functions.{array, array_max, array_position, col, lit, size, when}
import org.apache.spark.sql.types.{ArrayType, DataType, DoubleType, NumericType, StructField, StructType}

import io.sparkdl.ml.param.HasClassifierColumns
import io.sparkdl.model.ColumnNames

/**
 * The MLlib classifier columns of [[HasClassifierColumns]], made from a stage's output column
 * with Spark's own functions (no UDF: the plan stays visible to the optimizer and to Connect).
 */
private[ml] object ClassifierColumns {

  /** `schema` (which has the stage's output `outputCol`) with the columns the params ask for. */
  def outputSchema(stageName: String, schema: StructType, outputCol: String, p: HasClassifierColumns): StructType = {
    val wanted = columns(p)
    if (wanted.isEmpty) return schema
    scores(stageName, schema(outputCol).dataType, outputCol, wanted.head._1)
    val taken = scala.collection.mutable.Map(schema.fieldNames.map(n => n -> "an input column"): _*)
    taken(outputCol) = "outputCol"
    wanted.foldLeft(schema) { case (s, (param, name, dataType)) =>
      taken.get(name).foreach { what =>
        throw new IllegalArgumentException(
          s"$stageName: param $param is '$name', which is already $what; expected a new column name")
      }
      taken(name) = s"param $param"
      s.add(StructField(name, dataType, nullable = true))
    }
  }

  /** `df` (the stage's output, with `outputCol`) with the columns the params ask for. */
  def append(stageName: String, df: DataFrame, outputCol: String, p: HasClassifierColumns): DataFrame = {
    val wanted = columns(p)
    if (wanted.isEmpty) return df
    outputSchema(stageName, df.schema, outputCol, p)
    val a = scores(stageName, df.schema(outputCol).dataType, outputCol, wanted.head._1)
    val one = size(a) === 1
    val probabilities = array_to_vector(when(one, array(lit(1.0) - a(0), a(0))).otherwise(a))
    val prediction = when(one, when(a(0) > 0.5, 1.0).otherwise(0.0))
      .otherwise((array_position(a, array_max(a)) - 1).cast(DoubleType))
    val made = Map[String, Column](
      p.predictionCol.name -> prediction, p.probabilityCol.name -> probabilities,
      p.rawPredictionCol.name -> probabilities)
    wanted.foldLeft(df) { case (out, (param, name, _)) => out.withColumn(name, made(param)) }
  }

  private def columns(p: HasClassifierColumns): Seq[(String, String, DataType)] =
    Seq((p.predictionCol, DoubleType), (p.probabilityCol, VectorType), (p.rawPredictionCol, VectorType))
      .map { case (param, t) => (param.name, p.getOrDefault(param), t) }
      .filter(_._2.nonEmpty)

  // The output as array<double>; an output of another shape is an error naming the param asking.
  private def scores(stageName: String, outputType: DataType, outputCol: String, param: String): Column = {
    val c = col(ColumnNames.quote(outputCol))
    outputType match {
      case VectorType => vector_to_array(c, "float64")
      case ArrayType(_: NumericType, _) => c.cast(ArrayType(DoubleType))
      case _: NumericType => array(c.cast(DoubleType))
      case other => throw new IllegalArgumentException(
          s"$stageName: param $param needs an output of one value per class (an ML vector, a " +
            s"numeric array or a number); outputCol '$outputCol' has type ${other.simpleString}")
    }
  }
}
