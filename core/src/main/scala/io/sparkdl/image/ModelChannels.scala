package io.sparkdl.image

import java.nio.{ByteBuffer, ByteOrder}

/**
 * Struct images (BGR(A) or gray) as a model taking a [[ChannelOrder]] sees them: `RGB` (Keras
 * applications and most TF models) or `BGR` in 3 channels, `L` in one gray channel.
 */
object ModelChannels {
  import ChannelOrder.{L, RGB}

  /** The number of channels a model taking `order` expects. */
  def channels(order: ChannelOrder): Int = if (order == L) 1 else 3

  /**
   * An image's values (8-bit or float32 data, `channels` per pixel, BGR(A) or gray) in `order`:
   * gray is repeated into 3 channels, alpha dropped, color made gray as PIL's `convert("L")` does
   * (ITU-R 601-2 luma). The data is returned as is when nothing changes.
   */
  def convert(data: Array[Byte], pixels: Int, channels: Int, floats: Boolean, order: ChannelOrder): Array[Byte] = {
    val out = ModelChannels.channels(order)
    if (channels == out && order != RGB) return data
    if (channels == 1 && out == 1) return data
    if (!floats && channels >= 3 && out == 3) return colorBytes(data, pixels, channels, order == RGB)
    val size = if (floats) 4 else 1
    val in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)
    val result = ByteBuffer.allocate(pixels * out * size).order(ByteOrder.LITTLE_ENDIAN)
    def get(i: Int): Double = if (floats) in.getFloat(i * 4).toDouble else (data(i) & 0xff).toDouble
    def put(i: Int, v: Double): Unit =
      if (floats) result.putFloat(i * 4, v.toFloat) else result.put(i, v.toInt.toByte)
    var p = 0
    while (p < pixels) {
      val base = p * channels
      if (channels == 1) {
        var k = 0
        while (k < out) { put(p * out + k, get(base)); k += 1 }
      } else {
        val b = get(base)
        val g = get(base + 1)
        val r = get(base + 2)
        order match {
          case L =>
            // PIL's integer luma for 8-bit images; the same weights for floats.
            val v = if (floats) r * 0.299 + g * 0.587 + b * 0.114
            else ((r.toInt * 19595 + g.toInt * 38470 + b.toInt * 7471 + 0x8000) >> 16).toDouble
            put(p, v)
          case RGB => put(p * 3, r); put(p * 3 + 1, g); put(p * 3 + 2, b)
          case _ => put(p * 3, b); put(p * 3 + 1, g); put(p * 3 + 2, r)
        }
      }
      p += 1
    }
    result.array()
  }

  // 8-bit color in 3 channels, RGB or BGR, alpha dropped: the images of most models, every image
  // of a featurizer's batch, so a plain byte loop.
  private def colorBytes(data: Array[Byte], pixels: Int, channels: Int, rgb: Boolean): Array[Byte] = {
    val result = new Array[Byte](pixels * 3)
    val (first, last) = if (rgb) (2, 0) else (0, 2)
    var p = 0
    while (p < pixels) {
      val i = p * channels
      val o = p * 3
      result(o) = data(i + first)
      result(o + 1) = data(i + 1)
      result(o + 2) = data(i + last)
      p += 1
    }
    result
  }
}
