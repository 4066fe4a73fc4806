package io.sparkdl.image

import org.apache.spark.sql.Row

/**
 * EXIF orientation (the tag's values 1 to 8) undone on an 8-bit image struct, as Pillow's
 * `ImageOps.exif_transpose` does: 2 mirrors left-right, 3 turns 180 degrees, 4 mirrors
 * top-bottom, 5 transposes, 6 turns 90 degrees clockwise, 7 transverses, 8 turns 90 degrees
 * counter-clockwise. Orientations 5 to 8 swap height and width.
 */
private[image] object Orientation {

  /** `image` turned upright from `orientation`; `image` itself for 1 (or any other value). */
  def upright(image: Row, orientation: Int): Row = {
    if (orientation < 2 || orientation > 8) return image
    val (h, w, c) = (image.getInt(1), image.getInt(2), image.getInt(3))
    val data = image.getAs[Array[Byte]](5)
    val swap = orientation >= 5
    val (outH, outW) = if (swap) (w, h) else (h, w)
    val out = new Array[Byte](data.length)
    var y = 0
    while (y < outH) {
      var x = 0
      while (x < outW) {
        // The input pixel (sy, sx) that output pixel (y, x) shows.
        val (sy, sx) = orientation match {
          case 2 => (y, w - 1 - x)
          case 3 => (h - 1 - y, w - 1 - x)
          case 4 => (h - 1 - y, x)
          case 5 => (x, y)
          case 6 => (h - 1 - x, y)
          case 7 => (h - 1 - x, w - 1 - y)
          case _ => (x, w - 1 - y) // 8
        }
        System.arraycopy(data, (sy * w + sx) * c, out, (y * outW + x) * c, c)
        x += 1
      }
      y += 1
    }
    Row(image.getString(0), outH, outW, c, image.getInt(4), out)
  }
}
