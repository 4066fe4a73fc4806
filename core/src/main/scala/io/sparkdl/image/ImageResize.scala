package io.sparkdl.image

import org.apache.spark.sql.{Column, Row}
import org.apache.spark.sql.sparkdl.UdfShim

/**
 * Image resizing to a model's fixed input size, equal to Pillow's `Image.resize((width, height),
 * filter)` with the same method ([[ResizeMethod]]: `area`, the default, `bilinear`, `bicubic`,
 * `nearest`): on `uint8` images pixel for pixel, on `float32` images up to float rounding.
 * Resizing to an image's own size returns its input itself, untouched.
 *
 * `float32` images with 4 channels are resized channel by channel: unlike `uint8` ones, their
 * alpha has no agreed scale to premultiply with.
 */
object ImageResize {

  /** The methods' names: "area", "bilinear", "bicubic", "nearest". */
  val methods: Seq[String] = ResizeMethod.all.map(_.name)

  /** `image` resized to `height x width` (channels keep their order and their type). */
  def resize(image: ImageArray, height: Int, width: Int, method: String): ImageArray =
    resize(image, height, width, ResizeMethod.fromName(method))

  /** `image` resized to `height x width` (channels keep their order and their type). */
  def resize(image: ImageArray, height: Int, width: Int, method: ResizeMethod): ImageArray = {
    val valueBytes = image match { case _: ByteImage => 1; case _: FloatImage => 4 }
    checkSizes(image.height, image.width, image.channels, valueBytes, height, width, "image")
    image match {
      case b: ByteImage =>
        val out = resizeBytes(b.data, b.height, b.width, b.channels, height, width, method)
        if (out eq b.data) b else ByteImage(height, width, b.channels, out)
      case f: FloatImage =>
        val out = resizeFloats(f.data, f.height, f.width, f.channels, height, width, method)
        if (out eq f.data) f else FloatImage(height, width, f.channels, out)
    }
  }

  /**
   * `uint8` samples (`height x width x channels`, row-major) resized to `outHeight x outWidth`;
   * `data` itself when the size does not change. Channels 4 are taken to be color + alpha (in
   * either order, RGBA or BGRA), which `nearest` excepted are resized premultiplied, as by Pillow.
   */
  def resizeBytes(
      data: Array[Byte],
      height: Int,
      width: Int,
      channels: Int,
      outHeight: Int,
      outWidth: Int,
      method: ResizeMethod
  ): Array[Byte] = {
    checkArray(data.length, height, width, channels, 1, outHeight, outWidth)
    Resampler.resizeBytes(data, height, width, channels, outHeight, outWidth, method)
  }

  /** `float32` samples resized as [[resizeBytes]] resizes `uint8` ones, without premultiplying. */
  def resizeFloats(
      data: Array[Float],
      height: Int,
      width: Int,
      channels: Int,
      outHeight: Int,
      outWidth: Int,
      method: ResizeMethod
  ): Array[Float] = {
    checkArray(data.length, height, width, channels, 4, outHeight, outWidth)
    Resampler.resizeFloats(data, height, width, channels, outHeight, outWidth, method)
  }

  /**
   * An image struct (a `Row` of Spark's `columnSchema`) resized to `height x width`, in the same
   * mode, with the same origin; the struct itself when its size is already `height x width`, and
   * null for null. `what` names the image in errors.
   */
  def resizeStruct(
      image: Row,
      height: Int,
      width: Int,
      method: ResizeMethod,
      what: String = "image"
  ): Row = {
    if (image == null) return null
    val origin = image.getString(0)
    val (h, w, c, mode) = (image.getInt(1), image.getInt(2), image.getInt(3), image.getInt(4))
    val data = image.getAs[Array[Byte]](5)
    val described = ImageArray.describe(what, origin)
    ImageArray.checkStruct(h, w, c, mode, data, described)
    checkSizes(h, w, c, if (ImageFormat.isFloatMode(mode)) 4 else 1, height, width, described)
    if (h == height && w == width) image
    else {
      val out =
        if (ImageFormat.isFloatMode(mode)) {
          val floats = ImageArray.bytesToFloats(data)
          ImageArray.floatsToBytes(Resampler.resizeFloats(floats, h, w, c, height, width, method))
        } else Resampler.resizeBytes(data, h, w, c, height, width, method)
      Row(origin, height, width, c, mode, out)
    }
  }

  /**
   * A column of image structs resized to `height x width` on the executors: `uint8` images stay
   * `uint8` (rounded and clamped), `float32` ones stay `float32`; null images stay null. Images
   * already `height x width` pass through untouched. The result is Spark's image struct.
   *
   * @param method "area" (Pillow's BOX, the default), "bilinear", "bicubic" or "nearest"
   */
  def resize(col: Column, height: Int, width: Int, method: String = "area"): Column = {
    val m = ResizeMethod.fromName(method)
    require(
      height > 0 && width > 0,
      s"resize to ${height}x$width: height and width must be positive"
    )
    ResizeFunction(height, width, m).column(col)
  }

  private def checkArray(length: Int, h: Int, w: Int, c: Int, valueBytes: Int, outH: Int, outW: Int): Unit = {
    require(
      ImageFormat.supportedChannels.contains(c),
      s"an image has 1, 3 or 4 channels, not $c"
    )
    require(
      h >= 0 && w >= 0 && length.toLong == h.toLong * w * c,
      s"a ${h}x${w}x$c image has ${h.toLong * w * c} samples, not $length"
    )
    checkSizes(h, w, c, valueBytes, outH, outW, "image")
  }

  // The longest array the JVM allocates (the JDK's collections keep the same headroom).
  private val MaxArrayLength = Int.MaxValue - 8L

  private def checkSizes(h: Int, w: Int, c: Int, valueBytes: Int, outH: Int, outW: Int, what: String): Unit = {
    require(outH > 0 && outW > 0, s"$what: cannot resize to ${outH}x$outW; sizes must be positive")
    require(
      (h == outH && w == outW) || (h > 0 && w > 0),
      s"$what: cannot resize an empty ${h}x$w image to ${outH}x$outW"
    )
    // The resized image, and the pass between (input rows at the output width), are arrays.
    val bytes = math.max(h.toLong, outH.toLong) * outW * c * valueBytes
    require(
      bytes <= MaxArrayLength,
      s"$what: cannot resize ${h}x$w to ${outH}x$outW: $bytes bytes of pixels, more than one " +
        s"image can hold ($MaxArrayLength)"
    )
  }
}

/**
 * The function of [[ImageResize.resize]]. Untyped: Spark hands over whatever the column holds,
 * so what is no image struct is refused here, saying what was expected, rather than failing on a
 * cast. A value of its own (not a lambda), so that [[DecodeResizeFusion]] can find it in a plan
 * and hand its resize to the decode.
 */
private[image] final case class ResizeFunction(height: Int, width: Int, method: ResizeMethod) extends (Any => Row) {

  def name: String = s"resize_${method.name}_${height}x$width"

  def apply(value: Any): Row =
    ImageFormat.onImage(name, value)(ImageResize.resizeStruct(_, height, width, method, "resized image"))

  def column(image: Column): Column = UdfShim.of(this, 1, ImageFormat.columnSchema, name)(image)
}
