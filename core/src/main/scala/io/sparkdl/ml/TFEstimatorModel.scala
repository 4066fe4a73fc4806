package io.sparkdl.ml

import org.json4s.{JArray, JDecimal, JDouble, JInt, JLong, JObject, JString, JValue}
import org.json4s.jackson.JsonMethods.{compact, parse, render}

import org.apache.spark.ml.Model
import org.apache.spark.ml.param.{Param, ParamMap}
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader}
import org.apache.spark.sql.{DataFrame, Dataset}
import org.apache.spark.sql.types.StructType

import io.sparkdl.ml.param.{HasClassifierColumns, HasInputMapping, HasOutputCol, HasOutputMode}
import io.sparkdl.model.TFModel

/**
 * The params [[TFEstimator]] and the [[TFEstimatorModel]] it fits share, declared once: how the
 * model runs over the columns. A fit sets each on its model to the estimator's value, so a
 * param added here reaches every fitted model.
 */
trait TFEstimatorSharedParams
    extends ModelStageParams with HasInputMapping with HasOutputCol with HasClassifierColumns {

  override protected def inputMappingDoc: String =
    "A map from input column to model input: a key of the model's signatures, e.g. 'x' (the " +
      "trainable model's train_step and evaluate inputs, which the fitted model's serving " +
      "signature takes too). Required."

  override protected def outputColDoc: String =
    "The column of the model's serving output (the fitted model's). Default: 'prediction'."

  setDefault(outputCol -> "prediction")
}

/** Params of [[TFEstimatorModel]]: those it shares with [[TFEstimator]], its output mode and history. */
trait TFEstimatorModelParams extends TFEstimatorSharedParams with HasOutputMode {

  /** The training history, one JSON object of figures per epoch. */
  final val trainingHistory: Param[String] = new Param[String](
    this, "trainingHistory",
    "The training history as JSON: a list with one object per epoch of the loss and metrics on the " +
      "training rows and, prefixed 'val_', on the validation rows. Default: '[]'.")

  /** Each epoch's training time, as the training task measured it. */
  final val epochSeconds: Param[String] = new Param[String](
    this, "epochSeconds",
    "The seconds each epoch's training steps took in the training task (validation and the " +
      "fit's one-off costs excluded), as a JSON list, one number per epoch. Default: '[]'.")

  setDefault(trainingHistory -> "[]", epochSeconds -> "[]")

  final def getTrainingHistory: String = $(trainingHistory)
  final def getEpochSeconds: String = $(epochSeconds)
}

/**
 * A model [[TFEstimator]] trained: runs the trained model's serving signature over the columns of
 * `inputMapping` into `outputCol` (as [[TFTransformer]] does) and carries the training history.
 */
class TFEstimatorModel(override val uid: String)
    extends Model[TFEstimatorModel]
    with TFEstimatorModelParams
    with BoundModelStage
    with ModelStageWritable {

  def this() = this(Identifiable.randomUID("TFEstimatorModel"))

  def setModel(value: TFModel): this.type = set(model, value)
  def setInputMapping(value: Map[String, String]): this.type = set(inputMapping, value)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setHandleInvalid(value: String): this.type = set(handleInvalid, value)
  def setOutputMode(value: String): this.type = set(outputMode, value)
  def setPredictionCol(value: String): this.type = set(predictionCol, value)
  def setProbabilityCol(value: String): this.type = set(probabilityCol, value)
  def setRawPredictionCol(value: String): this.type = set(rawPredictionCol, value)

  /** The loss and metrics of each epoch, in order (validation figures prefixed `val_`). */
  def history: Seq[Map[String, Double]] = parse($(trainingHistory)) match {
    case JArray(epochs) => epochs.map {
        case JObject(figures) => figures.map { case (k, v) => k -> TFEstimatorModel.figure(v) }.toMap
        case other => throw new IllegalArgumentException(s"$uid: an epoch of trainingHistory is $other")
      }
    case other => throw new IllegalArgumentException(s"$uid: trainingHistory is $other, not a list")
  }

  private[ml] def setEpochSeconds(value: Seq[Double]): this.type =
    set(epochSeconds, compact(render(JArray(value.toList.map(JDouble(_))))))

  private[ml] def setHistory(value: Seq[Map[String, Double]]): this.type = set(
    trainingHistory,
    compact(render(JArray(value.toList.map(m =>
      JObject(m.toList.sortBy(_._1).map { case (k, v) => k -> TFEstimatorModel.figureJson(v) })))))
  )

  override def transformSchema(schema: StructType): StructType =
    ClassifierColumns.outputSchema(stageName, binding.outputSchema(schema), $(outputCol), this)

  override def transform(dataset: Dataset[_]): DataFrame = {
    ClassifierColumns.append(stageName, runBinding(dataset.toDF()), $(outputCol), this)
  }

  override protected def binding: ModelBinding = {
    val m = required(model, "the trained TFModel")
    val outputs = m.outputNames
    if (outputs.length != 1) {
      throw new IllegalArgumentException(s"$stageName: the trained model's serving signature has outputs " +
        s"[${outputs.mkString(", ")}]; expected one")
    }
    new ModelBinding(stageName, m, required(inputMapping, "a map from input column to model input").toSeq.sorted,
      Seq(outputs.head -> $(outputCol)), inputMapping.name, outputCol.name, $(outputMode))
  }

  override def copy(extra: ParamMap): TFEstimatorModel = {
    val copied = new TFEstimatorModel(uid)
    copyValues(copied, extra).setParent(parent)
  }
}

object TFEstimatorModel extends MLReadable[TFEstimatorModel] {
  override def read: MLReader[TFEstimatorModel] = new ModelStageReader[TFEstimatorModel]
  override def load(path: String): TFEstimatorModel = super.load(path)

  // JSON has no NaN or infinities, and a history may hold them (a NaN label among the validation
  // rows gives a NaN val_loss): they are written as the strings "NaN", "Infinity", "-Infinity",
  // which Python's float() reads too.
  private def figureJson(v: Double): JValue = if (v.isNaN || v.isInfinite) JString(v.toString) else JDouble(v)

  private def figure(v: JValue): Double = v match {
    case JDouble(d) => d
    case JInt(i) => i.toDouble
    case JLong(l) => l.toDouble
    case JDecimal(d) => d.toDouble
    case JString(s @ ("NaN" | "Infinity" | "-Infinity")) => s.toDouble
    case other => throw new IllegalArgumentException(s"a figure of trainingHistory is $other, not a number")
  }
}
