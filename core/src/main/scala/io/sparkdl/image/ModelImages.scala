package io.sparkdl.image

import java.nio.{ByteBuffer, ByteOrder}

import org.apache.spark.sql.{Column, Row}
import org.apache.spark.sql.functions.udf
import org.apache.spark.sql.sparkdl.UdfShim

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
  def prepare(image: Column, height: Int, width: Int, method: String, orderName: String, who: String): Column =
    PrepareFunction(height, width, ResizeMethod.fromName(method), ChannelOrder.fromName(orderName), who).column(image)

  /** `img` resized to `height` x `width` (unless either is <= 0) and put in `order`. */
  private[image] def prepared(img: Row, height: Int, width: Int, resizeMethod: ResizeMethod, order: ChannelOrder): Row =
    if (img.isNullAt(ImageStruct.Data) || !wellFormed(img)) img
    else inOrder(if (height > 0 && width > 0) ImageResize.resizeStruct(img, height, width, resizeMethod) else img, order)

  /** A well-formed image struct with its data in channel order `order`. */
  private[image] def inOrder(img: Row, order: ChannelOrder): Row = {
    val (h, w, c, mode) = (img.getInt(1), img.getInt(2), img.getInt(3), img.getInt(4))
    val data = img.getAs[Array[Byte]](ImageStruct.Data)
    val floats = ImageStruct.valueSize(mode, c) == 4
    val out = ModelChannels.convert(data, h * w, c, floats, order)
    if (out eq data) img
    else {
      val channels = ModelChannels.channels(order)
      Row(img.getString(0), h, w, channels, ImageFormat.mode(channels, floats), out)
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

/**
 * The function of [[ModelImages.prepare]]: an image struct resized to `height` x `width` (kept
 * when either is <= 0) and put in channel order `order`; null stays null. A malformed image
 * passes as it is, so that the runtime's CellValidator names what is wrong and handleInvalid
 * decides (error, skip, keep). Untyped: what is no image struct at all (a SQL function's
 * argument) is refused, by `who`. A value of its own (not a lambda), so that
 * [[DecodeResizeFusion]] can find it in a plan and hand its work to the decode.
 */
private[image] final case class PrepareFunction(
    height: Int,
    width: Int,
    method: ResizeMethod,
    order: ChannelOrder,
    who: String
) extends (Any => Row) {

  def resizes: Boolean = height > 0 && width > 0

  def apply(value: Any): Row = ImageFormat.onImage(who, value)(ModelImages.prepared(_, height, width, method, order))

  def name: String = if (resizes) s"${order.name}_${method.name}_${height}x$width" else order.name

  def column(image: Column): Column = UdfShim.of(this, 1, ImageFormat.columnSchema, name)(image)
}
