package io.sparkdl.image

import java.nio.{ByteBuffer, ByteOrder}

import org.apache.spark.sql.Row

/**
 * One image as a plain array: `height x width x channels` samples, row-major, channels in the
 * order the caller names when converting from or to the image struct ([[ChannelOrder]]).
 * [[ByteImage]] holds `uint8` samples, [[FloatImage]] `float32` ones.
 */
sealed trait ImageArray {
  def height: Int
  def width: Int
  def channels: Int
  def isFloat: Boolean

  /** The OpenCV mode of this image in the struct. */
  def mode: Int = ImageFormat.mode(channels, isFloat)

  /** The struct's `data`: this array's samples, taken to be in `order`, in BGR(A) order. */
  def toStructData(order: ChannelOrder): Array[Byte]

  /** The image struct (a `Row` of Spark's `columnSchema`) of this array, taken to be in `order`. */
  def toStruct(order: ChannelOrder, origin: String = null): Row =
    Row(origin, height, width, channels, mode, toStructData(order))

  protected def checkShape(length: Int): Unit = {
    require(
      ImageFormat.supportedChannels.contains(channels),
      s"an image has 1, 3 or 4 channels, not $channels"
    )
    require(height >= 0 && width >= 0, s"image size ${height}x$width is negative")
    require(
      length.toLong == height.toLong * width * channels,
      s"a ${height}x${width}x$channels image has ${height.toLong * width * channels} samples, " +
        s"not $length"
    )
  }
}

/** `uint8` samples (Java bytes, read as unsigned). */
final case class ByteImage(height: Int, width: Int, channels: Int, data: Array[Byte])
    extends ImageArray {
  checkShape(data.length)
  def isFloat: Boolean = false

  def toStructData(order: ChannelOrder): Array[Byte] =
    ImageArray.reorder(data.clone(), channels, order, "image")
}

/** `float32` samples. */
final case class FloatImage(height: Int, width: Int, channels: Int, data: Array[Float])
    extends ImageArray {
  checkShape(data.length)
  def isFloat: Boolean = true

  def toStructData(order: ChannelOrder): Array[Byte] =
    ImageArray.floatsToBytes(ImageArray.reorder(data.clone(), channels, order, "image"))
}

object ImageArray {

  /**
   * The array of an image struct (a `Row` of Spark's `columnSchema`), with its channels in
   * `order`. `what` names the image in errors (e.g. "column 'image'").
   */
  def fromStruct(row: Row, order: ChannelOrder, what: String = "image"): ImageArray = {
    require(row != null, s"$what is null")
    fromStructFields(
      row.getInt(1), row.getInt(2), row.getInt(3), row.getInt(4), row.getAs[Array[Byte]](5),
      order, describe(what, row.getString(0))
    )
  }

  /** [[fromStruct]] over the struct's fields, for callers that hold them unboxed. */
  def fromStructFields(
      height: Int,
      width: Int,
      nChannels: Int,
      mode: Int,
      data: Array[Byte],
      order: ChannelOrder,
      what: String = "image"
  ): ImageArray = {
    checkStruct(height, width, nChannels, mode, data, what)
    if (ImageFormat.isFloatMode(mode)) {
      FloatImage(height, width, nChannels, reorder(bytesToFloats(data), nChannels, order, what))
    } else {
      ByteImage(height, width, nChannels, reorder(data.clone(), nChannels, order, what))
    }
  }

  /**
   * Checks that the struct's fields agree with each other: a supported mode, `nChannels` equal to
   * the mode's, and `data` of `height * width * nChannels` samples of the mode's size.
   */
  def checkStruct(
      height: Int,
      width: Int,
      nChannels: Int,
      mode: Int,
      data: Array[Byte],
      what: String = "image"
  ): Unit = {
    def fail(msg: String) = throw new IllegalArgumentException(s"$what: $msg")
    if (!ImageFormat.isSupportedMode(mode)) {
      fail(s"mode $mode is not supported; expected one of ${ImageFormat.supportedModes}")
    }
    if (ImageFormat.channelsOf(mode) != nChannels) {
      fail(s"nChannels is $nChannels but mode ${ImageFormat.modeName(mode)} has " +
        s"${ImageFormat.channelsOf(mode)}")
    }
    if (height < 0 || width < 0) fail(s"size ${height}x$width is negative")
    if (data == null) fail("data is null")
    val expected = height.toLong * width * nChannels * ImageFormat.bytesPerSample(mode)
    if (data.length != expected) {
      fail(s"data has ${data.length} bytes; a ${height}x${width}x$nChannels " +
        s"${ImageFormat.modeName(mode)} image has $expected")
    }
  }

  private[image] def describe(what: String, origin: String): String =
    if (origin == null) what else s"$what (origin $origin)"

  /** Float samples as the struct stores them: little-endian float32. */
  def floatsToBytes(floats: Array[Float]): Array[Byte] = {
    val out = new Array[Byte](floats.length * 4)
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(floats)
    out
  }

  /** The float samples of a struct's little-endian float32 `data`. */
  def bytesToFloats(bytes: Array[Byte]): Array[Float] = {
    val out = new Array[Float](bytes.length / 4)
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out)
    out
  }

  // BGR(A) <-> RGB(A) is the same swap of the first and third channel both ways, in place.
  private def needsSwap(channels: Int, order: ChannelOrder, what: String): Boolean = order match {
    case ChannelOrder.L =>
      require(
        channels == 1,
        s"$what: channel order L needs a 1-channel image, not $channels channels"
      )
      false
    case ChannelOrder.BGR => false
    case ChannelOrder.RGB => channels >= 3
  }

  private[image] def reorder(
      a: Array[Byte],
      channels: Int,
      order: ChannelOrder,
      what: String
  ): Array[Byte] = {
    if (needsSwap(channels, order, what)) {
      var i = 0
      while (i < a.length) { val t = a(i); a(i) = a(i + 2); a(i + 2) = t; i += channels }
    }
    a
  }

  private[image] def reorder(
      a: Array[Float],
      channels: Int,
      order: ChannelOrder,
      what: String
  ): Array[Float] = {
    if (needsSwap(channels, order, what)) {
      var i = 0
      while (i < a.length) { val t = a(i); a(i) = a(i + 2); a(i + 2) = t; i += channels }
    }
    a
  }
}
