package io.sparkdl.image

import java.awt.color.ColorSpace
import java.awt.image.{BufferedImage, DataBufferByte, IndexColorModel}
import java.io.ByteArrayInputStream
import javax.imageio.{ImageIO => JImageIO}
import javax.imageio.stream.MemoryCacheImageInputStream

import scala.util.control.NonFatal

import org.apache.spark.sql.Row

import io.sparkdl.tf.{DecodedPixels, ImageDecoding}
import io.sparkdl.tf.ImageDecoding.Codec

/**
 * Compressed image files decoded into Spark's image struct, 8 bits per sample: JPEG, PNG, GIF
 * and BMP by TF's own decoders (libjpeg-turbo, libpng, giflib through the bridge, see
 * [[ImageDecoding]]), the same pixels as Pillow's; whatever else `javax.imageio` reads by it.
 *
 * What TF decodes, and the channels each file gets:
 *  - JPEG: gray files 1 channel; others 3, BGR, equal to Pillow's `convert("RGB")` pixel for
 *    pixel (libjpeg-turbo's accurate integer DCT and fancy upsampling, as Pillow's), CMYK and
 *    YCCK files included;
 *  - PNG: gray 1 channel (1-, 2- and 4-bit gray scaled to 8 bits as Pillow's `convert("L")`),
 *    gray with alpha 4 (gray repeated as blue, green and red), RGB 3, RGBA and palettes with a
 *    transparent color 4 (as Pillow's `convert("RGBA")`), other palettes 3; 16-bit color keeps
 *    each sample's high byte, as Pillow; 16-bit gray is scaled (`round(v * 255 / 65535)`, where
 *    Pillow has no 8-bit form of it);
 *  - GIF: the first frame, 3 channels, when it covers the whole image and has no transparent
 *    color; other GIFs go to `javax.imageio` (4 channels BGRA with a transparent color);
 *  - BMP: uncompressed 24- and 32-bit files, 3 channels (the 32-bit files' fourth byte is
 *    ignored, as by Pillow); other BMPs go to `javax.imageio`.
 * WebP is not among the decoders of the TF runtime sparkdl loads (TF 2.18): such files are
 * `javax.imageio`'s, which has no WebP reader of its own.
 *
 * With `exifOrientation`, a JPEG or PNG whose EXIF orientation tag is 2 to 8 is turned upright
 * as Pillow's `ImageOps.exif_transpose` turns it; without (the default, as Spark's image
 * source), the tag is ignored.
 *
 * Files `javax.imageio` decodes (the fallback) get the channels of its color model:
 *  - gray without alpha: 1 channel, the samples themselves (not converted through sRGB, which
 *    would brighten them); 16-bit gray is scaled to 8 bits (`round(v * 255 / 65535)`);
 *  - gray with alpha: 4 channels, gray repeated as blue, green and red;
 *  - everything else: 3 channels BGR, or 4 BGRA when the file's color model has alpha,
 *    converted to 8-bit sRGB by `javax.imageio` as Spark does.
 *
 * `None`, never an exception, for a file that is not an image this decoder reads right:
 *  - not an image, corrupt data, or a format neither TF nor `javax.imageio` reads;
 *  - a declared width x height over `maxPixels`, found in the file's header before any pixel
 *    is decoded (a PNG of a few hundred KB can declare gigabytes of pixels);
 *  - a file that ends early, as Pillow refuses it (TF's decoders fail on it; `javax.imageio`'s
 *    JPEG reader only warns, and its warnings are listened to);
 *  - color that is neither RGB nor gray in a file `javax.imageio` reads;
 *  - pixels too large for this JVM's heap (an `OutOfMemoryError` while decoding one image is
 *    that image's failure; the bound above keeps it rare).
 */
