package io.sparkdl.python

import scala.jdk.CollectionConverters._

import org.apache.spark.sql.SparkSession

import io.sparkdl.model.TFModel

/** [[TFModel]] constructors shaped for py4j (Java lists, no Scala defaults). Used by `sparkdl.model`. */
object PythonModels {

  def fromGraphDef(graphDef: Array[Byte]): TFModel = TFModel.fromGraphDef(graphDef)

  def fromGraphDefFile(spark: SparkSession, path: String): TFModel =
    TFModel.fromGraphDefFile(path, spark.sparkContext.hadoopConfiguration)

  def fromSavedModel(spark: SparkSession, path: String, tags: java.util.List[String], signatureKey: String): TFModel =
    TFModel.fromSavedModel(path, tags.asScala.toSeq, signatureKey, spark.sparkContext.hadoopConfiguration)

  def fromSavedModelPath(spark: SparkSession, path: String, tags: java.util.List[String], signatureKey: String): TFModel =
    TFModel.fromSavedModelPath(path, tags.asScala.toSeq, signatureKey, spark.sparkContext.hadoopConfiguration)

  def inputNames(model: TFModel): java.util.List[String] = model.inputNames.asJava

  def outputNames(model: TFModel): java.util.List[String] = model.outputNames.asJava
}
