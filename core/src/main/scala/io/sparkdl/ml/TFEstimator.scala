package io.sparkdl.ml

import org.apache.spark.ml.Estimator
import org.apache.spark.ml.param.{
  BooleanParam, DoubleParam, FloatParam, IntParam, LongParam, Param, ParamMap, ParamValidators
}
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader}
import org.apache.spark.sql.Dataset
import org.apache.spark.sql.sparkdl.DataFrameShim
import org.apache.spark.sql.types.StructType
import org.apache.spark.storage.StorageLevel

import io.sparkdl.ml.param.StringMapParam
import io.sparkdl.model.{BindingNames, FeedMode, GraphProgram, Plan, SavedModelArchive, SavedModelReference, TFModel}
import io.sparkdl.runtime.{FitTask, TrainingParams, TrainingPlan, TrainingRDD}
import io.sparkdl.tf.{Graph, SavedModel}

/** Params of [[TFEstimator]] (the fitted [[TFEstimatorModel]] shares those that run the model). */
trait TFEstimatorParams extends ModelStageParams {

  /** Input column -> model input key of the trainable model's signatures. Required. */
  final val inputMapping: StringMapParam = new StringMapParam(
    this,
    "inputMapping",
    "A map from input column to model input (a key of the trainable model's signatures, e.g. " +
      "'x'). Required."
  )

  /** The column of labels, fed to the signatures' `y`. */
  final val labelCol: Param[String] =
    new Param[String](this, "labelCol", "The column of labels (fed to the model's 'y'). Default: 'label'.")

  /** The fitted model's output column. */
  final val outputCol: Param[String] = new Param[String](
    this, "outputCol", "The fitted model's output column (its serving output). Default: 'prediction'.")

  final val epochs: IntParam =
    new IntParam(this, "epochs", "Passes over the training rows (> 0). Default: 1.", ParamValidators.gt(0))

  final val learningRate: FloatParam = new FloatParam(
    this, "learningRate", "The optimizer's learning rate (> 0). Default: 0.001.", ParamValidators.gt(0))

  final val shuffle: BooleanParam = new BooleanParam(
    this, "shuffle",
    "Whether each epoch visits partitions, and rows within them, in a seeded random order. Default: true.")

  final val seed: LongParam = new LongParam(this, "seed", "The seed of the shuffling. Default: 0.")

  final val validationFraction: DoubleParam = new DoubleParam(
    this, "validationFraction",
    "The fraction of rows, the last ones in the data's order, held out to validate each epoch " +
      "(as Keras' validation_split). Default: 0.0.",
    ParamValidators.inRange(0.0, 1.0, lowerInclusive = true, upperInclusive = false)
  )

  final val earlyStoppingPatience: IntParam = new IntParam(
    this, "earlyStoppingPatience",
    "Epochs without improvement of the validation loss (the training loss without validation) " +
      "after which training stops; 0 never stops early. Default: 0.",
    ParamValidators.gtEq(0)
  )

  setDefault(labelCol -> "label", outputCol -> "prediction", epochs -> 1, learningRate -> 0.001f,
    shuffle -> true, seed -> 0L, validationFraction -> 0.0, earlyStoppingPatience -> 0, batchSize -> 32)

  final def getInputMapping: Map[String, String] = $(inputMapping)
  final def getLabelCol: String = $(labelCol)
  final def getOutputCol: String = $(outputCol)
  final def getEpochs: Int = $(epochs)
  final def getLearningRate: Float = $(learningRate)
  final def getShuffle: Boolean = $(shuffle)
  final def getSeed: Long = $(seed)
  final def getValidationFraction: Double = $(validationFraction)
  final def getEarlyStoppingPatience: Int = $(earlyStoppingPatience)
}

/**
 * Trains a trainable TF model (a SavedModel with `serving_default`, `train_step` and `evaluate`
 * signatures, docs/training.md; from Keras: `TFModel.from_keras_trainable`) on DataFrame columns,
 * inside a Spark task, through sparkdl's bridge: the data is cached once as rows and streamed,
 * epoch after epoch, in batches of `batchSize`; nothing but the trained model and its history
 * comes back to the driver. `fit(dataset, paramMaps)` trains one task per param map, at once.
 */
