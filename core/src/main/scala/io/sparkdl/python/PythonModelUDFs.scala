package io.sparkdl.python

import scala.jdk.CollectionConverters._

import org.apache.spark.sql.{DataFrame, SparkSession}

import io.sparkdl.model.TFModel
import io.sparkdl.sql.{
  registerKerasImageUDF, registerModelUDF, registerPreprocessedImageUDF, ModelUDF
}

/** [[io.sparkdl.sql.registerModelUDF]] shaped for py4j (Java lists, empty for the defaults).
 * Used by `sparkdl.udf`. */
object PythonModelUDFs {

  def register(
      spark: SparkSession,
      name: String,
      model: TFModel,
      inputs: java.util.List[String],
      outputs: java.util.List[String],
      batchSize: Int
  ): ModelUDF = registerModelUDF(spark, name, model, inputs.asScala.toSeq, outputs.asScala.toSeq, batchSize)

  def registerKerasImage(
      spark: SparkSession,
      name: String,
      model: TFModel,
      channelOrder: String,
      resizeMethod: String,
      batchSize: Int
  ): ModelUDF = registerKerasImageUDF(spark, name, model, channelOrder, resizeMethod, batchSize)

  def registerPreprocessedImage(
      spark: SparkSession,
      name: String,
      model: TFModel,
      preprocess: String,
      batchSize: Int
  ): ModelUDF = registerPreprocessedImageUDF(spark, name, model, preprocess, batchSize)

  def inputs(function: ModelUDF): java.util.List[String] = function.inputs.asJava

  def outputs(function: ModelUDF): java.util.List[String] = function.outputs.asJava

  def modelRuns(df: DataFrame): Long = ModelUDF.modelRuns(df)
}
