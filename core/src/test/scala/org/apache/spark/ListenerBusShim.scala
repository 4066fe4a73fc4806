package org.apache.spark

/** Test-only: waits until the listener bus has delivered every event posted so far. */
object ListenerBusShim {
  def waitUntilEmpty(sc: SparkContext): Unit = sc.listenerBus.waitUntilEmpty()
}
