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

/** Whether outputs keep the model's dtype and shape (arrays) or become ML vectors. */
trait HasOutputMode extends Params {

  final val outputMode: Param[String] = new ChoiceParam(
    this,
    "outputMode",
    "How outputs become columns: 'array' (the model's dtype and shape, nested arrays for rank >= 2) " +
      "or 'vector' (ML DenseVectors; outputs need numeric cells of rank 1, or rank 0 as size-1 " +
      "vectors). Default: 'array'.",
    Seq(OutputMode.Array, OutputMode.Vector)
  )
  setDefault(outputMode -> OutputMode.Array)

  final def getOutputMode: String = $(outputMode)
}

object OutputMode {
  val Array = "array"
  val Vector = "vector"
}
