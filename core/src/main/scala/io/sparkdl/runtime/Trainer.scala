package io.sparkdl.runtime

import scala.collection.mutable

import org.apache.spark.sql.catalyst.InternalRow

import io.sparkdl.model.{BindingNames, Feed, LoadDirectories, SavedModelArchive}
import io.sparkdl.runtime.TrainingSignatures._
import io.sparkdl.tf.{DType, PreparedRun, SavedModel, SessionConfig, Shape, Tensor}

/**
 * A training run's plan, the same for every task that trains with it: the trainable SavedModel
 * (docs/training.md), the columns feeding its inputs and labels (`feeds`: checked by the driver's
 * plan of the `evaluate` signature), and the tensors of its `train_step` and `evaluate`
 * signatures by key.
 */
private[sparkdl] final case class TrainingPlan(
    feeds: Seq[(String, Feed)], // signature input key -> its column, dtype and cell shape
    trainInputs: Map[String, String], // train_step: input key -> tensor name
    trainOutputs: Seq[(String, String)], // train_step: output key -> tensor name
    evalInputs: Map[String, String],
    evalOutputs: Seq[(String, String)],
    learningRateInput: String,
    tags: Seq[String],
    names: BindingNames,
    collective: Option[CollectivePlan] = None
) {

  /** A fresh check of a row's cells against the feeds (stateful: one per reader). */
  def rowValidator(): RowValidator =
    new RowValidator(feeds.map { case (_, f) => new CellValidator(f.column, f.cell, names) }.toArray)
}

/**
 * The tensors of a trainable model's data-parallel signatures (docs/training.md):
 * `train_step_allreduce` (train_step's inputs and group_size, group_key, instance_key; its
 * outputs) and `allreduce_sum` (values and the same keys; its `sum`).
 */
private[sparkdl] final case class CollectivePlan(
    trainInputs: Map[String, String],
    trainOutputs: Seq[(String, String)],
    sumInputs: Map[String, String],
    sumOutput: String
)

/** The collective group a data-parallel worker trains in: `size` workers, TF's group key `key`. */
private[sparkdl] final case class CollectiveGroup(size: Int, key: Int)

/** Hyper-parameters of one fit. `patience` 0: no early stopping. */
private[sparkdl] final case class TrainingParams(
    epochs: Int,
    batchSize: Int,
    learningRate: Float,
    patience: Int
)

/**
 * One epoch's figures: each output of `train_step` averaged over the epoch's rows, and the
 * validation figures of `evaluate` (prefixed `val_`) when there are validation rows; `rows` trained
 * in `seconds` (training steps only) give the epoch's speed.
 */
final case class EpochMetrics(epoch: Int, metrics: Map[String, Double], rows: Long = 0L, seconds: Double = 0.0) {
  def rowsPerSecond: Double = if (seconds > 0) rows / seconds else 0.0
}

/** A fit stopped because its loss became NaN or infinite: names the fit, the epoch and the step. */
final class TrainingDivergedException(message: String) extends RuntimeException(message)

/**
 * Trains a private session of a trainable SavedModel (never one from the shared SessionCache:
 * training changes its variables) over batches of rows, epoch after epoch, and returns the
 * trained model as SavedModel archive bytes with the history. Rows are checked as the block loop
 * checks them; a batch ends early where a row's cells change shape.
 */
