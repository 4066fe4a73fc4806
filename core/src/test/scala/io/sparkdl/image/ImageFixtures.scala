package io.sparkdl.image

import java.nio.file.{Files, Path}

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
}
