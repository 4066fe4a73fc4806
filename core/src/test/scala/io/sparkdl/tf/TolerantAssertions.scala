package io.sparkdl.tf

import org.scalatest.Assertions

/** Elementwise comparison against TF Python's values with an absolute tolerance. */
trait TolerantAssertions { self: Assertions =>
  def assertClose(actual: Array[Float], expected: Array[Float], tolerance: Double): Unit = {
    assert(actual.length == expected.length, s"length ${actual.length} != ${expected.length}")
    val worst = actual.indices.map(i => math.abs(actual(i).toDouble - expected(i))).maxOption.getOrElse(0.0)
    assert(worst <= tolerance, s"max |difference| $worst exceeds $tolerance")
  }
}
