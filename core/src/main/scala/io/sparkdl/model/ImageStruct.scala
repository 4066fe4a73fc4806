package io.sparkdl.model

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.UnsafeRow
import org.apache.spark.sql.types.{BinaryType, IntegerType, StringType, StructType}

/**
 * The layout of Spark's image struct (`spark.read.format("image")`): origin, height, width,
 * nChannels, mode (an OpenCV type), data (row-major height x width x nChannels values, uint8 or
 * little-endian float32). What the model layer needs to feed one to a model as a tensor.
 */
object ImageStruct {
  val Origin = 0
  val Height = 1
  val Width = 2
  val Channels = 3
  val Mode = 4
  val Data = 5
  val NumFields = 6

  private val fields = Seq(
    "origin" -> StringType, "height" -> IntegerType, "width" -> IntegerType,
    "nChannels" -> IntegerType, "mode" -> IntegerType, "data" -> BinaryType
  )

  /** Whether `t` is the image struct, by field names and types (nullability aside). */
  def matches(t: StructType): Boolean =
    t.fields.length == fields.length && t.fields.zip(fields).forall { case (f, (n, d)) => f.name == n && f.dataType == d }

  /** The OpenCV types of 8-bit images by channel count: CV_8UC1, CV_8UC3, CV_8UC4. */
  val ByteModes: Map[Int, Int] = Map(1 -> 0, 3 -> 16, 4 -> 24)

  /** The OpenCV types of float32 images by channel count: CV_32FC1, CV_32FC3, CV_32FC4. */
  val FloatModes: Map[Int, Int] = Map(1 -> 5, 3 -> 21, 4 -> 29)

  /** Bytes per value of `mode` with `channels` channels: 1, 4, or -1 when they do not agree. */
  def valueSize(mode: Int, channels: Int): Int =
    if (ByteModes.get(channels).contains(mode)) 1
    else if (FloatModes.get(channels).contains(mode)) 4
    else -1

  /**
   * The bytes the data of an image with these fields holds, or -1 when they describe no image
   * (a size not positive; not 1, 3 or 4 channels; a mode of another channel count or depth).
   * The one rule the runtime's checks and the image preparation share.
   */
  def expectedDataSize(height: Int, width: Int, channels: Int, mode: Int): Long = {
    val size = valueSize(mode, channels)
    if (height <= 0 || width <= 0 || size < 0) -1L else height.toLong * width * channels * size
  }

  /** The length of the struct's data without copying it. */
  def dataSize(image: InternalRow): Int = image match {
    case u: UnsafeRow => u.getLong(Data).toInt // a variable-length field's (offset << 32 | size)
    case other => other.getBinary(Data).length
  }

  /** The data's memory as (base object, offset) for `Platform` reads, without copying it. */
  def dataLocation(image: InternalRow): (AnyRef, Long) = image match {
    case u: UnsafeRow => (u.getBaseObject, u.getBaseOffset + (u.getLong(Data) >>> 32))
    case other => (other.getBinary(Data), org.apache.spark.unsafe.Platform.BYTE_ARRAY_OFFSET.toLong)
  }
}
