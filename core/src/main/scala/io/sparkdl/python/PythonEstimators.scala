package io.sparkdl.python

import java.util.concurrent.{LinkedBlockingQueue, TimeUnit}

import scala.jdk.CollectionConverters._

import org.apache.spark.ml.param.ParamMap
import org.apache.spark.sql.DataFrame

import io.sparkdl.ml.{FitObserver, TFEstimator, TFEstimatorModel}
import io.sparkdl.runtime.TrainingLog

/** [[TFEstimator]]'s fits, shaped for py4j. Used by `sparkdl.ml`. */
object PythonEstimators {

  /**
   * Starts the fits of `paramMaps` in a driver thread of their own (which inherits the caller's
   * job group and properties) and returns at once: Python follows them with [[PythonFits.next]].
   * `names`: how logs and errors name each fit (the maps as the Python user wrote them).
   */
  def startFits(
      estimator: TFEstimator,
      df: DataFrame,
      paramMaps: java.util.List[ParamMap],
      names: java.util.List[String]
  ): PythonFits = new PythonFits(estimator, df, paramMaps.asScala.toSeq, names.asScala.toSeq)
}

/**
 * What happened to running fits: `kind` "epoch" (fit `index` finished an epoch: `line`), "fitted"
 * (fit `index` ended: `model`, and its `line`), "failed" (`error`; the remaining fits were
 * cancelled) or "done".
 */
final case class FitEvent(kind: String, index: Int, line: String, model: TFEstimatorModel, error: Throwable)

/** Fits running for Python: their events in the order they happen. */
final class PythonFits private[python] (
    estimator: TFEstimator,
    df: DataFrame,
    paramMaps: Seq[ParamMap],
    names: Seq[String]
) {
  private val events = new LinkedBlockingQueue[FitEvent]()
  private val thread = new Thread(() => {
    val last =
      try {
        estimator.fitEach(df, paramMaps, new FitObserver {
          override def epoch(i: Int, line: String): Unit = events.put(FitEvent("epoch", i, line, null, null))
          override def fitted(i: Int, model: TFEstimatorModel): Unit = {
            val line = TrainingLog.fitLine(names(i), model.history)
            events.put(FitEvent("fitted", i, line, model, null))
          }
        }, Some(names))
        FitEvent("done", -1, null, null, null)
      } catch { case e: Throwable => FitEvent("failed", -1, null, null, e) }
    events.put(last)
  }, s"sparkdl-fits-${estimator.uid}")
  thread.setDaemon(true)
  thread.start()

  /** The next event, or null when none came within `timeoutMillis`. */
  def next(timeoutMillis: Long): FitEvent = events.poll(timeoutMillis, TimeUnit.MILLISECONDS)

  /** Throws a failed event's error, so that py4j raises it in Python as it was. */
  def rethrow(event: FitEvent): Unit = throw event.error
}
