package io.sparkdl.image

import java.awt.color.ColorSpace
import java.awt.image.{BufferedImage, DataBufferByte}
import java.io.ByteArrayInputStream
import javax.imageio.{ImageIO => JImageIO}

import scala.util.control.NonFatal

import org.apache.spark.sql.Row

/**
 * Compressed image files (PNG, JPEG, BMP, GIF, and whatever else `javax.imageio` reads) decoded
 * into Spark's image struct, 8 bits per sample.
 *
 * Channels, compared with Spark's own image source (`ImageSchema.decode`):
 *  - gray without alpha: 1 channel, the samples themselves (not converted through sRGB, which
 *    would brighten them); 16-bit gray is scaled to 8 bits (`round(v * 255 / 65535)`), where
 *    Spark keeps the low byte;
 *  - gray with alpha: 4 channels, gray repeated as blue, green and red, where Spark drops alpha;
 *  - everything else, palettes (GIF) included: 3 channels BGR, or 4 BGRA when the file's color
 *    model has alpha (a GIF with a transparent color does), converted to 8-bit sRGB by
 *    `javax.imageio` as Spark does.
 * A file `javax.imageio` cannot read (no reader, corrupt data, CMYK JPEG) decodes to `None`.
 */
private[image] object ImageDecoder {

  /** The image struct of `bytes` with `origin`, or `None` if they are not a readable image. */
  def decode(origin: String, bytes: Array[Byte]): Option[Row] = {
    val image =
      try Option(JImageIO.read(new ByteArrayInputStream(bytes)))
      catch { case NonFatal(_) => None }
    image.flatMap { img =>
      try toStruct(origin, img)
      catch { case NonFatal(_) => None } // a reader may defer decoding errors to the raster
    }
  }

  private def toStruct(origin: String, img: BufferedImage): Option[Row] = {
    val cm = img.getColorModel
    val gray = cm.getColorSpace.getType == ColorSpace.TYPE_GRAY && cm.getNumColorComponents == 1
    val channels = if (gray && !cm.hasAlpha) 1 else if (cm.hasAlpha) 4 else 3
    val (h, w) = (img.getHeight, img.getWidth)
    val size = h.toLong * w * channels
    if (size > Int.MaxValue - 16) return None // larger than any Java array
    val data =
      if (gray) {
        graySamples(img, channels)
      } else if (img.getType == BufferedImage.TYPE_3BYTE_BGR && packed(img, 3)) {
        rasterBytes(img).clone() // already BGR, as JPEG and BMP usually decode
      } else if (img.getType == BufferedImage.TYPE_4BYTE_ABGR && packed(img, 4)) {
        abgrToBgra(rasterBytes(img))
      } else {
        viaRgb(img, channels)
      }
    Some(Row(origin, h, w, channels, ImageFormat.mode(channels, isFloat = false), data))
  }

  private def rasterBytes(img: BufferedImage): Array[Byte] =
    img.getRaster.getDataBuffer.asInstanceOf[DataBufferByte].getData

  // The raster's bytes are exactly the image's pixels (not a window into a larger buffer).
  private def packed(img: BufferedImage, channels: Int): Boolean =
    img.getRaster.getDataBuffer.isInstanceOf[DataBufferByte] &&
      img.getRaster.getParent == null &&
      rasterBytes(img).length == img.getHeight * img.getWidth * channels

  private def abgrToBgra(abgr: Array[Byte]): Array[Byte] = {
    val out = new Array[Byte](abgr.length)
    var i = 0
    while (i < abgr.length) {
      out(i) = abgr(i + 1)
      out(i + 1) = abgr(i + 2)
      out(i + 2) = abgr(i + 3)
      out(i + 3) = abgr(i)
      i += 4
    }
    out
  }

  // Gray samples straight from the raster, scaled to 8 bits; with alpha, as B = G = R = gray.
  private def graySamples(img: BufferedImage, channels: Int): Array[Byte] = {
    val raster = img.getRaster
    val (h, w) = (img.getHeight, img.getWidth)
    val cm = img.getColorModel
    val bands = if (channels == 4) Seq(0, 1) else Seq(0)
    val maxes = bands.map(b => (1L << cm.getComponentSize(b)) - 1)
    val out = new Array[Byte](h * w * channels)
    val row = new Array[Int](w)
    var y = 0
    while (y < h) {
      bands.zip(maxes).foreach { case (band, max) =>
        raster.getSamples(0, y, w, 1, band, row)
        var x = 0
        while (x < w) {
          val v = if (max == 255) row(x) else ((row(x) * 255L + max / 2) / max).toInt
          val o = (y * w + x) * channels
          if (channels == 1) out(o) = v.toByte
          else if (band == 0) { out(o) = v.toByte; out(o + 1) = v.toByte; out(o + 2) = v.toByte }
          else out(o + 3) = v.toByte
          x += 1
        }
      }
      y += 1
    }
    out
  }

  // Any other color model, through javax.imageio's conversion to 8-bit sRGB ARGB, row by row.
  private def viaRgb(img: BufferedImage, channels: Int): Array[Byte] = {
    val (h, w) = (img.getHeight, img.getWidth)
    val out = new Array[Byte](h * w * channels)
    val row = new Array[Int](w)
    var y = 0
    var o = 0
    while (y < h) {
      img.getRGB(0, y, w, 1, row, 0, w)
      var x = 0
      while (x < w) {
        val argb = row(x)
        out(o) = argb.toByte
        out(o + 1) = (argb >> 8).toByte
        out(o + 2) = (argb >> 16).toByte
        if (channels == 4) out(o + 3) = (argb >>> 24).toByte
        o += channels
        x += 1
      }
      y += 1
    }
    out
  }
}
