package io.sparkdl.runtime

import io.sparkdl.tf.SavedModel

/**
 * The names of a trainable SavedModel's contract (docs/training.md): its signatures and their
 * input and output keys. [[io.sparkdl.ml.TFEstimator]] checks a model against them, the
 * [[Trainer]] feeds and fetches by them, and Python's `TFModel.from_keras_trainable` writes them
 * (from the generated `sparkdl._gen.contract`, so both sides name them alike).
 */
object TrainingSignatures {
  /** Predictions: `x` -> [[ServeOutput]]. */
  val Serve: String = SavedModel.DefaultSignature
  /** One optimizer step: `x`, `y`, `learning_rate` -> [[Loss]] and the metrics. */
  val TrainStep = "train_step"
  /** A batch's loss and metrics, no step: `x`, `y` -> [[Loss]] and the metrics. */
  val Evaluate = "evaluate"
  /** [[TrainStep]] on the group's global batch: its inputs and [[GroupInputs]]. */
  val TrainStepAllReduce = "train_step_allreduce"
  /** The group's sum of each worker's [[Values]]: that and [[GroupInputs]] -> [[Sum]]. */
  val AllReduceSum = "allreduce_sum"

  val Features = "x"
  val Label = "y"
  val LearningRate = "learning_rate"
  val GroupSize = "group_size"
  val GroupKey = "group_key"
  val InstanceKey = "instance_key"
  /** The collective's inputs, in the order the training runs feed them. */
  val GroupInputs: Seq[String] = Seq(GroupSize, GroupKey, InstanceKey)
  val Values = "values"
  val Sum = "sum"
  val ServeOutput = "output_0"
  val Loss = "loss"
  /** What the history's validation figures are prefixed with (Keras' names: `val_loss`). */
  val ValidationPrefix = "val_"
}
