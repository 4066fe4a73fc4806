package io.sparkdl.python

import scala.jdk.CollectionConverters._

import org.apache.spark.ml.param.ParamMap
import org.apache.spark.sql.DataFrame

import io.sparkdl.ml.{TFEstimator, TFEstimatorModel}
import io.sparkdl.runtime.Fits

/** [[TFEstimator]]'s fits, shaped for py4j. Used by `sparkdl.ml`. */
object PythonEstimators {

  /**
   * Starts the fits of `paramMaps` and returns them at once: Python iterates their events with
   * `hasNext()`/`next()` (which blocks until the next one). `names`: how logs and errors name
   * each fit (the maps as the Python user wrote them).
   */
  def startFits(
      estimator: TFEstimator,
      df: DataFrame,
      paramMaps: java.util.List[ParamMap],
      names: java.util.List[String]
  ): Fits[TFEstimatorModel] = estimator.startFits(df, paramMaps.asScala.toSeq, Some(names.asScala.toSeq))
}
