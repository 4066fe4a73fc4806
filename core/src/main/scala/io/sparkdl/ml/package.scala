package io.sparkdl

import org.apache.spark.sql.SparkSession

import io.sparkdl.ml.udf.ModelFunction

package object ml {

  /**
   * Registers `model` as the SQL function `name`: `SELECT name(col1, col2) FROM t`. The same as
   * [[ModelFunctions.register]], whose documentation describes the arguments.
   */
  def registerModelUDF(
      spark: SparkSession,
      name: String,
      model: TFModel,
      inputs: Seq[String] = Nil,
      outputs: Seq[String] = Nil,
      batchSize: Int = ModelFunctions.DefaultBatchSize
  ): ModelFunction = ModelFunctions.register(spark, name, model, inputs, outputs, batchSize)
}
