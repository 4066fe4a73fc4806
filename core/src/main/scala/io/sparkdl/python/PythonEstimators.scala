package io.sparkdl.python

import scala.jdk.CollectionConverters._

import org.apache.spark.ml.param.ParamMap
import org.apache.spark.sql.DataFrame

import io.sparkdl.ml.{TFEstimator, TFEstimatorModel}

/** [[TFEstimator]]'s fit over several param maps, shaped for py4j. Used by `sparkdl.ml`. */
object PythonEstimators {

  /** One training task per map, all at once over one cache of the data; models in map order. */
  def fitMultiple(
      estimator: TFEstimator,
      df: DataFrame,
      paramMaps: java.util.List[ParamMap]
  ): java.util.List[TFEstimatorModel] = estimator.fit(df, paramMaps.asScala.toSeq).asJava
}
