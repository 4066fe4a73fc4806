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

  /** The static shape of model input `input` (a block's: the leading dim is the batch), -1 in
   * each unknown dimension; empty when its rank is unknown. */
  def inputShape(model: TFModel, input: String): java.util.List[java.lang.Long] =
    model.source.withGraph { graph =>
      val shape = model.source.staticShape(graph.output(model.inputTensor(input)))
      if (shape.hasKnownRank) shape.dims.toSeq.map(d => java.lang.Long.valueOf(d)).asJava
      else java.util.Collections.emptyList[java.lang.Long]()
    }
}
