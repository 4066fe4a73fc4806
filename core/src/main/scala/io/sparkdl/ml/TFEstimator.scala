package io.sparkdl.ml

import org.apache.spark.ml.Estimator
import org.apache.spark.ml.param.{
  BooleanParam, DoubleParam, FloatParam, IntParam, LongParam, Param, ParamMap, ParamValidators
}
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader}
import org.apache.spark.sql.Dataset
import org.apache.spark.sql.sparkdl.DataFrameShim
import org.apache.spark.sql.types.StructType

import io.sparkdl.ml.param.IntChoiceParam
import io.sparkdl.model.{BindingNames, ColumnNames, FeedMode, GraphProgram, Plan, SavedModelArchive, SavedModelReference, TFModel}
import io.sparkdl.runtime.{
  CollectivePlan, FitEvent, FitRequest, Fits, HandleInvalid, TrainingParams, TrainingPlan, TrainingSignatures
}
import io.sparkdl.tf.{Graph, SavedModel}

/** Params of [[TFEstimator]]: those its fitted [[TFEstimatorModel]] shares, and training's own. */
trait TFEstimatorParams extends TFEstimatorSharedParams {

  /** The column of labels, fed to the signatures' `y`. */
  final val labelCol: Param[String] =
    new Param[String](this, "labelCol", "The column of labels (fed to the model's 'y'). Default: 'label'.")

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
    "The fraction f of rows held out to validate each epoch, as Keras' validation_split: of n " +
      "rows, the first floor(n * (1 - f)) in the data's order train and the others validate; a " +
      "split leaving either side empty is an error. Default: 0.0.",
    ParamValidators.inRange(0.0, 1.0, lowerInclusive = true, upperInclusive = false)
  )

  final val earlyStoppingPatience: IntParam = new IntParam(
    this, "earlyStoppingPatience",
    "Epochs without improvement of the validation loss (the training loss without validation) " +
      "after which training stops; 0 never stops early. Default: 0.",
    ParamValidators.gtEq(0)
  )

  final val verbose: IntParam = new IntChoiceParam(
    this, "verbose",
    "What fitting prints on the driver: 0 nothing; 1 a line as each fit ends (its epochs and " +
      "last loss, metrics and validation figures), so a grid search prints one line per fit; 2 " +
      "also a line per epoch per fit (loss, metrics, validation figures, rows/s). The driver's log " +
      "(logger io.sparkdl.training, INFO) has the epoch lines whatever it is. Default: 1.",
    Seq(0, 1, 2)
  )

  final val numWorkers: IntParam = new IntParam(
    this, "numWorkers",
    "Data-parallel workers training one model (> 0): 1 trains in one Spark task; n > 1 in one " +
      "barrier stage of n tasks, each on its share of the rows in local batches making up global " +
      "batches of batchSize rows, the gradients averaged over the workers every step (TF's " +
      "collective all-reduce), so the model equals one worker's on the same global batches. Needs " +
      "n free task slots at once and batchSize >= n. Default: 1.",
    ParamValidators.gt(0)
  )

  final val checkpointDir: Param[String] = new Param[String](
    this, "checkpointDir",
    "A Hadoop filesystem directory, which the driver and every executor can read, for " +
      "data-parallel fits (numWorkers > 1): each fit saves its model and optimizer state there after " +
      "each epoch (under a directory of its own, deleted when the fit succeeds), and when a fit's " +
      "barrier stage fails for another reason than its data, a diverging loss or a cancellation (a " +
      "lost executor, say), it is retried, up to 3 attempts in all, from its last saved epoch: the " +
      "model equals the fault-free fit's. Empty: a temporary directory of the application, deleted " +
      "when the fits end: under SparkContext's checkpoint directory if set, else in local mode under " +
      "the driver's local directory, else under the home directory of the Hadoop default " +
      "filesystem unless that is the local one; on a cluster whose default filesystem is local, " +
      "no checkpoints and no retries. Default: ''.")

  setDefault(labelCol -> "label", epochs -> 1, learningRate -> 0.001f,
    shuffle -> true, seed -> 0L, validationFraction -> 0.0, earlyStoppingPatience -> 0, batchSize -> 32,
    verbose -> 1, numWorkers -> 1, checkpointDir -> "")

  final def getLabelCol: String = $(labelCol)
  final def getEpochs: Int = $(epochs)
  final def getLearningRate: Float = $(learningRate)
  final def getShuffle: Boolean = $(shuffle)
  final def getSeed: Long = $(seed)
  final def getValidationFraction: Double = $(validationFraction)
  final def getEarlyStoppingPatience: Int = $(earlyStoppingPatience)
  final def getVerbose: Int = $(verbose)
  final def getNumWorkers: Int = $(numWorkers)
  final def getCheckpointDir: String = $(checkpointDir)
}