class TFEstimator(override val uid: String)
    extends Estimator[TFEstimatorModel]
    with TFEstimatorParams
    with ModelStageWritable {

  def this() = this(Identifiable.randomUID("TFEstimator"))

  def setModel(value: TFModel): this.type = set(model, value)
  def setInputMapping(value: Map[String, String]): this.type = set(inputMapping, value)
  def setLabelCol(value: String): this.type = set(labelCol, value)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def setEpochs(value: Int): this.type = set(epochs, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setLearningRate(value: Float): this.type = set(learningRate, value)
  def setShuffle(value: Boolean): this.type = set(shuffle, value)
  def setSeed(value: Long): this.type = set(seed, value)
  def setValidationFraction(value: Double): this.type = set(validationFraction, value)
  def setEarlyStoppingPatience(value: Int): this.type = set(earlyStoppingPatience, value)
  def setHandleInvalid(value: String): this.type = set(handleInvalid, value)

  override def transformSchema(schema: StructType): StructType = {
    resolve(schema)
    fittedModel(required(model, "a trainable TFModel"), Nil).transformSchema(schema)
  }

  override def fit(dataset: Dataset[_]): TFEstimatorModel = fit(dataset, Seq(ParamMap.empty)).head

  /** One fit per param map, all at once (one training task each); models in the maps' order. */
  override def fit(dataset: Dataset[_], paramMaps: Seq[ParamMap]): Seq[TFEstimatorModel] = {
    if (paramMaps.isEmpty) return Nil
    val stages = paramMaps.map(m => copy(m))
    // One cache and one training plan serve all fits: the maps may vary how each trains, not
    // what it trains on. A map that changed the model or the data would otherwise be ignored.
    val first = stages.head
    val plan = first.resolve(dataset.schema)
    for (s <- stages.tail; p <- Seq(model, inputMapping, labelCol, validationFraction, shuffle, seed)) {
      if (s.get(p) != first.get(p)) {
        fail(s"fit with several param maps trains them over one cache of the data, so '${p.name}' must be " +
          s"the same in every map; found ${first.get(p).getOrElse("unset")} and ${s.get(p).getOrElse("unset")}. " +
          "Fit such maps separately")
      }
    }
    val archive = first.trainable
    val df = dataset.toDF()
    val columns = first.getInputMapping.keys.toSeq.sorted :+ first.getLabelCol
    val rows = DataFrameShim.planRows(df.select(columns.map(c => df.col(s"`${c.replace("`", "``")}`")): _*))
      .map(_.copy()).persist(StorageLevel.MEMORY_AND_DISK)
    val sc = df.sparkSession.sparkContext
    try {
      sc.setJobDescription(s"sparkdl $stageName: caching the training rows")
      val counts = rows.mapPartitions(it => Iterator(it.size.toLong)).collect()
      val total = counts.sum
      if (total == 0) fail("the dataset has no rows to train on")
      val trainRows = total - math.floor(total * first.getValidationFraction).toLong
      if (trainRows == 0) fail(s"validationFraction ${first.getValidationFraction} leaves no rows to train on")
      val model = sc.broadcast(archive.archive)
      val params = stages.map(s => TrainingParams(s.getEpochs, s.getBatchSize, s.getLearningRate, s.getEarlyStoppingPatience))
      val task = new FitTask(model, plan, params, counts, trainRows, first.getShuffle, first.getSeed,
        i => s"$stageName fit ${i + 1} of ${params.length}")
      sc.setJobDescription(s"sparkdl $stageName: ${params.length} fit(s) of ${first.getEpochs} epoch(s) " +
        s"over $trainRows rows")
      val results = new TrainingRDD(rows, params.length, task).collect()
      stages.zip(results).map { case (s, r) =>
        val trained = TFModel.fromSource(SavedModelArchive(r.archive, archive.tags), Some(SavedModel.DefaultSignature))
        s.fittedModel(trained, r.history.map(_.metrics))
      }
    } finally {
      sc.setJobDescription(null)
      rows.unpersist(blocking = false)
    }
  }

  private def fittedModel(trained: TFModel, history: Seq[Map[String, Double]]): TFEstimatorModel = {
    val fitted = new TFEstimatorModel(uid).setModel(trained).setInputMapping(getInputMapping)
      .setOutputCol(getOutputCol).setBatchSize(getBatchSize).setHandleInvalid(getHandleInvalid)
      .setHistory(history)
    fitted.setParent(this)
  }

  private def trainable: SavedModelArchive = required(model, "a trainable TFModel").source match {
    case s: SavedModelArchive => s
    case r: SavedModelReference => r.toArchive // training ships the model's bytes to its tasks
    case other =>
      fail(s"param 'model' is ${other.describe}; expected a trainable SavedModel " +
        "(TFModel.from_keras_trainable, or docs/training.md)")
  }

  // Checks the params, the model's signatures and the columns; the plan every training task runs.
  private def resolve(schema: StructType): TrainingPlan = {
    val m = required(model, "a trainable TFModel (TFModel.from_keras_trainable in Python)")
    val mapping = required(inputMapping, "a map from input column to model input key")
    val archive = trainable
    def signature(key: String) = archive.signatures.getOrElse(key, fail(
      s"param 'model' has no '$key' signature (its signatures: " +
        archive.signatures.keys.filterNot(_.startsWith("__")).toSeq.sorted.mkString(", ") +
        "); expected a trainable model with serving_default, train_step and evaluate (docs/training.md)"
    ))
    val train = signature("train_step")
    val evaluate = signature("evaluate")
    signature(SavedModel.DefaultSignature)
    val label = getLabelCol
    val keys = evaluate.inputs.keySet - "y"
    if (!evaluate.inputs.contains("y") || !train.inputs.contains("learning_rate")) {
      fail("the model's train_step must take 'y' and 'learning_rate' and its evaluate 'y' (docs/training.md)")
    }
    if (mapping.values.toSet != keys) {
      fail(s"inputMapping feeds model inputs ${mapping.values.toSeq.sorted.mkString(", ")}; expected each of " +
        s"${keys.toSeq.sorted.mkString(", ")} exactly once")
    }
    (mapping.keys.toSeq :+ label).filterNot(schema.fieldNames.contains).foreach { c =>
      val param = if (c == label) "labelCol" else "inputMapping"
      fail(s"$param names column '$c', which the DataFrame lacks; expected one of its columns: " +
        schema.fieldNames.mkString(", "))
    }
    val byKey = mapping.map(_.swap) + ("y" -> label)
    val names = TrainingNames(stageName, label)
    val feeds = m.source.withGraph { graph =>
      val placeholders = byKey.keys.toSeq.sorted.map(k => k -> placeholderOf(graph, evaluate.input(k).name))
      val outputs = evaluate.outputs.toSeq.sortBy(_._1)
      val program = GraphProgram(m.source, outputs.map(_._2.name), outputs.map(_._1),
        placeholders.map { case (k, p) => p -> byKey(k) }.toMap)
      // Losses and metrics are scalars of a whole batch: fetched as cells, not rows.
      val plan = Plan(schema, program, FeedMode.Block, names, fetchMode = Some(FeedMode.Row), graph = Some(graph))
      placeholders.map { case (k, p) => k -> plan.feeds.find(_.placeholder == p).getOrElse(
        fail(s"the model's evaluate signature does not use its input '$k'")) }
    }
    TrainingPlan(
      feeds,
      train.inputs.map { case (k, t) => k -> t.name },
      train.outputs.toSeq.sortBy(_._1).map { case (k, t) => k -> t.name },
      evaluate.inputs.map { case (k, t) => k -> t.name },
      evaluate.outputs.toSeq.sortBy(_._1).map { case (k, t) => k -> t.name },
      train.input("learning_rate").name,
      archive.tags,
      names
    )
  }

  private def placeholderOf(graph: Graph, tensor: String): String =
    Plan.placeholderOf(graph, tensor).getOrElse(fail(s"model input tensor '$tensor' is not a placeholder"))

  private def fail(message: String): Nothing = throw new IllegalArgumentException(s"$stageName: $message")

  override def copy(extra: ParamMap): TFEstimator = defaultCopy(extra)
}

/** A training run's words for errors: the label column by its param, the others by theirs. */
private final case class TrainingNames(op: String, labelCol: String) extends BindingNames {
  override def column(name: String): String =
    if (name == labelCol) s"labelCol column '$name'" else s"inputMapping column '$name'"
  override def input(placeholder: String): String = s"model input '$placeholder'"
}

object TFEstimator extends MLReadable[TFEstimator] {
  override def read: MLReader[TFEstimator] = new ModelStageReader[TFEstimator]
  override def load(path: String): TFEstimator = super.load(path)
}
