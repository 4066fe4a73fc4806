package io.sparkdl.ml

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.ml.param.ParamMap
import org.apache.spark.ml.util.{DefaultParamsReadable, DefaultParamsWritable, Identifiable, MLReader}
import org.apache.spark.sql.{DataFrame, Dataset, SparkSession}
import org.apache.spark.sql.types.StructType

/** Params of [[DeepImageFeaturizer]]: those of every named image model stage. */
trait DeepImageFeaturizerParams extends NamedImageParams

/**
 * Turns images into features: the pooled layer before the classifier of an ImageNet model
 * (`modelName`: InceptionV3, Xception, ResNet50, VGG16, VGG19, MobileNetV2, EfficientNetB0,
 * DenseNet121, ResNet50V2, ConvNeXtTiny), as an ML vector per image, e.g. to train a Spark ML
 * classifier on (transfer learning). Images (Spark's image struct) are resized to the model's
 * input size as `scaleHint` says and fed in RGB, `batchSize` images per run; null images fail
 * the transform, are dropped (`handleInvalid` 'skip') or get a null output ('keep').
 *
 * The model is read from the model store (`python -m sparkdl.models prepare <Name>` writes it;
 * the root is Spark conf `spark.sparkdl.modelStore`, else `$SPARKDL_MODEL_STORE`, else
 * `~/.cache/sparkdl/models`). A saved stage keeps only the model's name: it reads the store
 * again where it is loaded.
 *
 * {{{
 * new DeepImageFeaturizer().setModelName("ResNet50")
 *   .setInputCol("image").setOutputCol("features")
 *   .transform(readImages(spark, "/data/images"))
 * }}}
 */
class DeepImageFeaturizer(override val uid: String)
    extends Transformer
    with DeepImageFeaturizerParams
    with DefaultParamsWritable {

  def this() = this(Identifiable.randomUID("deepImageFeaturizer"))

  def setInputCol(value: String): this.type = set(inputCol, value)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def setModelName(value: String): this.type = set(modelName, value)
  def setScaleHint(value: String): this.type = set(scaleHint, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setHandleInvalid(value: String): this.type = set(handleInvalid, value)

  override def transformSchema(schema: StructType): StructType = {
    val out = checkedSchema(schema, VectorType)
    storeEntry(SparkSession.getActiveSession)
    out
  }

  override def transform(dataset: Dataset[_]): DataFrame = {
    val df = dataset.toDF()
    checkedSchema(df.schema, VectorType)
    runModel(df, storeEntry(Some(df.sparkSession)), NamedImageModels.FeaturesKey, $(outputCol))
  }

  override def copy(extra: ParamMap): DeepImageFeaturizer = defaultCopy(extra)
}

object DeepImageFeaturizer extends DefaultParamsReadable[DeepImageFeaturizer] {
  override def read: MLReader[DeepImageFeaturizer] = new CheckedParamsReader[DeepImageFeaturizer]
  override def load(path: String): DeepImageFeaturizer = super.load(path)
}