/**
 * Trains a trainable TF model (a SavedModel with `serving_default`, `train_step` and `evaluate`
 * signatures, docs/training.md; from Keras: `TFModel.from_keras_trainable`) on DataFrame columns,
 * inside a Spark task, through sparkdl's bridge: the data is cached once as rows and streamed,
 * epoch after epoch, in batches of `batchSize`; nothing but the trained model and its history
 * comes back to the driver. `fit(dataset, paramMaps)` trains one task per param map, at once.
 *
 * `validationFraction` splits as Keras' `validation_split` (the first floor(n * (1 - f)) rows
 * train). `handleInvalid` 'skip' drops the rows whose input or label cells cannot be fed before
 * the split and training, 'error' fails naming the column, 'keep' is refused: training cannot feed
 * a row it keeps.
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
  def setVerbose(value: Int): this.type = set(verbose, value)
  def setPredictionCol(value: String): this.type = set(predictionCol, value)
  def setProbabilityCol(value: String): this.type = set(probabilityCol, value)
  def setRawPredictionCol(value: String): this.type = set(rawPredictionCol, value)
  def setNumWorkers(value: Int): this.type = set(numWorkers, value)
  def setCheckpointDir(value: String): this.type = set(checkpointDir, value)

  override def transformSchema(schema: StructType): StructType = {
    resolve(schema)
    fittedModel(required(model, "a trainable TFModel"), Nil).transformSchema(schema)
  }

  override def fit(dataset: Dataset[_]): TFEstimatorModel = fit(dataset, Seq(ParamMap.empty)).head

  /**
   * One fit per param map, all at once (one training task each, as far as the cluster's slots
   * allow); models in the maps' order. Maps may vary anything, the model included: the rows of
   * every map's columns are cached once. `verbose` prints a line per fit, or also per epoch
   * (docs/training.md).
   */
  override def fit(dataset: Dataset[_], paramMaps: Seq[ParamMap]): Seq[TFEstimatorModel] = {
    val models = new Array[TFEstimatorModel](paramMaps.length)
    val fits = startFits(dataset, paramMaps)
    while (fits.hasNext) fits.next() match {
      case e: FitEvent.Epoch => if (getVerbose == 2) println(e.line)
      case f: FitEvent.Fitted[_] =>
        models(f.index) = f.model.asInstanceOf[TFEstimatorModel]
        if (getVerbose > 0) println(f.line)
    }
    models.toSeq
  }

  /**
   * Starts one fit per param map and returns their [[io.sparkdl.runtime.Fits]], which runs them
   * (the cache job first, then one training job per map, submitted at once, each described in
   * the Spark UI by its map) and tells of each epoch and each fitted model as they come. Every map
   * is checked before it returns. The first failed fit cancels the others and `next()` throws its
   * error (a NaN loss: [[io.sparkdl.runtime.TrainingDivergedException]]).
   */
  private[sparkdl] def startFits(
      dataset: Dataset[_],
      paramMaps: Seq[ParamMap],
      fitNames: Option[Seq[String]] = None // how logs and errors name each fit (Python's own words)
  ): Fits[TFEstimatorModel] = {
    val stages = paramMaps.map(m => copy(m)).toIndexedSeq
    val df = dataset.toDF()
    // One cache serves every fit: the columns of all maps (missing ones are left to resolve's error).
    stages.foreach(_.checkColumns(df.schema))
    val columns = stages.flatMap(s => s.getInputMapping.keys.toSeq :+ s.getLabelCol).distinct.sorted
    val selected = df.select(columns.map(c => df.col(ColumnNames.quote(c))): _*)
    val plans = stages.map(_.resolve(selected.schema)) // every map checked before any job
    val names = fitNames.getOrElse(paramMaps.indices.map(i => fitName(paramMaps, i)))
    val trainables = stages.map(_.trainable)
    val requests = stages.indices.map { i =>
      val s = stages(i)
      FitRequest(names(i), trainables(i).archive, plans(i),
        TrainingParams(s.getEpochs, s.getBatchSize, s.getLearningRate, s.getEarlyStoppingPatience),
        s.getShuffle, s.getSeed, s.getHandleInvalid == HandleInvalid.Skip, s.getValidationFraction,
        s.getNumWorkers, s.getCheckpointDir)
    }
    new Fits[TFEstimatorModel](DataFrameShim.planRows(selected).map(_.copy()), requests, stageName, (i, result) => {
      val trained = TFModel.fromSource(SavedModelArchive(result.archive, trainables(i).tags),
        Some(SavedModel.DefaultSignature))
      stages(i).fittedModel(trained, result.history.map(_.metrics)).setEpochSeconds(result.history.map(_.seconds))
    })
  }

  // How log lines and errors name fit i: its index and what its map sets.
  private def fitName(paramMaps: Seq[ParamMap], i: Int): String = {
    val set = paramMaps(i).toSeq.sortBy(_.param.name).map { p =>
      s"${p.param.name}=" + (p.value match {
        case m: TFModel => s"<${m.source.describe}>"
        case m: Map[_, _] => m.map { case (k, v) => s"$k->$v" }.mkString("{", ", ", "}")
        case v => v.toString
      })
    }
    if (paramMaps.length == 1 && set.isEmpty) s"$stageName fit"
    else s"$stageName paramMaps[$i] {${set.mkString(", ")}}"
  }

  // Every param the model shares with this estimator (TFEstimatorSharedParams) set to its value
  // here, defaults too: the estimator's batchSize default (32, Keras') is not the model's (1024),
  // and a value set on the model is what Python's wrapper of it reads back.
  private def fittedModel(trained: TFModel, history: Seq[Map[String, Double]]): TFEstimatorModel = {
    val fitted = new TFEstimatorModel(uid)
    params.filter(p => fitted.hasParam(p.name) && isDefined(p)).foreach { p =>
      fitted.set(fitted.getParam(p.name), getOrDefault(p))
    }
    fitted.setModel(trained).setHistory(history).setParent(this)
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
    import TrainingSignatures._
    val m = required(model, "a trainable TFModel (TFModel.from_keras_trainable in Python)")
    val mapping = required(inputMapping, "a map from input column to model input key")
    if (getHandleInvalid == HandleInvalid.Keep) {
      fail("handleInvalid 'keep' keeps invalid rows with null outputs, which training cannot feed; " +
        "expected 'error' or 'skip' (set 'keep' on the fitted model, for its transform)")
    }
    val archive = trainable
    def signature(key: String) = archive.signatures.getOrElse(key, fail(
      s"param 'model' has no '$key' signature (its signatures: " +
        archive.signatures.keys.filterNot(_.startsWith("__")).toSeq.sorted.mkString(", ") +
        s"); expected a trainable model with $Serve, $TrainStep and $Evaluate (docs/training.md)"
    ))
    val train = signature(TrainStep)
    val evaluate = signature(Evaluate)
    signature(Serve)
    val label = getLabelCol
    val keys = evaluate.inputs.keySet - Label
    if (!evaluate.inputs.contains(Label) || !train.inputs.contains(LearningRate)) {
      fail(s"the model's $TrainStep must take '$Label' and '$LearningRate' and its $Evaluate '$Label' (docs/training.md)")
    }
    if (mapping.values.toSet != keys) {
      fail(s"inputMapping feeds model inputs ${mapping.values.toSeq.sorted.mkString(", ")}; expected each of " +
        s"${keys.toSeq.sorted.mkString(", ")} exactly once")
    }
    checkColumns(schema)
    val byKey = mapping.map(_.swap) + (Label -> label)
    val names = TrainingNames(stageName, label, inputParam)
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
    val collective = for {
      step <- archive.signatures.get(TrainStepAllReduce)
      sum <- archive.signatures.get(AllReduceSum)
    } yield CollectivePlan(
      step.inputs.map { case (k, t) => k -> t.name },
      step.outputs.toSeq.sortBy(_._1).map { case (k, t) => k -> t.name },
      sum.inputs.map { case (k, t) => k -> t.name },
      sum.output(Sum).name
    )
    if (getNumWorkers > 1 && collective.isEmpty) {
      fail(s"numWorkers ${getNumWorkers} trains with the model's $TrainStepAllReduce and $AllReduceSum signatures, " +
        "which param 'model' lacks; expected a trainable model made by TFModel.from_keras_trainable (or to " +
        "docs/training.md), or numWorkers 1")
    }
    TrainingPlan(
      feeds,
      train.inputs.map { case (k, t) => k -> t.name },
      train.outputs.toSeq.sortBy(_._1).map { case (k, t) => k -> t.name },
      evaluate.inputs.map { case (k, t) => k -> t.name },
      evaluate.outputs.toSeq.sortBy(_._1).map { case (k, t) => k -> t.name },
      train.input(LearningRate).name,
      archive.tags,
      names,
      collective
    )
  }

  private def checkColumns(schema: StructType): Unit = {
    val mapping = required(inputMapping, "a map from input column to model input key")
    (mapping.keys.toSeq :+ getLabelCol).filterNot(schema.fieldNames.contains).foreach { c =>
      val param = if (c == getLabelCol) "labelCol" else inputParam
      fail(s"$param names column '$c', which the DataFrame lacks; expected one of its columns: " +
        schema.fieldNames.mkString(", "))
    }
  }

  private def placeholderOf(graph: Graph, tensor: String): String =
    Plan.placeholderOf(graph, tensor).getOrElse(fail(s"model input tensor '$tensor' is not a placeholder"))

  private def fail(message: String): Nothing = throw new IllegalArgumentException(s"$stageName: $message")

  // Python's KerasEstimator (sparkdl.ml) runs this stage under its own uid (StageName), its
  // inputCol the one key of inputMapping: errors name the param its user set.
  private def inputParam: String =
    if (StageName.kind(uid, getClass) == "KerasEstimator") "inputCol" else "inputMapping"

  override def copy(extra: ParamMap): TFEstimator = defaultCopy(extra)
}

/** A training run's words for errors: the label column by its param, the others by theirs. */
private final case class TrainingNames(op: String, labelCol: String, inputParam: String) extends BindingNames {
  override def column(name: String): String =
    if (name == labelCol) s"labelCol column '$name'" else s"$inputParam column '$name'"
  override def input(placeholder: String): String = s"model input '$placeholder'"
}

object TFEstimator extends MLReadable[TFEstimator] {

  override def read: MLReader[TFEstimator] = new ModelStageReader[TFEstimator]
  override def load(path: String): TFEstimator = super.load(path)
}
