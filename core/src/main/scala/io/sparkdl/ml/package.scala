package io.sparkdl

import org.apache.spark.sql.SparkSession

/**
 * Spark ML stages that run TF models. `TFModel` and `registerModelUDF` are here too, where the
 * stages' users look for them; they live in [[io.sparkdl.model]] and [[io.sparkdl.sql]].
 */
package object ml {

  /** The model a stage runs: see [[io.sparkdl.model.TFModel]]. */
  type TFModel = io.sparkdl.model.TFModel
  val TFModel: io.sparkdl.model.TFModel.type = io.sparkdl.model.TFModel

  /** Registers `model` as the SQL function `name`: see [[io.sparkdl.sql.registerModelUDF]]. */
  def registerModelUDF(
      spark: SparkSession,
      name: String,
      model: TFModel,
      inputs: Seq[String] = Nil,
      outputs: Seq[String] = Nil,
      batchSize: Int = io.sparkdl.sql.ModelUDF.DefaultBatchSize
  ): io.sparkdl.sql.ModelUDF = io.sparkdl.sql.registerModelUDF(spark, name, model, inputs, outputs, batchSize)
}