private[image] object ImageDecoder {

  /** The image struct of `bytes` with `origin`, or `None` if they are not a readable image of
   * at most `maxPixels` pixels. */
  def decode(origin: String, bytes: Array[Byte], maxPixels: Long, exifOrientation: Boolean = false): Option[Row] =
    try {
      if (bytes == null) None
      else {
        val header = ImageHeader.of(bytes)
        val decoded = header.flatMap(h => byTf(origin, h, bytes, maxPixels)) match {
          case Some(result) => result
          case None => read(bytes, maxPixels).flatMap(toStruct(origin, _, grayPng(bytes)))
        }
        val turn = header.map(_.orientation).filter(_ => exifOrientation).getOrElse(1)
        decoded.map(Orientation.upright(_, turn))
      }
    } catch {
      case NonFatal(_) => None // a reader may defer decoding errors to the raster
      // Only this image's buffers were being allocated: they are garbage now, and a task that
      // let this error escape would stop the executor (in local mode, the application).
      case _: OutOfMemoryError => None
    }

  /**
   * `None` when the file is not TF's to decode (go to `javax.imageio`); else its decoded image
   * struct, `None` inside when it is refused (too many pixels, or TF's decoder fails on it).
   */
  private def byTf(origin: String, header: ImageHeader, bytes: Array[Byte], maxPixels: Long): Option[Option[Row]] = {
    import ImageHeader._
    val plan: Option[(Codec, Array[Byte])] = header match {
      case _: Jpeg => Some(Codec.Jpeg -> bytes)
      case p: Png => Some((if (p.bitDepth == 16 && (p.colorType & 2) == 0) Codec.Png16 else Codec.Png) -> bytes)
      case g: Gif if g.whole && !g.transparent && g.firstFrameEnd > 0 => Some(Codec.Gif -> firstFrame(bytes, g))
      case b: Bmp if b.compression == 0 && (b.bitsPerPixel == 24 || b.bitsPerPixel == 32) && b.width > 0 =>
        Some(Codec.Bmp -> bytes)
      case _ => None
    }
    plan.map { case (codec, input) =>
      if (header.width <= 0 || header.height <= 0 || header.width * header.height > maxPixels) None
      else {
        val pixels =
          try Some(ImageDecoding.decodeShared(codec, input))
          catch { case NonFatal(_) => None } // TF's decoder refused the file: corrupt, truncated
        pixels.flatMap(p => fromTf(origin, header, p))
      }
    }
  }

  // A GIF's first frame alone, then the trailer: TF's decoder reads every frame.
  private def firstFrame(bytes: Array[Byte], gif: ImageHeader.Gif): Array[Byte] =
    if (gif.firstFrameEnd < bytes.length && bytes(gif.firstFrameEnd) == 0x3b) bytes
    else {
      val out = java.util.Arrays.copyOf(bytes, gif.firstFrameEnd + 1)
      out(gif.firstFrameEnd) = 0x3b
      out
    }

  /** TF's samples (8 or 16 bits; JPEG's and GIF's in BGR order, others' in RGB order) as the
   * image struct's (BGR order, 8 bits). */
  private def fromTf(origin: String, header: ImageHeader, pixels: DecodedPixels): Option[Row] = {
    val shape = if (pixels.shape.length == 4) pixels.shape.tail else pixels.shape // GIF: frame 1
    if (shape.length != 3) return None
    val (h, w, c) = (shape(0), shape(1), shape(2))
    if (h.toLong != header.height || w.toLong != header.width) return None
    val samples = h * w * c
    val bgrAlready = header.isInstanceOf[ImageHeader.Jpeg] || header.isInstanceOf[ImageHeader.Gif]
    if (bgrAlready) { // TF's graph put them in the struct's order: the bytes are its data
      if (pixels.bytesPerSample != 1 || (c != 1 && c != 3)) return None
      val data = if (pixels.data.length == samples) pixels.data else java.util.Arrays.copyOf(pixels.data, samples)
      return Some(Row(origin, h, w, c, ImageFormat.mode(c, isFloat = false), data))
    }
    val eight =
      if (pixels.bytesPerSample == 1) pixels.data
      else { // 16-bit samples as little-endian int32s: scaled to 8 bits, rounded
        val out = new Array[Byte](samples)
        var i = 0
        while (i < samples) {
          val o = i * 4
          val v = (pixels.data(o) & 0xff) | ((pixels.data(o + 1) & 0xff) << 8)
          out(i) = ((v * 255 + 32767) / 65535).toByte
          i += 1
        }
        out
      }
    // Channels the struct keeps: alpha a PNG without alpha got from a transparent color, and a
    // 32-bit BMP's fourth byte, are dropped, as Pillow reads them.
    val keep = header match {
      case p: ImageHeader.Png if p.colorType == 0 || p.colorType == 2 => if (c == 2 || c == 4) c - 1 else c
      case _: ImageHeader.Bmp if c == 4 => 3
      case _ => c
    }
    val channels = if (keep == 2) 4 else keep
    val out = new Array[Byte](h * w * channels)
    var px = 0
    val n = h * w
    while (px < n) {
      val i = px * c
      val o = px * channels
      keep match {
        case 1 => out(o) = eight(i)
        case 2 => out(o) = eight(i); out(o + 1) = eight(i); out(o + 2) = eight(i); out(o + 3) = eight(i + 1)
        case _ =>
          out(o) = eight(i + 2); out(o + 1) = eight(i + 1); out(o + 2) = eight(i)
          if (channels == 4) out(o + 3) = eight(i + 3)
      }
      px += 1
    }
    Some(Row(origin, h, w, channels, ImageFormat.mode(channels, isFloat = false), out))
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
