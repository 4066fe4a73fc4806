package io.sparkdl.ml

import org.apache.spark.ml.param.Param

import io.sparkdl.ml.param.{HasBatchSize, HasComputeMode, HasHandleInvalid, HasModel}

/** The params every model stage shares, and the check for those it requires. */
private[ml] trait ModelStageParams extends HasModel with HasBatchSize with HasHandleInvalid with HasComputeMode {

  /** The stage as error messages name it (see [[StageName]]). */
  def stageName: String = StageName(uid, getClass)

  /** The value of required param `p`, or an error naming the stage, the param and what it needs. */
  protected def required[T](p: Param[T], expected: String): T = get(p).getOrElse {
    throw new IllegalArgumentException(s"$stageName: param '${p.name}' is required but not set; expected $expected")
  }
}
