package io.sparkdl.ml

import scala.reflect.ClassTag
import scala.util.Try
import scala.util.control.NonFatal

import org.apache.hadoop.fs.Path
import org.json4s.DefaultFormats
import org.json4s.jackson.JsonMethods.parse

import org.apache.spark.ml.param.{ParamMap, Params}
import org.apache.spark.ml.util.{DefaultParamsReadable, DefaultParamsWritable, MLReader, MLWriter}
import org.apache.spark.sql.SparkSession

import io.sparkdl.model.{DirectoryFiles, TFModel}

/**
 * Persistence of model stages: the params as Spark's JSON metadata (`<path>/metadata`, written
 * and read by Spark's own default params writer and reader, so Pipelines and PySpark read it),
 * and the model's bytes under `<path>/model` ([[TFModel.save]]), so a saved stage is
 * self-contained. The model param itself never enters the JSON.
 */
private[ml] trait ModelStageWritable extends DefaultParamsWritable { self: ModelStageParams =>

  override def write: MLWriter = new ModelStageWriter(this)

  /** Spark's params writer over a copy without the model (only JSON-encodable params remain). */
  private[ml] def paramsWriter: MLWriter = {
    val withoutModel = copy(ParamMap.empty).asInstanceOf[ModelStageWritable with ModelStageParams]
    withoutModel.clear(withoutModel.model)
    withoutModel.defaultParamsWriter
  }

  private def defaultParamsWriter: MLWriter = super.write
}

private[ml] object ModelStageIO {
  val ModelDir = "model"

  /**
   * Refuses a saved stage whose metadata names a class other than `expected`, before Spark's
   * reader loads that class and calls its constructor: a saved stage is data, and loading it
   * must not instantiate a class of the file's choosing (Spark's generic reader would). Refuses
   * a stage with a symbolic link anywhere in it, before anything of it is read
   * ([[DirectoryFiles]]): a link could make loading (and saving the stage again) read a file
   * outside it.
   */
  def checkSavedClass(spark: SparkSession, path: String, expected: Class[_]): Unit = {
    val root = new Path(path)
    val fs = root.getFileSystem(spark.sparkContext.hadoopConfiguration)
    if (fs.exists(root) && fs.getFileStatus(root).isDirectory) DirectoryFiles.list(fs, root, path)
    val metadata = new Path(path, "metadata")
    val text =
      try spark.read.text(metadata.toString).head(1).headOption.map(_.getString(0))
      catch { case NonFatal(e) => throw new IllegalArgumentException(s"'$path' is not a saved stage: ${e.getMessage}", e) }
    implicit val formats: DefaultFormats.type = DefaultFormats
    val saved = text.flatMap(t => Try(parse(t) \ "class").toOption.flatMap(_.extractOpt[String])).getOrElse {
      throw new IllegalArgumentException(
        s"'$path' is not a saved stage: $metadata holds no JSON with a 'class' field")
    }
    if (saved != expected.getName) {
      throw new IllegalArgumentException(
        s"'$path' holds a saved $saved; expected a ${expected.getName} (the class named in $metadata " +
          "is not loaded)")
    }
  }
}

/** Spark's params reader for stages without a model, after [[ModelStageIO.checkSavedClass]]. */
private[ml] final class CheckedParamsReader[T <: Params](implicit tag: ClassTag[T]) extends MLReader[T] {
  override def load(path: String): T = {
    ModelStageIO.checkSavedClass(sparkSession, path, tag.runtimeClass)
    new DefaultParamsReadable[T] {}.read.session(sparkSession).load(path)
  }
}

private[ml] final class ModelStageWriter(stage: ModelStageWritable with ModelStageParams) extends MLWriter {

  override protected def saveImpl(path: String): Unit = {
    val model = stage.get(stage.model).getOrElse {
      throw new IllegalArgumentException(s"${stage.stageName}: cannot save without param 'model'; set a TFModel first")
    }
    // `save` has already refused (or, with overwrite, removed) an existing `path`: all under it
    // is this writer's, so a model refused half-way (an archive entry, a link) leaves nothing.
    val hadoopConf = sparkSession.sparkContext.hadoopConfiguration
    try {
      stage.paramsWriter.session(sparkSession).save(path)
      model.save(new Path(path, ModelStageIO.ModelDir).toString, hadoopConf)
    } catch {
      case NonFatal(e) =>
        val root = new Path(path)
        try root.getFileSystem(hadoopConf).delete(root, true)
        catch { case NonFatal(cleanup) => e.addSuppressed(cleanup) }
        throw e
    }
  }
}

private[ml] final class ModelStageReader[T <: ModelStageParams](implicit tag: ClassTag[T]) extends MLReader[T] {

  override def load(path: String): T = {
    ModelStageIO.checkSavedClass(sparkSession, path, tag.runtimeClass)
    val stage = new DefaultParamsReadable[Params] {}.read.session(sparkSession).load(path) match {
      case s: T => s
      case other =>
        throw new IllegalArgumentException(
          s"'$path' holds a saved ${other.getClass.getName}; expected a ${tag.runtimeClass.getName}"
        )
    }
    val hadoopConf = sparkSession.sparkContext.hadoopConfiguration
    val model = TFModel.load(new Path(path, ModelStageIO.ModelDir).toString, hadoopConf)
    stage.set(stage.model, model)
  }
}
