package io.sparkdl.ml

/**
 * Hears how the fits of one [[TFEstimator]] call progress, on the driver: each finished epoch of
 * each fit (`line`: its loss, metrics, validation figures and rows/s, as the driver logs it) and each
 * fitted model as its training job ends, in the order the fits finish. `i` is the param map's index.
 */
private[sparkdl] trait FitObserver {
  def epoch(i: Int, line: String): Unit
  def fitted(i: Int, model: TFEstimatorModel): Unit
}
