package org.apache.spark

import org.apache.spark.scheduler.AccumulableInfo

/** Test-only: an accumulator update as an executor heartbeat carries it (the constructor is Spark's). */
object AccumulableShim {
  def update(id: Long, name: String, value: Any): AccumulableInfo =
    AccumulableInfo(id, Some(name), Some(value), None, internal = false, countFailedValues = false)
}
