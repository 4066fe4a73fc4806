package io.sparkdl.image

import org.apache.spark.ml.image.ImageSchema
import org.apache.spark.sql.Row
import org.apache.spark.sql.types.{DataType, StructType}

import io.sparkdl.model.ImageStruct

/**
 * Spark's image struct and the conventions sparkdl keeps for it (docs/guide/images.md).
 *
 * The struct is Spark's own (`org.apache.spark.ml.image.ImageSchema.columnSchema`): `origin`
 * (string), `height`, `width`, `nChannels`, `mode` (an OpenCV type) and `data` (binary). `data`
 * holds the pixels row-major, `height x width x nChannels`; channels are blue, green, red (and
 * alpha) for 3 and 4 channels, as OpenCV stores them. `uint8` images hold one byte per sample;
 * `float32` images (modes `CV_32FC*`, which Spark's reader never makes) hold four little-endian
 * bytes per sample.
 */
object ImageFormat {

  /** OpenCV's 8-bit modes (`CV_8UC1`, `CV_8UC3`, `CV_8UC4`). */
  val CV_8UC1: Int = ImageStruct.ByteModes(1)
  val CV_8UC3: Int = ImageStruct.ByteModes(3)
  val CV_8UC4: Int = ImageStruct.ByteModes(4)

  /** OpenCV's 32-bit float modes (`CV_32FC1`, `CV_32FC3`, `CV_32FC4`). */
  val CV_32FC1: Int = ImageStruct.FloatModes(1)
  val CV_32FC3: Int = ImageStruct.FloatModes(3)
  val CV_32FC4: Int = ImageStruct.FloatModes(4)

  /** The image struct: Spark's `ImageSchema.columnSchema`, the same object. */
  val columnSchema: StructType = ImageSchema.columnSchema

  /** A DataFrame schema with one nullable column `image` of images (Spark's `imageSchema`). */
  val imageSchema: StructType = ImageSchema.imageSchema

  /** The struct's field names, in order. */
  val fieldNames: Seq[String] = columnSchema.fieldNames.toSeq

  /** The channel counts an image may have. */
  val supportedChannels: Seq[Int] = Seq(1, 3, 4)

  // The runtime's layout of the struct (the model layer feeds images too): one table of modes.
  private val byteModes = ImageStruct.ByteModes
  private val floatModes = ImageStruct.FloatModes
  /** OpenCV's names of the supported modes, by mode (Python's `OcvType` table is generated from
   * it, see sparkdl._gen.contract). */
  val modeNames: Map[Int, String] = Map(
    CV_8UC1 -> "CV_8UC1", CV_8UC3 -> "CV_8UC3", CV_8UC4 -> "CV_8UC4",
    CV_32FC1 -> "CV_32FC1", CV_32FC3 -> "CV_32FC3", CV_32FC4 -> "CV_32FC4"
  )

  /** The supported modes for an error's "expected": `CV_8UC1=0, CV_32FC1=5, ...`. */
  def supportedModes: String = modeNames.toSeq.sortBy(_._1).map { case (m, n) => s"$n=$m" }.mkString(", ")

  /**
   * Whether `dataType` is an image struct: a struct with Spark's image fields, in order, with
   * their types (nullability is not compared, so structs rebuilt by SQL functions still count).
   */
  def isImageStruct(dataType: DataType): Boolean = dataType match {
    case s: StructType => ImageStruct.matches(s)
    case _ => false
  }

  /** The OpenCV mode of `channels` channels of `float32` (or else `uint8`) samples. */
  def mode(channels: Int, isFloat: Boolean): Int =
    (if (isFloat) floatModes else byteModes).getOrElse(
      channels,
      throw new IllegalArgumentException(
        s"an image has 1, 3 or 4 channels, not $channels"
      )
    )

  /** Whether `mode` is one of the modes above. */
  def isSupportedMode(mode: Int): Boolean = modeNames.contains(mode)

  /** Whether `mode` is a `float32` mode (`CV_32FC*`). */
  def isFloatMode(mode: Int): Boolean = floatModes.valuesIterator.contains(mode)

  /** The channel count of a supported `mode`. */
  def channelsOf(mode: Int): Int = {
    requireSupported(mode)
    (byteModes.toSeq ++ floatModes.toSeq).collectFirst { case (c, m) if m == mode => c }.get
  }

  /** OpenCV's name of a supported mode ("CV_8UC3"), or the number for an unknown one. */
  def modeName(mode: Int): String = modeNames.getOrElse(mode, s"unknown mode $mode")

  /** Bytes per sample of a supported `mode`: 1 for `uint8`, 4 for `float32`. */
  def bytesPerSample(mode: Int): Int = { requireSupported(mode); if (isFloatMode(mode)) 4 else 1 }

  /**
   * `f` of `value`, a value an untyped Spark function was handed, if it is an image struct's row;
   * null for null. Anything else, or a row whose fields are not an image struct's, fails as the
   * error of `who` (a function): what it expected and what it found (a type or a struct's schema).
   */
  def onImage(who: String, value: Any)(f: Row => Row): Row = value match {
    case null => null
    case r: Row if r.length == columnSchema.length =>
      try f(r)
      catch { case _: ClassCastException => throw notAnImage(who, r) }
    case other => throw notAnImage(who, other)
  }

  private def notAnImage(who: String, value: Any): IllegalArgumentException = {
    val found = value match {
      case r: Row if r.schema != null => s"a ${r.schema.simpleString}"
      case other => s"a ${other.getClass.getSimpleName}"
    }
    new IllegalArgumentException(s"$who: expected an image struct (${columnSchema.simpleString}); found $found")
  }

  private def requireSupported(mode: Int): Unit = require(
    isSupportedMode(mode),
    s"image mode $mode is not supported; expected one of $supportedModes"
  )
}
