package io.sparkdl.ml

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.functions.vector_to_array
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.ml.param.{BooleanParam, IntParam, ParamMap, ParamValidators}
import org.apache.spark.ml.util.{DefaultParamsReadable, DefaultParamsWritable, Identifiable, MLReader}
import org.apache.spark.sql.{Column, DataFrame, Dataset, SparkSession}
import org.apache.spark.sql.functions
import org.apache.spark.sql.functions.{element_at, lit, slice, sort_array, struct, typedLit, when}
import org.apache.spark.sql.types.{ArrayType, DataType, FloatType, StringType, StructField, StructType}

/** Params of [[DeepImagePredictor]]. */
trait DeepImagePredictorParams extends NamedImageParams {

  override protected def outputColDoc: String =
    "The output column: an ML vector of the 1,000 ImageNet class probabilities, or with " +
      "decodePredictions the topK most probable classes. Required."

  /** Whether the output is the top classes, named, rather than every probability. */
  final val decodePredictions: BooleanParam = new BooleanParam(
    this,
    "decodePredictions",
    "Whether the output is the topK most probable classes, as an array of structs (class: the " +
      "WordNet id, description: its name, probability), most probable first, rather than an ML " +
      "vector of all 1,000 ImageNet probabilities. Default: false."
  )

  /** How many classes a decoded prediction keeps. */
  final val topK: IntParam = new IntParam(
    this,
    "topK",
    "How many classes decodePredictions keeps (> 0). Default: 5.",
    ParamValidators.gt(0)
  )

  setDefault(decodePredictions -> false, topK -> 5)

  final def getDecodePredictions: Boolean = $(decodePredictions)
  final def getTopK: Int = $(topK)
}

/**
 * Classifies images with an ImageNet model (`modelName`, as [[DeepImageFeaturizer]]'s, read
 * from the same model store): an ML vector of the 1,000 class probabilities per image, or with
 * `decodePredictions` the `topK` most probable classes, most probable first, as
 * `array<struct<class: string, description: string, probability: float>>` (class: the WordNet
 * id, description: the class name, from the ImageNet class list shipped with sparkdl; ties go
 * to the class of lower index). Images, `scaleHint`, `batchSize` and `handleInvalid` as in
 * [[DeepImageFeaturizer]]; a saved stage keeps only the model's name.
 *
 * {{{
 * new DeepImagePredictor().setModelName("InceptionV3").setDecodePredictions(true).setTopK(3)
 *   .setInputCol("image").setOutputCol("predicted")
 *   .transform(readImages(spark, "/data/images"))
 * }}}
 */
class DeepImagePredictor(override val uid: String)
    extends Transformer
    with DeepImagePredictorParams
    with DefaultParamsWritable {

  def this() = this(Identifiable.randomUID("DeepImagePredictor"))

  def setInputCol(value: String): this.type = set(inputCol, value)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def setModelName(value: String): this.type = set(modelName, value)
  def setScaleHint(value: String): this.type = set(scaleHint, value)
  def setDecodePredictions(value: Boolean): this.type = set(decodePredictions, value)
  def setTopK(value: Int): this.type = set(topK, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setHandleInvalid(value: String): this.type = set(handleInvalid, value)

  private def probabilitiesColumn: String = s"__sparkdl_${uid}_probabilities"

  override def transformSchema(schema: StructType): StructType = {
    val out = checkedSchema(schema, outputType)
    storeEntry(SparkSession.getActiveSession)
    out
  }

  override def transform(dataset: Dataset[_]): DataFrame = {
    val df = dataset.toDF()
    checkedSchema(df.schema, outputType)
    val entry = storeEntry(Some(df.sparkSession))
    if (!$(decodePredictions)) {
      runModel(df, entry, NamedImageModels.PredictionsKey, $(outputCol))
    } else {
      val classes = NamedImageModels.classes(df.sparkSession, stageName)
      if (classes.length != entry.numClasses) {
        fail(s"decodePredictions needs a name for each of the model's ${entry.numClasses} classes " +
          s"(numClasses in ${entry.dir}/model.json); the class list has ${classes.length}")
      }
      runModel(df, entry, NamedImageModels.PredictionsKey, probabilitiesColumn)
        .withColumn($(outputCol), decoded(quoted(probabilitiesColumn), classes))
        .drop(probabilitiesColumn)
    }
  }

  // The top K of a vector of probabilities as named structs, with Spark's own functions: sorted
  // as (probability, -index) pairs, descending, so ties go to the lower index.
  private def decoded(probabilities: Column, classes: IndexedSeq[(String, String)]): Column = {
    val ranked = functions.transform(vector_to_array(probabilities, "float32"),
      (p, i) => struct(p.as("probability"), (-i).as("negIndex")))
    val top = slice(sort_array(ranked, asc = false), 1, $(topK))
    val wnids = typedLit(classes.map(_._1))
    val names = typedLit(classes.map(_._2))
    val named = functions.transform(top, x => {
      val position = lit(1) - x.getField("negIndex")
      struct(element_at(wnids, position).as("class"), element_at(names, position).as("description"),
        x.getField("probability").as("probability"))
    })
    // Spark's vector_to_array fails on null (handleInvalid 'keep'): null stays null.
    when(probabilities.isNotNull, named)
  }

  private def outputType: DataType =
    if ($(decodePredictions)) DeepImagePredictor.DecodedType else VectorType

  override def copy(extra: ParamMap): DeepImagePredictor = defaultCopy(extra)
}

object DeepImagePredictor extends DefaultParamsReadable[DeepImagePredictor] {

  /** The type of decoded predictions. */
  val DecodedType: DataType = ArrayType(
    StructType(Seq(
      StructField("class", StringType),
      StructField("description", StringType),
      StructField("probability", FloatType, nullable = false)
    )),
    containsNull = false
  )

  override def read: MLReader[DeepImagePredictor] = new CheckedParamsReader[DeepImagePredictor]
  override def load(path: String): DeepImagePredictor = super.load(path)
}
