package io.sparkdl.ml

import org.apache.spark.ml.param.{Param, Params}

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
