package io.sparkdl.ml

import org.apache.spark.ml.param.{Param, Params}
import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.types.StructType

import io.sparkdl.ml.param.{HasBatchSize, HasComputeMode, HasHandleInvalid, HasModel}

/** How every stage names itself in errors, and its check of the params it requires. */
private[ml] trait StageParams extends Params {

  /** The stage as error messages name it (see [[StageName]]). */
  def stageName: String = StageName(uid, getClass)

  /** The value of required param `p`, or an error naming the stage, the param and what it needs. */
  protected def required[T](p: Param[T], expected: String): T = get(p).getOrElse {
    throw new IllegalArgumentException(s"$stageName: param '${p.name}' is required but not set; expected $expected")
  }
}

/** The params every model stage shares. */
private[ml] trait ModelStageParams
    extends StageParams with HasModel with HasBatchSize with HasHandleInvalid with HasComputeMode

/** A model stage whose model runs through a [[ModelBinding]]: the binding gives its output schema
 * and runs it, with the stage's batch size, handleInvalid and compute mode. */
private[ml] trait BoundModelStage extends ModelStageParams {

  /** The stage's model bound to its columns (made from its params, which it checks). */
  protected def binding: ModelBinding

  /** Checks `schema` against the params and the model; returns it with the output columns. */
  protected def validateAndTransformSchema(schema: StructType): StructType = binding.outputSchema(schema)

  /** `df` with the model's outputs (the binding checks the schema as transformSchema does,
   * planning the model once). */
  protected def runBinding(df: DataFrame): DataFrame =
    binding.transform(df, $(batchSize), $(handleInvalid), computeMode(df.sparkSession, stageName))
}
