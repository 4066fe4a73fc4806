package io.sparkdl.ml

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.param.ParamMap
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader}
import org.apache.spark.sql.{DataFrame, Dataset}
import org.apache.spark.sql.types.StructType

import io.sparkdl.ml.param.{HasInputCol, HasOutputCol, HasOutputMode}
import io.sparkdl.model.TFModel

/** Params of [[KerasTransformer]]. */
trait KerasTransformerParams extends BoundModelStage with HasInputCol with HasOutputCol with HasOutputMode {

  override protected def inputColDoc: String = "The column feeding the model's one input. Required."
  override protected def outputColDoc: String = "The column the model's one output becomes. Required."

  override protected def binding: ModelBinding = {
    val m = required(model, "a TFModel of a Keras model exported as a SavedModel (TFModel.fromSavedModel(...))")
    val in = required(inputCol, "the name of the input column")
    val out = required(outputCol, "the name of the output column")
    val signature = m.signature.getOrElse {
      throw new IllegalArgumentException(
        s"$stageName: param 'model' is ${m.describe}; expected a SavedModel with a signature (a Keras " +
          "model exported with model.export(...)); use TFTransformer for frozen graphs"
      )
    }
    if (signature.inputs.size != 1 || signature.outputs.size != 1) {
      throw new IllegalArgumentException(
        s"$stageName: param 'model' has signature '${signature.key}' with inputs " +
          s"[${signature.inputs.keys.toSeq.sorted.mkString(", ")}] and outputs " +
          s"[${signature.outputs.keys.toSeq.sorted.mkString(", ")}]; expected exactly one input and one " +
          "output (use TFTransformer for other models)"
      )
    }
    new ModelBinding(
      stageName,
      m,
      Seq(in -> signature.inputs.keys.head),
      Seq(signature.outputs.keys.head -> out),
      inputCol.name,
      outputCol.name,
      $(outputMode)
    )
  }
}

/**
 * Runs a Keras model, exported as a SavedModel (`model.export(path)`; the Python twin converts
 * Keras objects and files), over one column: `inputCol` feeds the model's one input in batches
 * of `batchSize` rows, its one output becomes `outputCol` (arrays of the model's dtype and
 * shape, or ML vectors with `outputMode` 'vector'). Numeric columns are converted to the input's
 * dtype as [[io.sparkdl.model.CastPolicy]] allows.
 */
class KerasTransformer(override val uid: String)
    extends Transformer
    with KerasTransformerParams
    with ModelStageWritable {

  def this() = this(Identifiable.randomUID("KerasTransformer"))

  def setModel(value: TFModel): this.type = set(model, value)
  def setInputCol(value: String): this.type = set(inputCol, value)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setHandleInvalid(value: String): this.type = set(handleInvalid, value)
  def setOutputMode(value: String): this.type = set(outputMode, value)

  override def transformSchema(schema: StructType): StructType = validateAndTransformSchema(schema)

  override def transform(dataset: Dataset[_]): DataFrame = runBinding(dataset.toDF())

  override def copy(extra: ParamMap): KerasTransformer = defaultCopy(extra)
}

object KerasTransformer extends MLReadable[KerasTransformer] {
  override def read: MLReader[KerasTransformer] = new ModelStageReader[KerasTransformer]
  override def load(path: String): KerasTransformer = super.load(path)
}
