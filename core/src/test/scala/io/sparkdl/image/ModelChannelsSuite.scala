package io.sparkdl.image

import org.scalatest.funsuite.AnyFunSuite

class ModelChannelsSuite extends AnyFunSuite {
  private val random = new scala.util.Random(3)

  test("8-bit BGR(A) pixels to RGB and BGR: channels reordered, alpha dropped") {
    for (channels <- Seq(3, 4); order <- Seq(ChannelOrder.RGB, ChannelOrder.BGR)) {
      val pixels = 7
      val data = Array.fill(pixels * channels)(random.nextInt(256).toByte)
      val expected = (0 until pixels).flatMap { p =>
        val bgr = data.slice(p * channels, p * channels + 3)
        if (order == ChannelOrder.RGB) bgr.reverse else bgr
      }
      val got = ModelChannels.convert(data, pixels, channels, floats = false, order)
      assert(got.toSeq == expected, s"$channels channels to $order")
    }
  }

  test("float32 BGR pixels to RGB, and 8-bit color to gray as PIL's convert(L)") {
    val floats = Array(0.5f, -1f, 2f, 10f, 20f, 30f)
    val bytes = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN)
    floats.foreach(bytes.putFloat)
    val rgb = java.nio.ByteBuffer.wrap(ModelChannels.convert(bytes.array(), 2, 3, floats = true, ChannelOrder.RGB))
      .order(java.nio.ByteOrder.LITTLE_ENDIAN)
    assert((0 until 6).map(i => rgb.getFloat(i * 4)) == Seq(2f, -1f, 0.5f, 30f, 20f, 10f))
    // B, G, R = 10, 200, 50: (50 * 19595 + 200 * 38470 + 10 * 7471 + 0x8000) >> 16 = 133
    val gray = ModelChannels.convert(Array[Byte](10, 200.toByte, 50), 1, 3, floats = false, ChannelOrder.L)
    assert(gray.map(_ & 0xff).toSeq == Seq(133))
  }
}
