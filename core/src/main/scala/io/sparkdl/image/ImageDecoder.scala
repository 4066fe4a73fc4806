package io.sparkdl.image

import java.awt.color.ColorSpace
import java.awt.image.{BufferedImage, DataBufferByte, IndexColorModel}
import java.io.ByteArrayInputStream
import javax.imageio.{ImageIO => JImageIO}
import javax.imageio.stream.MemoryCacheImageInputStream

import scala.util.control.NonFatal

import org.apache.spark.sql.Row

/**
 * Compressed image files (PNG, JPEG, BMP, GIF, and whatever else `javax.imageio` reads) decoded
 * into Spark's image struct, 8 bits per sample.
 *
 * Channels, compared with Spark's own image source (`ImageSchema.decode`):
 *  - gray without alpha: 1 channel, the samples themselves (not converted through sRGB, which
 *    would brighten them); 16-bit gray is scaled to 8 bits (`round(v * 255 / 65535)`), where
 *    Spark keeps the low byte; 1-, 2- and 4-bit gray PNGs are scaled to 8 bits as Pillow's
 *    `convert("L")` does (1-bit: 0 and 255), where Spark gives 3 channels;
 *  - gray with alpha: 4 channels, gray repeated as blue, green and red, where Spark drops alpha;
 *  - everything else, palettes (GIF) included: 3 channels BGR, or 4 BGRA when the file's color
 *    model has alpha (a GIF with a transparent color does), converted to 8-bit sRGB by
 *    `javax.imageio` as Spark does.
 *
 * `None`, never an exception, for a file that is not an image this decoder reads right:
 *  - no `javax.imageio` reader, or corrupt data;
 *  - a declared width x height over `maxPixels`, found in the file's header before any pixel
 *    is decoded (a PNG of a few hundred KB can declare gigabytes of pixels);
 *  - a file that ends early, as Pillow refuses it: the PNG, GIF and BMP readers fail; the JPEG
 *    reader only warns ("premature end of data segment", "missing EOI marker") and fills the
 *    missing rows with gray, so its warnings are listened to;
 *  - color that is neither RGB nor gray, as CMYK and YCCK JPEGs (`javax.imageio` would give
 *    their samples as if they were RGB);
 *  - pixels too large for this JVM's heap (an `OutOfMemoryError` while decoding one image is
 *    that image's failure; the bound above keeps it rare).
 */
private[image] object ImageDecoder {

  /** The image struct of `bytes` with `origin`, or `None` if they are not a readable image of
   * at most `maxPixels` pixels. */
  def decode(origin: String, bytes: Array[Byte], maxPixels: Long): Option[Row] =
    try read(bytes, maxPixels).flatMap(toStruct(origin, _, grayPng(bytes)))
    catch {
      case NonFatal(_) => None // a reader may defer decoding errors to the raster
      // Only this image's buffers were being allocated: they are garbage now, and a task that
      // let this error escape would stop the executor (in local mode, the application).
      case _: OutOfMemoryError => None
    }

  private def read(bytes: Array[Byte], maxPixels: Long): Option[BufferedImage] = {
    val in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))
    try {
      val readers = JImageIO.getImageReaders(in)
      if (!readers.hasNext) return None
      val reader = readers.next()
      try {
        reader.setInput(in, true, true) // as ImageIO.read: first image, metadata ignored
        val (w, h) = (reader.getWidth(0), reader.getHeight(0)) // the header alone
        if (w <= 0 || h <= 0 || w.toLong * h > maxPixels) return None
        var truncated = false
        reader.addIIOReadWarningListener((_, warning) => truncated ||= endsEarly(warning))
        val image = reader.read(0)
        if (truncated) None else Option(image)
      } finally reader.dispose()
    } finally in.close()
  }

  // javax.imageio's JPEG reader warns, rather than fails, when the data ends early:
  // "Truncated File - Missing EOI marker", "Corrupt JPEG data: premature end of data segment".
  private def endsEarly(warning: String): Boolean = {
    val w = warning.toLowerCase(java.util.Locale.ROOT)
    w.contains("truncated") || w.contains("premature end")
  }

  // A PNG of color type 0 (gray): javax.imageio gives its 1-, 2- and 4-bit forms a palette of
  // grays, which the color model alone does not tell from a palette image's.
  private def grayPng(bytes: Array[Byte]): Boolean = // signature, IHDR's length and type, ...
    bytes.length > 25 && bytes.take(4).sameElements(PngStart) && bytes(25) == 0 // its color type

  private val PngStart = Array(0x89, 'P', 'N', 'G').map(_.toByte)

  private def toStruct(origin: String, img: BufferedImage, grayPng: Boolean): Option[Row] = {
    val cm = img.getColorModel
    val space = cm.getColorSpace.getType
    if (space != ColorSpace.TYPE_RGB && space != ColorSpace.TYPE_GRAY) return None // CMYK, YCCK
    val grayPalette = grayPng && cm.isInstanceOf[IndexColorModel] && !cm.hasAlpha
    val gray = space == ColorSpace.TYPE_GRAY && cm.getNumColorComponents == 1
    val channels = if ((gray && !cm.hasAlpha) || grayPalette) 1 else if (cm.hasAlpha) 4 else 3
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
        viaRgb(img, channels) // a gray palette's colors are its grays: 1 channel, blue's
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

  // Any other color model, through javax.imageio's conversion to 8-bit sRGB ARGB, row by row;
  // 1 channel takes blue, for palettes of grays.
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
        if (channels > 1) {
          out(o + 1) = (argb >> 8).toByte
          out(o + 2) = (argb >> 16).toByte
        }
        if (channels == 4) out(o + 3) = (argb >>> 24).toByte
        o += channels
        x += 1
      }
      y += 1
    }
    out
  }
}
