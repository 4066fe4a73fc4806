package io.sparkdl.ml

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.param.ParamMap
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader}
import org.apache.spark.sql.{DataFrame, Dataset}
import org.apache.spark.sql.types.StructType

import io.sparkdl.ml.param.{HasInputMapping, HasOutputMode, StringMapParam}
import io.sparkdl.model.TFModel

/** Params of [[TFTransformer]]. */
trait TFTransformerParams extends BoundModelStage with HasInputMapping with HasOutputMode {

  override protected def inputMappingDoc: String =
    "A map from input column to model input (a signature input key, or a placeholder's tensor " +
      "name such as 'x' or 'x:0'). Required."

  /** Model output (a signature output key, or a tensor name) -> output column. Required. */
  final val outputMapping: StringMapParam = new StringMapParam(
    this,
    "outputMapping",
    "A map from model output (a signature output key, or a tensor name such as 'y:0') to output " +
      "column; output columns are appended in sorted order of their names. Required.",
    (m: Map[String, String]) => m.nonEmpty
  )

  final def getOutputMapping: Map[String, String] = $(outputMapping)

  override protected def binding: ModelBinding = new ModelBinding(
    stageName,
    required(model, "a TFModel (setModel(TFModel.fromSavedModel(...)) or TFModel.fromGraphDef(...))"),
    required(inputMapping, "a map from input column to model input").toSeq.sorted,
    required(outputMapping, "a non-empty map from model output to output column").toSeq,
    inputMapping.name,
    outputMapping.name,
    $(outputMode)
  )
}

/**
 * Runs a TF model (a frozen graph or a SavedModel signature) over DataFrame columns: each column
 * of `inputMapping` feeds its model input, in batches of `batchSize` rows, and each model output
 * of `outputMapping` becomes a column, as arrays of the model's dtype and shape or as ML vectors
 * (`outputMode`). Columns of another numeric dtype than the model input's are converted as
 * they are fed, by the model layer's one rule ([[io.sparkdl.model.CastPolicy]]): integers to any
 * number, floats and ML vectors to floats, never floats to integers.
 *
 * {{{
 * new TFTransformer()
 *   .setModel(TFModel.fromSavedModel("/models/mlp"))
 *   .setInputMapping(Map("features" -> "x"))
 *   .setOutputMapping(Map("output_0" -> "probability"))
 *   .transform(df)
 * }}}
 */
class TFTransformer(override val uid: String) extends Transformer with TFTransformerParams with ModelStageWritable {

  def this() = this(Identifiable.randomUID("TFTransformer"))

  def setModel(value: TFModel): this.type = set(model, value)
  def setInputMapping(value: Map[String, String]): this.type = set(inputMapping, value)
  def setOutputMapping(value: Map[String, String]): this.type = set(outputMapping, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setHandleInvalid(value: String): this.type = set(handleInvalid, value)
  def setOutputMode(value: String): this.type = set(outputMode, value)

  override def transformSchema(schema: StructType): StructType = validateAndTransformSchema(schema)

  override def transform(dataset: Dataset[_]): DataFrame = runBinding(dataset.toDF())

  override def copy(extra: ParamMap): TFTransformer = defaultCopy(extra)
}

object TFTransformer extends MLReadable[TFTransformer] {
  override def read: MLReader[TFTransformer] = new ModelStageReader[TFTransformer]
  override def load(path: String): TFTransformer = super.load(path)
}
