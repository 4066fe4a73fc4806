package io.sparkdl.image

import scala.util.control.NonFatal

/**
 * What an image file's header says, read from its bytes before any pixel is decoded: the format,
 * the declared size (so that an image over `spark.sparkdl.image.maxPixels` is refused before its
 * pixels are allocated), what the decoder must know about its samples, and the EXIF orientation
 * tag. Only the formats TF decodes are read here (JPEG, PNG, GIF, BMP); anything else, or a
 * header cut short, is `None`, and goes to `javax.imageio`, which reads its own headers.
 */
private[image] sealed trait ImageHeader {
  def width: Long
  def height: Long
  /** EXIF orientation (1 to 8; 1 when the file has none or an invalid one). */
  def orientation: Int
}

private[image] object ImageHeader {

  /** A JPEG: `components` 1 (gray), 3 (YCbCr, RGB) or 4 (CMYK, YCCK). */
  final case class Jpeg(width: Long, height: Long, components: Int, orientation: Int) extends ImageHeader

  /** A PNG: IHDR's bit depth and color type (0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA). */
  final case class Png(width: Long, height: Long, bitDepth: Int, colorType: Int, orientation: Int)
      extends ImageHeader

  /**
   * A GIF: the logical screen, whether its first frame covers it exactly (`whole`), has a
   * transparent color, and where that frame's data ends (`firstFrameEnd`, -1 when the file ends
   * before it does).
   */
  final case class Gif(width: Long, height: Long, whole: Boolean, transparent: Boolean, firstFrameEnd: Int)
      extends ImageHeader {
    def orientation: Int = 1
  }

  /** A BMP with a BITMAPINFOHEADER (or a later version): bits per pixel and compression. */
  final case class Bmp(width: Long, height: Long, bitsPerPixel: Int, compression: Long) extends ImageHeader {
    def orientation: Int = 1
  }

  /** The header of `bytes`, or `None` for another format or a header cut short. */
  def of(bytes: Array[Byte]): Option[ImageHeader] =
    try {
      if (startsWith(bytes, 0, 0xff, 0xd8, 0xff)) jpeg(bytes)
      else if (startsWith(bytes, 0, 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n')) png(bytes)
      else if (startsWith(bytes, 0, 'G', 'I', 'F', '8') && bytes.length > 13) gif(bytes)
      else if (startsWith(bytes, 0, 'B', 'M') && bytes.length >= 34) bmp(bytes)
      else None
    } catch { case NonFatal(_) => None } // an index past the end: a header cut short

  private def jpeg(b: Array[Byte]): Option[ImageHeader] = {
    var orientation = 1
    var i = 2
    while (i + 4 <= b.length) {
      if (u8(b, i) != 0xff) return None
      val marker = u8(b, i + 1)
      if (marker == 0xff) i += 1 // fill byte
      else if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) i += 2 // no length
      else if (marker == 0xd9 || marker == 0xda) return None // image end or scan before a frame
      else {
        val length = u16be(b, i + 2)
        if (isStartOfFrame(marker)) {
          return Some(Jpeg(u16be(b, i + 7), u16be(b, i + 5), u8(b, i + 9), orientation))
        }
        if (marker == 0xe1 && length >= 14 && startsWith(b, i + 4, 'E', 'x', 'i', 'f', 0, 0)) {
          orientation = tiffOrientation(b, i + 10, i + 2 + length)
        }
        i += 2 + length
      }
    }
    None
  }

  // SOF0-SOF15 but DHT (C4), JPG (C8) and DAC (CC).
  private def isStartOfFrame(m: Int): Boolean =
    m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc

  private def png(b: Array[Byte]): Option[ImageHeader] = {
    if (!startsWith(b, 12, 'I', 'H', 'D', 'R')) return None
    val (width, height, depth, colorType) = (u32be(b, 16), u32be(b, 20), u8(b, 24), u8(b, 25))
    // An eXIf chunk comes before the image data; chunks are skipped by their lengths.
    var orientation = 1
    var i = 8
    while (i + 8 <= b.length && !startsWith(b, i + 4, 'I', 'D', 'A', 'T')) {
      val length = u32be(b, i)
      if (startsWith(b, i + 4, 'e', 'X', 'I', 'f')) {
        orientation = tiffOrientation(b, i + 8, math.min(i + 8 + length, b.length.toLong).toInt)
      }
      i = if (i + 12 + length > Int.MaxValue) Int.MaxValue else (i + 12 + length).toInt
    }
    Some(Png(width, height, depth, colorType, orientation))
  }

  private def gif(b: Array[Byte]): Option[ImageHeader] = {
    val (width, height, flags) = (u16le(b, 6), u16le(b, 8), u8(b, 10))
    var i = 13 + colorTable(flags)
    var transparent = false
    while (i < b.length) {
      u8(b, i) match {
        case 0x21 => // an extension: a graphic control one says whether a color is transparent
          if (u8(b, i + 1) == 0xf9 && u8(b, i + 2) >= 4) transparent = (u8(b, i + 3) & 1) == 1
          i = skipSubBlocks(b, i + 2)
        case 0x2c => // the first frame: its descriptor, its color table, its data
          val whole = u16le(b, i + 1) == 0 && u16le(b, i + 3) == 0 &&
            u16le(b, i + 5) == width && u16le(b, i + 7) == height
          val end = skipSubBlocks(b, i + 10 + colorTable(u8(b, i + 9)) + 1)
          return Some(Gif(width, height, whole, transparent, if (end <= b.length) end else -1))
        case _ => return Some(Gif(width, height, whole = false, transparent, -1)) // no frame
      }
    }
    Some(Gif(width, height, whole = false, transparent, -1))
  }

  private def colorTable(flags: Int): Int = if ((flags & 0x80) != 0) 3 << ((flags & 7) + 1) else 0

  // The index after the sub-blocks starting at `start` (a length byte each, 0 ends them).
  private def skipSubBlocks(b: Array[Byte], start: Int): Int = {
    var i = start
    while (i < b.length && b(i) != 0) i += 1 + u8(b, i)
    i + 1
  }

  private def bmp(b: Array[Byte]): Option[ImageHeader] = {
    if (u32le(b, 14) < 40) return None // OS/2's short header: for javax.imageio
    val height = s32le(b, 22)
    Some(Bmp(s32le(b, 18), math.abs(height), u16le(b, 28), u32le(b, 30)))
  }

  /**
   * The orientation tag (0x0112) of IFD0 of the TIFF structure at `start` (an EXIF block), read
   * within `end`; 1 when there is none or it is not 1 to 8.
   */
  private def tiffOrientation(b: Array[Byte], start: Int, end: Int): Int =
    try {
      val little = startsWith(b, start, 'I', 'I')
      if (!little && !startsWith(b, start, 'M', 'M')) return 1
      def u16(at: Int): Int = {
        if (at + 2 > end) throw new IndexOutOfBoundsException
        if (little) u16le(b, at) else u16be(b, at)
      }
      def u32(at: Int): Long = if (little) u32le(b, at) else u32be(b, at)
      val ifd = u32(start + 4)
      if (ifd < 8 || start + ifd + 2 > end) return 1
      val entries = start + ifd.toInt + 2
      val count = u16(entries - 2)
      (0 until count).iterator.map(k => entries + 12 * k).find(e => u16(e) == 0x0112) match {
        case Some(e) if u16(e + 2) == 3 => // a SHORT, held in the entry's value field
          val v = u16(e + 8)
          if (v >= 1 && v <= 8) v else 1
        case _ => 1
      }
    } catch { case NonFatal(_) => 1 }

  private def startsWith(b: Array[Byte], at: Int, expected: Int*): Boolean =
    at >= 0 && b.length >= at + expected.length &&
      expected.indices.forall(k => u8(b, at + k) == (expected(k) & 0xff))

  private def u8(b: Array[Byte], i: Int): Int = b(i) & 0xff
  private def u16be(b: Array[Byte], i: Int): Int = (u8(b, i) << 8) | u8(b, i + 1)
  private def u16le(b: Array[Byte], i: Int): Int = u8(b, i) | (u8(b, i + 1) << 8)
  private def u32be(b: Array[Byte], i: Int): Long = (u16be(b, i).toLong << 16) | u16be(b, i + 2)
  private def u32le(b: Array[Byte], i: Int): Long = u16le(b, i) | (u16le(b, i + 2).toLong << 16)
  private def s32le(b: Array[Byte], i: Int): Long = u32le(b, i).toInt.toLong
}
