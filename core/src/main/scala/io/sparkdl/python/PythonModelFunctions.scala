package io.sparkdl.python

import scala.jdk.CollectionConverters._

import org.apache.spark.sql.SparkSession

import io.sparkdl.ml.{ModelFunctions, TFModel}
import io.sparkdl.ml.udf.ModelFunction

/** [[ModelFunctions]] shaped for py4j (Java lists, empty for the defaults). Used by `sparkdl.udf`. */
object PythonModelFunctions {

  def register(
      spark: SparkSession,
      name: String,
      model: TFModel,
      inputs: java.util.List[String],
      outputs: java.util.List[String],
      batchSize: Int
  ): ModelFunction =
    ModelFunctions.register(spark, name, model, inputs.asScala.toSeq, outputs.asScala.toSeq, batchSize)

  def inputs(function: ModelFunction): java.util.List[String] = function.inputs.asJava

  def outputs(function: ModelFunction): java.util.List[String] = function.outputs.asJava

  def runCount(): Long = ModelFunctions.runCount
}
