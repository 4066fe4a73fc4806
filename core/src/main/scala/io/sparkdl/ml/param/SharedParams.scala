package io.sparkdl.ml.param

import org.apache.spark.ml.param.{IntParam, Param, Params, ParamValidators}

import io.sparkdl.model.TFModel
import io.sparkdl.runtime.HandleInvalid
import io.sparkdl.tensorframes.TensorFrames

/** The TF model a stage runs. */
trait HasModel extends Params {

  /** The TF model (a frozen graph or a SavedModel with a signature). Required. */
  final val model: ModelParam =
    new ModelParam(this, "model", "The TF model (a frozen graph or a SavedModel with a signature). Required.")

  final def getModel: TFModel = $(model)
}

/** How many rows go into one session run. */
trait HasBatchSize extends Params {

  final val batchSize: IntParam = new IntParam(
    this,
    "batchSize",
    "The number of rows per TF session run (> 0). Default: 1024 (TFEstimator: 32, as Keras' fit).",
    ParamValidators.gt(0)
  )
  setDefault(batchSize -> TensorFrames.DefaultBlockSize)

  final def getBatchSize: Int = $(batchSize)
}

/** What to do with rows whose cells cannot be fed: null cells or cells of the wrong shape. */
trait HasHandleInvalid extends Params {

  final val handleInvalid: Param[String] = new ChoiceParam(
    this,
    "handleInvalid",
    "How to handle rows whose cells cannot be fed (nulls, malformed values, a shape the model " +
      "input does not take): 'error' (fail), 'skip' (drop the row) or 'keep' (keep the row, with " +
      "null outputs). Default: 'error'.",
    HandleInvalid.all
  )
  setDefault(handleInvalid -> HandleInvalid.Error)

  final def getHandleInvalid: String = $(handleInvalid)
}

/**
 * How a stage's model output becomes a column: each stage offers its subset of [[OutputMode]]'s
 * modes (`outputModes`, the first the default), with one meaning of each mode for every stage.
 */
trait HasOutputMode extends Params {

  /**
   * The modes this stage offers, its default first. Read while the param is made, before the
   * stage's own vals are set: override it with a `def`.
   */
  protected def outputModes: Seq[String] = Seq(OutputMode.Array, OutputMode.Vector)

  final val outputMode: Param[String] = OutputMode.param(this, outputModes)
  setDefault(outputMode -> outputModes.head)

  final def getOutputMode: String = $(outputMode)
}

/** The output modes, what each means, and the one way a stage's `outputMode` param is made. */
object OutputMode {
  val Array = "array"
  val Vector = "vector"
  val Image = "image"

  /** Every mode, in the order docs list them. */
  val all: Seq[String] = Seq(Array, Vector, Image)

  /** What each mode makes of an output, as every stage's doc says it. */
  val meaning: Map[String, String] = Map(
    Array -> "'array' (the model's dtype and shape: nested arrays for rank >= 2, a number for rank 0)",
    Vector -> ("'vector' (an ML DenseVector of the output's values, flattened in row-major order " +
      "whatever its rank, as numpy's reshape(-1): rank 0 gives a size-1 vector; numeric outputs only)"),
    Image -> "'image' (an image struct, of an output of shape [height, width, channels])"
  )

  /** The `outputMode` param of a stage offering `modes` (its default first). */
  def param(parent: Params, modes: Seq[String]): ChoiceParam = {
    require(modes.nonEmpty && modes.forall(all.contains), s"unknown output modes ${modes.mkString(", ")}")
    val listed = modes.map(meaning)
    val choices = if (listed.length == 1) listed.head else listed.init.mkString(", ") + " or " + listed.last
    new ChoiceParam(parent, "outputMode",
      s"How the model output becomes a column: $choices. Default: '${modes.head}'.", modes)
  }
}
