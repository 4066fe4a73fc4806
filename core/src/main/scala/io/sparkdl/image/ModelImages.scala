package io.sparkdl.image

import java.nio.{ByteBuffer, ByteOrder}

import org.apache.spark.sql.{Column, Row}
import org.apache.spark.sql.api.java.UDF1
import org.apache.spark.sql.functions.udf

import io.sparkdl.model.ImageStruct
import io.sparkdl.tf.Shape

/** An image struct as Spark's typed functions see it (Spark's image schema). */
final case class ImageRow(origin: String, height: Int, width: Int, nChannels: Int, mode: Int, data: Array[Byte])

/**
 * Image columns to and from what a model sees: images resized to the model's input size and put
 * in its channel order ([[prepare]]), and a model's image output back as an image struct
 * ([[fromTensorCells]]).
 */
object ModelImages {

  /** The [height, width] a model input of static shape `shape` ([batch, height, width,
   * channels]) takes images in; -1s when it takes any size. */
  def inputSize(shape: Shape): (Int, Int) =
    if (shape.hasKnownRank && shape.rank == 4 && shape(1) > 0 && shape(2) > 0) (shape(1).toInt, shape(2).toInt)
    else (-1, -1)

  /**
   * The images of column `image` as a model taking `order` sees them: resized to `height` x
   * `width` with `method` (unless either is <= 0: sizes stay), then in channel order `order`.
   * The result is an image struct whose data is in the model's order; null stays null.
   */
  def prepare(image: Column, height: Int, width: Int, method: String, orderName: String, who: String): Column = {
    val order = ChannelOrder.fromName(orderName)
    val resizeMethod = ResizeMethod.fromName(method)
    // One pass per image: resize, then reorder. A malformed image passes as it is, so that the
    // runtime's CellValidator names what is wrong and handleInvalid decides (error, skip, keep).
    // Untyped: what is no image struct at all (a SQL function's argument) is refused, by `who`.
    val f: UDF1[Any, Row] = {
      case null => null
      case img: Row if ImageFormat.isImageRow(img) =>
        try prepared(img, height, width, resizeMethod, order)
        catch { case _: ClassCastException => throw ImageFormat.notAnImage(who, img) }
      case other => throw ImageFormat.notAnImage(who, other)
    }
    udf(f, ImageFormat.columnSchema).withName(s"${order.name}_${resizeMethod.name}_${height}x$width")(image)
  }

  private def prepared(img: Row, height: Int, width: Int, resizeMethod: ResizeMethod, order: ChannelOrder): Row =
    if (img.isNullAt(ImageStruct.Data) || !wellFormed(img)) img
    else {
      val resized = if (height > 0 && width > 0) ImageResize.resizeStruct(img, height, width, resizeMethod) else img
      val (h, w, c, mode) = (resized.getInt(1), resized.getInt(2), resized.getInt(3), resized.getInt(4))
      val data = resized.getAs[Array[Byte]](ImageStruct.Data)
      val floats = ImageStruct.valueSize(mode, c) == 4
      val out = ModelChannels.convert(data, h * w, c, floats, order)
      if (out eq data) resized
      else {
        val channels = ModelChannels.channels(order)
        Row(resized.getString(0), h, w, channels, ImageFormat.mode(channels, floats), out)
      }
    }

  // Sizes, channels, mode and data length agree (what the runtime checks before feeding it).
  private def wellFormed(img: Row): Boolean = {
    val expected = ImageStruct.expectedDataSize(img.getInt(1), img.getInt(2), img.getInt(3), img.getInt(4))
    expected >= 0 && img.getAs[Array[Byte]](ImageStruct.Data).length.toLong == expected
  }

  /**
   * A model's output cells of shape [height, width, channels] (float arrays, channels in `order`)
   * as float32 image structs in the struct's BGR(A) order, with `origin` from column `origin`.
   */
  def fromTensorCells(cells: Column, origin: Column, orderName: String): Column = {
    val order = ChannelOrder.fromName(orderName)
    val toImage = udf { (rows: Seq[Seq[Seq[Float]]], from: String) =>
      // Spark hands nested arrays of non-null floats as Seq[Seq[Seq[Float]]].
      if (rows == null) null
      else {
        val h = rows.length
        val w = if (h == 0) 0 else rows.head.length
        val c = if (w == 0) 0 else rows.head.head.length
        if (!ImageStruct.FloatModes.contains(c)) {
          throw new IllegalArgumentException(
            s"outputMode 'image' needs model outputs of 1, 3 or 4 channels; got $c (shape [$h,$w,$c])"
          )
        }
        val buffer = ByteBuffer.allocate(h * w * c * 4).order(ByteOrder.LITTLE_ENDIAN)
        var i = 0
        rows.foreach(_.foreach { pixel =>
          // RGB(A) from the model back to the struct's BGR(A); gray and BGR stay.
          val ordered = if (order == ChannelOrder.RGB && c >= 3) pixel.take(3).reverse ++ pixel.drop(3) else pixel
          ordered.foreach { v => buffer.putFloat(i * 4, v); i += 1 }
        })
        ImageRow(from, h, w, c, ImageStruct.FloatModes(c), buffer.array())
      }
    }
    toImage(cells, origin)
  }
}
