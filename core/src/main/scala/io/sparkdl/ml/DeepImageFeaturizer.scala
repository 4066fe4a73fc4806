package io.sparkdl.ml

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.ml.param.{Param, ParamMap}
import org.apache.spark.ml.util.{DefaultParamsReadable, DefaultParamsWritable, Identifiable, MLReader}
import org.apache.spark.sql.{DataFrame, Dataset, SparkSession}
import org.apache.spark.sql.types.StructType

import io.sparkdl.ml.param.ChoiceParam

/** Params of [[DeepImageFeaturizer]]: those of every named image model stage, and the layout. */
trait DeepImageFeaturizerParams extends NamedImageParams {

  override protected def outputColDoc: String =
    "The output column: each image's features (the layer featureLayout names) as an ML vector. Required."

  /** Which layer becomes the features: the pooled one (default) or sparkdl 1.x's. */
  final val featureLayout: Param[String] = new ChoiceParam(
    this,
    "featureLayout",
    "Which layer becomes the features: 'pooled' (the pooled layer the classifier reads: 2,048 " +
      "values for InceptionV3) or 'flattened' (the last convolution block flattened, as sparkdl " +
      "1.x's featurizer gave it: 131,072 for InceptionV3, 204,800 for Xception, 100,352 for " +
      "ResNet50, 25,088 for VGG16 and VGG19). Default: 'pooled'.",
    Seq(DeepImageFeaturizer.Pooled, DeepImageFeaturizer.Flattened)
  )
  setDefault(featureLayout -> DeepImageFeaturizer.Pooled)

  final def getFeatureLayout: String = $(featureLayout)
}

/**
 * Turns images into features: the pooled layer before the classifier (or, with
 * `featureLayout` 'flattened', sparkdl 1.x's flattened last convolution block) of an ImageNet model
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

  def this() = this(Identifiable.randomUID("DeepImageFeaturizer"))

  def setInputCol(value: String): this.type = set(inputCol, value)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def setModelName(value: String): this.type = set(modelName, value)
  def setScaleHint(value: String): this.type = set(scaleHint, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setHandleInvalid(value: String): this.type = set(handleInvalid, value)
  def setFeatureLayout(value: String): this.type = set(featureLayout, value)

  override def transformSchema(schema: StructType): StructType = {
    val out = checkedSchema(schema, VectorType)
    storeEntry(SparkSession.getActiveSession)
    out
  }

  override def transform(dataset: Dataset[_]): DataFrame = {
    val df = dataset.toDF()
    checkedSchema(df.schema, VectorType)
    val entry = storeEntry(Some(df.sparkSession))
    val key = $(featureLayout) match {
      case DeepImageFeaturizer.Flattened =>
        if (entry.flattenedDim.isEmpty) {
          fail(s"featureLayout 'flattened' needs the model store's ${entry.name} to have the output " +
            s"'${NamedImageModels.FlattenedKey}', which models prepared by an older sparkdl lack " +
            s"(${new org.apache.hadoop.fs.Path(entry.dir, "model.json")} has no flattenedDim); " +
            s"prepare it again with `python -m sparkdl.models prepare ${entry.name} --overwrite`")
        }
        NamedImageModels.FlattenedKey
      case _ => NamedImageModels.FeaturesKey
    }
    runModel(df, entry, key, $(outputCol))
  }

  override def copy(extra: ParamMap): DeepImageFeaturizer = defaultCopy(extra)
}

object DeepImageFeaturizer extends DefaultParamsReadable[DeepImageFeaturizer] {
  val Pooled = "pooled"
  val Flattened = "flattened"

  override def read: MLReader[DeepImageFeaturizer] = new CheckedParamsReader[DeepImageFeaturizer]
  override def load(path: String): DeepImageFeaturizer = super.load(path)
}
