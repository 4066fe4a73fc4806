package io.sparkdl.ml

import java.util.concurrent.LinkedBlockingQueue

import scala.concurrent.ExecutionContext
import scala.util.{Failure, Success, Try}

import org.apache.spark.FutureAction
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.ml.Estimator
import org.apache.spark.ml.param.{
  BooleanParam, DoubleParam, FloatParam, IntParam, LongParam, Param, ParamMap, ParamValidators
}
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader}
import org.apache.spark.sql.Dataset
import org.apache.spark.sql.sparkdl.DataFrameShim
import org.apache.spark.sql.types.StructType
import org.apache.spark.sparkdl.SchedulerShim
import org.apache.spark.storage.StorageLevel

import io.sparkdl.ml.param.IntChoiceParam
import io.sparkdl.model.{BindingNames, ColumnNames, FeedMode, GraphProgram, Plan, SavedModelArchive, SavedModelReference, TFModel}
import io.sparkdl.runtime.{
  Checkpoints, CollectivePlan, DistributedFitTask, FitResult, FitSpec, FitTask, HandleInvalid, TrainingDivergedException,
  TrainingLog, TrainingParams, TrainingPlan, TrainingProgress, TrainingRDD, TrainingRows, TrainingSignatures,
  WorkerFailedException, WorkerRows
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
    "A Hadoop filesystem directory for data-parallel fits (numWorkers > 1): each fit saves its " +
      "model and optimizer state there after each epoch (under a directory of its own, deleted " +
      "when the fit succeeds), and when a fit's barrier stage fails for another reason than its " +
      "data or a diverging loss (a lost executor, say), it is retried, up to 3 attempts in all, " +
      "from its last saved epoch: the model equals the fault-free fit's. Empty: no checkpoints, " +
      "no retries. Default: ''.")

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
    fitEach(dataset, paramMaps, new FitObserver {
      override def epoch(i: Int, line: String): Unit = if (getVerbose == 2) println(line)
      override def fitted(i: Int, model: TFEstimatorModel): Unit = {
        models(i) = model
        if (getVerbose > 0) println(TrainingLog.fitLine(fitName(paramMaps, i), model.history))
      }
    })
    models.toSeq
  }

  /**
   * Fits one model per param map and tells `observer` of each epoch and each fitted model as they
   * come, on the driver: the cache job first, then one training job per map, submitted at once,
   * each described (Spark UI, `setJobDescription`) by its map. The first failed fit cancels the
   * others and its error is thrown (a NaN loss: [[io.sparkdl.runtime.TrainingDivergedException]]).
   */
  private[sparkdl] def fitEach(
      dataset: Dataset[_],
      paramMaps: Seq[ParamMap],
      observer: FitObserver,
      fitNames: Option[Seq[String]] = None // how logs and errors name each fit (Python's own words)
  ): Unit = {
    if (paramMaps.isEmpty) return
    val stages = paramMaps.map(m => copy(m))
    val df = dataset.toDF()
    // One cache serves every fit: the columns of all maps (missing ones are left to resolve's error).
    stages.foreach(_.checkColumns(df.schema))
    val columns = stages.flatMap(s => s.getInputMapping.keys.toSeq :+ s.getLabelCol).distinct.sorted
    val selected = df.select(columns.map(c => df.col(ColumnNames.quote(c))): _*)
    val plans = stages.map(_.resolve(selected.schema)) // every map checked before any job
    val names = fitNames.getOrElse(paramMaps.indices.map(i => fitName(paramMaps, i)))
    val rows = DataFrameShim.planRows(selected).map(_.copy()).persist(StorageLevel.MEMORY_AND_DISK)
    val workerRowsToUnpersist = scala.collection.mutable.ArrayBuffer.empty[org.apache.spark.rdd.RDD[_]]
    val sc = df.sparkSession.sparkContext
    val run = java.util.UUID.randomUUID().toString // this call's checkpoints: never an older fit's
    lazy val hadoopConf = new org.apache.spark.util.SerializableConfiguration(sc.hadoopConfiguration)
    val description = sc.getLocalProperty("spark.job.description")
    val progress = new TrainingProgress(sc, names, (i, e) => {
      val line = TrainingLog.epochLine(names(i), stages(i).getEpochs, e)
      TrainingLog.info(line)
      observer.epoch(i, line)
    })
    try {
      sc.setJobDescription(s"sparkdl $stageName: caching the training rows of ${paramMaps.length} fit(s)")
      val skips = stages.map(_.getHandleInvalid == HandleInvalid.Skip)
      val (all, counts) = TrainingRows.count(rows, plans.zip(skips).map { case (p, skip) => Option.when(skip)(p) })
      val total = all.sum
      if (total == 0) fail("the dataset has no rows to train on")
      def failFit(i: Int, message: String) = throw new IllegalArgumentException(s"${names(i)}: $message")
      val broadcasts = new java.util.IdentityHashMap[Array[Byte], Broadcast[Array[Byte]]]()
      val fits = stages.indices.map { i =>
        val s = stages(i)
        val n = counts(i).total
        if (n == 0) {
          failFit(i, s"all $total rows are invalid, and handleInvalid 'skip' dropped them; the first: " +
            counts(i).firstInvalid.getOrElse("?"))
        }
        // Keras' validation_split rule, in the same double arithmetic: floor(n * (1 - f)) rows train.
        val f = s.getValidationFraction
        val trainRows = if (f == 0.0) n else math.floor(n * (1.0 - f)).toLong
        if (f > 0.0 && (trainRows == 0 || trainRows == n)) {
          failFit(i, s"validationFraction $f splits $n row(s) into $trainRows to train and ${n - trainRows} " +
            "to validate; expected both sides non-empty, as Keras' validation_split (whose first " +
            "floor(n * (1 - f)) rows train): provide more rows or another fraction")
        }
        val workers = s.getNumWorkers
        if (workers > 1) {
          if (s.getBatchSize < workers) {
            failFit(i, s"batchSize ${s.getBatchSize} is smaller than numWorkers $workers; expected a global batch of " +
              "at least one row per worker")
          }
          if (trainRows < workers) {
            failFit(i, s"$trainRows training row(s) for numWorkers $workers; expected at least one row per worker")
          }
          val slots = SchedulerShim.taskSlots(sc)
          if (workers > slots) {
            failFit(i, s"numWorkers $workers needs $workers task slots at once (one barrier stage); the cluster has " +
              s"$slots now: lower numWorkers or add executors")
          }
        }
        val archive = s.trainable.archive
        val model = broadcasts.computeIfAbsent(archive, a => sc.broadcast(a))
        FitSpec(names(i), model, plans(i),
          TrainingParams(s.getEpochs, s.getBatchSize, s.getLearningRate, s.getEarlyStoppingPatience),
          s.getShuffle, s.getSeed, skips(i), counts(i).perPartition, trainRows, progress.accumulators(i), workers,
          Option.when(workers > 1 && s.getCheckpointDir.nonEmpty)(Checkpoints(
            new org.apache.hadoop.fs.Path(s.getCheckpointDir, s"sparkdl-$run-$i").toString, hadoopConf)))
      }
      // One-worker fits share one RDD (task i trains fit i); each data-parallel fit is its own
      // barrier stage over its own rows, one partition per worker (runtime.WorkerRows).
      val single = new TrainingRDD(rows, fits.length, new FitTask(fits))
      val workerRows = fits.map(f => Option.when(f.workers > 1)(WorkerRows(rows, f)))
      workerRowsToUnpersist ++= workerRows.flatten
      val results = new Array[FitResult](fits.length)
      val ended = new LinkedBlockingQueue[(Int, Try[Unit])]()
      val attempts = Array.fill(fits.length)(1)
      def submit(i: Int, fit: FitSpec): FutureAction[Unit] = {
        val workers = if (fit.workers > 1) s" on ${fit.workers} workers" else ""
        val attempt = if (attempts(i) > 1) {
          s" (attempt ${attempts(i)} of 3, from " + fit.resumeEpoch.fold("the start")(n => s"epoch $n") + ")"
        } else ""
        sc.setJobDescription(
          s"sparkdl ${names(i)}: ${fit.params.epochs} epoch(s) over ${fit.trainRows} rows$workers$attempt")
        val job = workerRows(i) match {
          case None => sc.submitJob[FitResult, FitResult, Unit](single, _.next(), Seq(i), (_, r) => results(i) = r, ())
          case Some(data) =>
            val rdd = new TrainingRDD(data, fit.workers, new DistributedFitTask(fit)).barrier().mapPartitions(it => it)
            sc.submitJob[FitResult, FitResult, Unit](rdd, _.next(), 0 until fit.workers,
              (w, r) => if (w == 0) results(i) = r, ())
        }
        job.onComplete(t => ended.put(i -> t))(ExecutionContext.parasitic)
        job
      }
      val jobs = Array.tabulate[FutureAction[Unit]](fits.length)(i => submit(i, fits(i)))
      var left = fits.length
      while (left > 0) ended.take() match {
        case (i, Failure(e)) if retryable(fits(i), attempts(i), e) =>
          // The driver picks the checkpoint, so every worker of the retry starts from the same one.
          val from = fits(i).checkpoints.get.latest()
          attempts(i) += 1
          TrainingLog.warn(s"${names(i)}: attempt ${attempts(i)} of 3, from " +
            from.fold("the start")(n => s"epoch $n (its checkpoint)") + ", after: " +
            Option(e.getMessage).fold("")(_.linesIterator.next()))
          jobs(i) = submit(i, fits(i).copy(resumeEpoch = from))
        case (i, Success(_)) =>
          left -= 1
          fits(i).checkpoints.foreach(_.delete())
          progress.finished(i)
          val trained = TFModel.fromSource(SavedModelArchive(results(i).archive, stages(i).trainable.tags),
            Some(SavedModel.DefaultSignature))
          val fitted = stages(i).fittedModel(trained, results(i).history.map(_.metrics))
          observer.fitted(i, fitted.setEpochSeconds(results(i).history.map(_.seconds)))
        case (_, Failure(e)) =>
          jobs.foreach(_.cancel())
          throw TFEstimator.taskError(e)
      }
    } finally {
      sc.setJobDescription(description)
      progress.close()
      rows.unpersist(blocking = false)
      workerRowsToUnpersist.foreach(_.unpersist(blocking = false))
    }
  }

  // A data-parallel fit with checkpoints is retried (3 attempts in all) unless it failed on its
  // own terms, which would fail again: its data (IllegalArgumentException) or a diverging loss.
  private def retryable(fit: FitSpec, attempt: Int, e: Throwable): Boolean =
    fit.checkpoints.isDefined && attempt < 3 &&
      !Iterator.iterate(e)(_.getCause).takeWhile(_ != null).exists {
        case _: IllegalArgumentException | _: TrainingDivergedException => true
        case _ => false
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

  // A training job's failure as the user should see it: our own errors from the task (a NaN loss,
  // a bad row) rather than Spark's "Job aborted" wrapper, which keeps them only in its message.
  private def taskError(e: Throwable): Throwable = {
    val causes = Iterator.iterate(e)(_.getCause).takeWhile(_ != null).toSeq
    causes.collectFirst { case t: WorkerFailedException => t }
      .orElse(causes.collectFirst {
        case t: TrainingDivergedException => t
        case t: IllegalArgumentException => t
      })
      .getOrElse(e)
  }

  override def read: MLReader[TFEstimator] = new ModelStageReader[TFEstimator]
  override def load(path: String): TFEstimator = super.load(path)
}
