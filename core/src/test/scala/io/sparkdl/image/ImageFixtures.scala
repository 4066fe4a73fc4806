package io.sparkdl.image

import java.io.ByteArrayOutputStream
import java.nio.ByteBuffer
import java.nio.file.{Files, Path}
import java.util.zip.{CRC32, Deflater, DeflaterOutputStream}

import io.sparkdl.tf.Fixtures

/** The images and Pillow-computed expectations that dev/make_image_fixtures.py writes. */
object ImageFixtures {

  lazy val dir: Path = {
    val d = Fixtures.dir.resolve("images")
    require(
      Files.isRegularFile(d.resolve(".complete")),
      s"image fixtures are missing in $d: run dev/test, or " +
        s"`.venv/bin/python dev/make_image_fixtures.py ${Fixtures.dir}`"
    )
    d
  }

  def path(name: String): Path = dir.resolve(name)

  /** An `h x w x c` .npy array: uint8 as a [[ByteImage]], float32 as a [[FloatImage]]. */
  def image(name: String): ImageArray = {
    val npy = Fixtures.npy(s"images/$name.npy")
    val dims = npy.shape.dims.map(_.toInt)
    require(dims.length == 3, s"$name.npy has shape ${npy.shape}; expected h x w x c")
    npy.descr match {
      case "|u1" => ByteImage(dims(0), dims(1), dims(2), npy.data)
      case "<f4" => FloatImage(dims(0), dims(1), dims(2), npy.floats)
      case other => throw new IllegalArgumentException(s"$name.npy has dtype $other")
    }
  }

  def bytes(name: String): ByteImage = image(name).asInstanceOf[ByteImage]
  def floats(name: String): FloatImage = image(name).asInstanceOf[FloatImage]

  /** The largest difference between two uint8 images' samples (sizes must agree). */
  def maxDiff(a: ByteImage, b: ByteImage): Int = {
    require(
      (a.height, a.width, a.channels) == (b.height, b.width, b.channels),
      s"sizes differ: ${a.height}x${a.width}x${a.channels} vs ${b.height}x${b.width}x${b.channels}"
    )
    a.data.indices.map(i => math.abs((a.data(i) & 0xff) - (b.data(i) & 0xff))).foldLeft(0)(math.max)
  }

  /** A PNG whose IHDR declares `w` x `h` (8-bit, `colorType` 0 gray or 2 RGB); with `rows`,
   * that many zero rows of pixel data (all of them make it a valid image, compressed to a few
   * hundred KB), else one row, so that the data ends early. */
  def pngBomb(w: Int, h: Int, colorType: Int, rows: Int = 1): Array[Byte] = {
    val out = new ByteArrayOutputStream()
    def chunk(kind: String, data: Array[Byte]): Unit = {
      val typed = kind.getBytes("US-ASCII") ++ data
      val crc = new CRC32()
      crc.update(typed)
      out.write(ByteBuffer.allocate(4).putInt(data.length).array())
      out.write(typed)
      out.write(ByteBuffer.allocate(4).putInt(crc.getValue.toInt).array())
    }
    out.write(Array(0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n').map(_.toByte))
    chunk("IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put(8.toByte)
      .put(colorType.toByte).put(0.toByte).put(0.toByte).put(0.toByte).array())
    val pixels = new ByteArrayOutputStream()
    val deflate = new DeflaterOutputStream(pixels, new Deflater(Deflater.BEST_COMPRESSION))
    val row = new Array[Byte](1 + w * (if (colorType == 2) 3 else 1)) // filter byte 0, then zeros
    (0 until rows).foreach(_ => deflate.write(row))
    deflate.close()
    chunk("IDAT", pixels.toByteArray)
    chunk("IEND", Array.emptyByteArray)
    out.toByteArray
  }

  /** Deletes `dir` and what it holds, links themselves (never what they point to). */
  def deleteTree(dir: Path): Unit = {
    val all = Files.walk(dir) // does not follow links
    try all.sorted(java.util.Comparator.reverseOrder[Path]()).forEach(p => Files.delete(p))
    finally all.close()
  }
}