private[sparkdl] final class Trainer(
    archive: Array[Byte],
    plan: TrainingPlan,
    config: SessionConfig,
    group: Option[CollectiveGroup] = None // data-parallel: steps all-reduced within this group
) extends AutoCloseable {
  // A reused directory, not a fresh one per fit: TF keeps memory per path it loads from.
  private val directory = LoadDirectories.acquire()
  private val dir = directory.path
  private val model: SavedModel = {
    try {
      SavedModelArchive.unpack(archive, dir.resolve("model"))
      SavedModel.load(dir.resolve("model").toString, plan.tags, config)
    } catch { case e: Throwable => directory.close(); throw e }
  }
  private val keys = plan.feeds.map(_._1)
  private val rowValidator = plan.rowValidator()
  private val writers = plan.feeds.map { case (_, f) => new TensorWriter(f.column, f.dtype) }.toArray

  /**
   * Trains for `params.epochs` epochs (fewer when early stopping stops it): `trainRows(epoch)`
   * gives an epoch's rows, `validationRows()` the held-out rows (may be empty). `onEpoch` hears
   * of each finished epoch. A NaN or infinite training loss stops the fit at its step with a
   * [[TrainingDivergedException]] that names `fit` (which param map), the epoch and the step.
   *
   * In a collective `group`, `stepRows(s)` gives this worker's rows in step s (its share of the
   * global batch, [[WorkerShares]]): every step all-reduces the gradients and figures, and each
   * epoch's figures (training and validation) are summed over the workers, so every worker sees
   * the figures one worker would on the union of their rows.
   */
  def fit(
      params: TrainingParams,
      trainRows: Int => Iterator[InternalRow],
      validationRows: () => Iterator[InternalRow],
      onEpoch: EpochMetrics => Unit = _ => (),
      fit: String = "the fit",
      stepRows: Option[Long => Int] = None, // a worker's rows per step; None: batchSize
      resumed: Seq[EpochMetrics] = Nil // epochs trained before (a checkpoint's), the model theirs
  ): Seq[EpochMetrics] = {
    val history = mutable.ArrayBuffer.empty[EpochMetrics]
    var best = Double.PositiveInfinity
    var sinceBest = 0
    def track(figures: EpochMetrics, validated: Boolean): Unit =
      for (k <- figures.metrics.get(if (validated) ValidationPrefix + Loss else Loss)) {
        if (k < best) { best = k; sinceBest = 0 } else sinceBest += 1
      }
    resumed.foreach { e => history += e; track(e, e.metrics.contains(ValidationPrefix + Loss)) }
    var epoch = resumed.length
    while (epoch < params.epochs && (params.patience <= 0 || sinceBest < params.patience)) {
      val started = System.nanoTime()
      val localTrain = run(trainRows(epoch), stepRows.getOrElse(_ => params.batchSize), Some(params.learningRate),
        Some((fit, epoch + 1)))
      val seconds = (System.nanoTime() - started) / 1e9
      val (train, validation) = summed(localTrain, run(validationRows(), _ => params.batchSize, None))
      if (train.isEmpty) throw new IllegalArgumentException(plan.names.error("no rows to train on"))
      val figures = EpochMetrics(epoch + 1, train.metrics ++ validation.metrics.map { case (k, v) => ValidationPrefix + k -> v },
        train.rows, seconds)
      history += figures
      onEpoch(figures)
      track(figures, validation.nonEmpty)
      epoch += 1
    }
    history.toSeq
  }

  /** Cancels the step in flight (from another thread): it fails with TF's CANCELLED, as later ones. */
  def cancel(): Unit = model.session.cancel()

  /** The trained model, as SavedModel archive bytes (variables saved through its saver). */
  def trainedArchive(): Array[Byte] = {
    saves += 1 // a fresh directory each time: checkpoints save after every epoch
    val out = dir.resolve(s"trained-$saves")
    model.saveTo(out.toString)
    try SavedModelArchive.fromDirectory(out.toString, plan.tags).archive
    finally scala.util.Using.resource(java.nio.file.Files.walk(out)) { paths =>
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p => java.nio.file.Files.delete(p))
    }
  }
  private var saves = 0

  // Each output summed over the rows (weighted by batch size), and the rows.
  private final case class Figures(sums: Map[String, Double], rows: Long) {
    def isEmpty: Boolean = rows == 0
    def nonEmpty: Boolean = rows > 0
    def metrics: Map[String, Double] = if (rows == 0) Map.empty else sums.map { case (k, v) => k -> v / rows }
  }

  // One worker's figures as they are; a group's summed over its workers (one collective).
  private def summed(train: Figures, validation: Figures): (Figures, Figures) = group.fold((train, validation)) { _ =>
    val trainKeys = plan.trainOutputs.map(_._1)
    val evalKeys = plan.evalOutputs.map(_._1)
    val local = (trainKeys.map(k => train.sums.getOrElse(k, 0.0)) :+ train.rows.toDouble) ++
      (evalKeys.map(k => validation.sums.getOrElse(k, 0.0)) :+ validation.rows.toDouble)
    val total = allReduceSum(local.toArray)
    def figures(keys: Seq[String], from: Int) = {
      val rows = math.round(total(from + keys.length))
      Figures(if (rows == 0) Map.empty else keys.indices.map(i => keys(i) -> total(from + i)).toMap, rows)
    }
    (figures(trainKeys, 0), figures(evalKeys, trainKeys.length + 1))
  }

  // Runs train_step (with a learning rate; in a group train_step_allreduce) or evaluate over
  // `rows` in batches of `batchRows(step)` rows; returns each output summed over the rows,
  // weighted by batch size. Training steps (`training`: the fit's name and epoch) check that the
  // loss stays finite.
  private def run(
      rows: Iterator[InternalRow],
      batchRows: Long => Int,
      learningRate: Option[Float],
      training: Option[(String, Int)] = None
  ): Figures = {
    val (prepared, outputs) = if (learningRate.isDefined) (trainRun, trainOutputs) else (evalRun, plan.evalOutputs)
    val sums = mutable.LinkedHashMap.empty[String, Double]
    var count = 0L
    val batch = new BlockRows(batchRows(0)) // the largest: later steps are no larger
    var carried: InternalRow = null
    var steps = 0
    def flush(n: Int): Unit = if (n > 0) {
      val figures = step(batch.rows, n, prepared, outputs, learningRate)
      steps += 1
      for ((fit, epoch) <- training; (_, loss) <- figures.find(_._1 == Loss) if loss.isNaN || loss.isInfinite) {
        throw new TrainingDivergedException(
          s"$fit: the loss is $loss at epoch $epoch, step $steps (a batch of $n rows, learning rate " +
            s"${learningRate.getOrElse(0f)}); expected a finite loss: lower the learning rate or check the data")
      }
      figures.foreach { case (k, v) => sums(k) = sums.getOrElse(k, 0.0) + v * n }
      count += n
    }
    val collective = group.isDefined && learningRate.isDefined
    while (carried != null || rows.hasNext) {
      rowValidator.startBlock()
      val size = batchRows(steps)
      var n = 0
      var full = false
      while (!full && n < size && (carried != null || rows.hasNext)) {
        val row = if (carried != null) carried else rows.next()
        carried = null
        rowValidator.check(row).foreach { p =>
          throw new IllegalArgumentException(plan.names.error(s"$p (${plan.names.invalidRowHint})"))
        }
        if (!rowValidator.fitsBlock) { carried = row.copy(); full = true }
        else { rowValidator.accept(); batch.set(n, row); n += 1 }
      }
      if (collective && n != size) {
        // Every worker must take the same steps: a batch cut short would leave the others waiting.
        throw new IllegalArgumentException(plan.names.error(
          s"step ${steps + 1} of this worker has $n row(s) of one cell shape; expected $size: with numWorkers > 1 " +
            "the rows of a batch must have cells of one shape (or use numWorkers = 1)"))
      }
      flush(n)
    }
    Figures(sums.toMap, count)
  }

  private def step(
      rows: Array[InternalRow],
      n: Int,
      run: PreparedRun,
      outputs: Seq[(String, String)],
      learningRate: Option[Float]
  ): Seq[(String, Double)] = {
    val made = new Array[Tensor](keys.length)
    try {
      var i = 0
      while (i < keys.length) { made(i) = writers(i).write(rows, n, rowValidator.cellShape(i)); i += 1 }
      val feeds = learningRate.fold(made)(lr => made :+ learningRateTensor(lr)) ++
        (if (learningRate.isDefined) groupFeeds(TrainInstance) else Nil)
      val fetched = run.run(feeds)
      try outputs.map(_._1).zip(fetched).map { case (k, t) =>
        if (t.numElements != 1) {
          throw new IllegalArgumentException(plan.names.error(
            s"output '$k' of the training signatures returned shape ${t.shape}; expected a scalar"))
        }
        k -> scalar(t)
      } finally fetched.foreach(_.close())
    } finally made.foreach(t => if (t != null) t.close())
  }

  // Feeds and fetches resolved once per signature, not per step (each name lookup and shape
  // check crosses JNI), and one learning-rate tensor per value: a step is then one session run.
  private val collectivePlan: Option[CollectivePlan] = group.map { _ =>
    plan.collective.getOrElse(throw new IllegalArgumentException(plan.names.error(
      s"the model has no $TrainStepAllReduce and $AllReduceSum signatures, which numWorkers > 1 trains with")))
  }
  private val trainOutputs = collectivePlan.fold(plan.trainOutputs)(_.trainOutputs)
  // One instance key per collective of the model, the same every step (the group key is the fit's).
  private val TrainInstance = 1
  private val SumInstance = 2
  private lazy val trainRun: PreparedRun = collectivePlan match {
    case None => prepare(plan.trainInputs, trainOutputs, Some(plan.learningRateInput))
    case Some(c) =>
      prepare(c.trainInputs, trainOutputs, Some(c.trainInputs(LearningRate)), GroupInputs.map(c.trainInputs))
  }
  private lazy val evalRun: PreparedRun = prepare(plan.evalInputs, plan.evalOutputs, None)
  private lazy val sumRun: PreparedRun = {
    val c = collectivePlan.get
    val graph = model.graph
    model.session.prepare((Values +: GroupInputs).map(k => graph.output(c.sumInputs(k))), Seq(graph.output(c.sumOutput)))
  }
  // float64 in sparkdl's exports, so the epoch's sums (float64 on each worker) add up exactly;
  // float32 in models made before (or by other programs), summed in float32.
  private lazy val sumInFloat64: Boolean =
    model.graph.output(collectivePlan.get.sumInputs(Values)).dtype == DType.Float64
  private var learningRateFeed: Option[(Float, Tensor)] = None
  private val groupTensors: Map[Int, Seq[Tensor]] = group.fold(Map.empty[Int, Seq[Tensor]]) { g =>
    Seq(TrainInstance, SumInstance).map(i => i -> Seq(g.size, g.key, i).map(v => Tensor.ofInts(Array(v), Shape.scalar))).toMap
  }
  private def groupFeeds(instance: Int): Seq[Tensor] = groupTensors.getOrElse(instance, Nil)

  // The sum over the group's workers of each worker's `values` (allreduce_sum).
  private def allReduceSum(values: Array[Double]): Array[Double] = {
    val shape = Shape(values.length.toLong)
    val v = if (sumInFloat64) Tensor.ofDoubles(values, shape) else Tensor.ofFloats(values.map(_.toFloat), shape)
    try {
      val out = sumRun.run((v +: groupFeeds(SumInstance)).toArray)
      try { if (sumInFloat64) out.head.doubles() else out.head.floats().map(_.toDouble) }
      finally out.foreach(_.close())
    } finally v.close()
  }

  private def prepare(
      inputs: Map[String, String],
      outputs: Seq[(String, String)],
      rate: Option[String],
      extra: Seq[String] = Nil
  ): PreparedRun = {
    val graph = model.graph
    model.session.prepare((keys.map(inputs) ++ rate ++ extra).map(graph.output), outputs.map(o => graph.output(o._2)))
  }

  private def learningRateTensor(lr: Float): Tensor = learningRateFeed match {
    case Some((value, t)) if value == lr => t
    case other =>
      other.foreach(_._2.close())
      val t = Tensor.ofFloats(Array(lr), Shape.scalar)
      learningRateFeed = Some(lr -> t)
      t
  }

  private def scalar(t: Tensor): Double = t.dtype.name match {
    case "float32" => t.floats().head.toDouble
    case "float64" => t.doubles().head
    case "int32" => t.ints().head.toDouble
    case "int64" => t.longs().head.toDouble
    case other => throw new IllegalArgumentException(plan.names.error(s"a training output of dtype $other"))
  }

  override def close(): Unit =
    try { learningRateFeed.foreach(_._2.close()); groupTensors.values.flatten.foreach(_.close()) }
    finally try model.close() finally directory.close()
}
