package io.sparkdl.image

import java.nio.{ByteBuffer, ByteOrder}

import org.apache.spark.sql.Column
import org.apache.spark.sql.functions.udf

import io.sparkdl.model.ImageStruct

/** An image struct as Spark's typed functions see it (Spark's image schema). */
final case class ImageRow(origin: String, height: Int, width: Int, nChannels: Int, mode: Int, data: Array[Byte])

/**
 * Image columns to and from what a model sees: images resized to the model's input size and put
 * in its channel order ([[prepare]]), and a model's image output back as an image struct
 * ([[fromTensorCells]]).
 */
object ModelImages {

  /**
   * The images of column `image` as a model taking `order` sees them: resized to `height` x
   * `width` with `method` (unless either is <= 0: sizes stay), then in channel order `order`.
   * The result is an image struct whose data is in the model's order; null stays null.
   */
  def prepare(image: Column, height: Int, width: Int, method: String, orderName: String): Column = {
    val order = ChannelOrder.fromName(orderName)
    val resized = if (height > 0 && width > 0) ImageResize.resize(image, height, width, method) else image
    val reorder = udf { (img: ImageRow) =>
      if (img == null || img.data == null) null
      else {
        val floats = ImageStruct.valueSize(img.mode, img.nChannels) == 4
        val data = ModelChannels.convert(img.data, img.height * img.width, img.nChannels, floats, order)
        val channels = if (data eq img.data) img.nChannels else ModelChannels.channels(order)
        img.copy(nChannels = channels, mode = ImageFormat.mode(channels, floats), data = data)
      }
    }
    reorder(resized)
  }

  /**
   * A model's output cells of shape [height, width, channels] (float arrays, channels in `order`)
   * as float32 image structs in the struct's BGR(A) order, with `origin` from column `origin`.
   */
  def fromTensorCells(cells: Column, origin: Column, orderName: String): Column = {
    val order = ChannelOrder.fromName(orderName)
    val toImage = udf { (rows: Seq[Seq[Seq[Float]]], from: String) =>
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
