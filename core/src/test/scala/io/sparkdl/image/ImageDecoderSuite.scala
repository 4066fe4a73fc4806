package io.sparkdl.image

import java.nio.file.Files
import java.util.concurrent.{CountDownLatch, Executors, TimeUnit}


import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck
import io.sparkdl.tf.ImageDecoding

/** The decoder on its own, without Spark: headers, bounds, and concurrent decodes (issue 24). */
class ImageDecoderSuite extends AnyFunSuite with NativeLeakCheck {
  import ImageFixtures._

  private def file(folder: String, name: String): Array[Byte] = Files.readAllBytes(path(folder).resolve(name))
  private def pixels(row: org.apache.spark.sql.Row) =
    (row.getInt(1), row.getInt(2), row.getInt(3), row.getAs[Array[Byte]](5).toSeq)

  test("headers give format, declared size and the JPEG's components, before any pixel") {
    assert(ImageHeader.of(file("read_formats", "photo.jpg")).contains(ImageHeader.Jpeg(9, 7, 3, 1)))
    assert(ImageHeader.of(file("read_refused", "cmyk.jpg")).contains(ImageHeader.Jpeg(24, 16, 4, 1)))
    assert(ImageHeader.of(file("read_formats", "gray16.png")).contains(ImageHeader.Png(9, 7, 16, 0, 1)))
    assert(ImageHeader.of(file("read_formats", "noisy.bmp")).contains(ImageHeader.Bmp(9, 7, 24, 0)))
    ImageHeader.of(file("read_formats", "palette.gif")) match {
      case Some(g: ImageHeader.Gif) => assert(g.width == 9 && g.height == 7 && g.whole && !g.transparent)
      case other => fail(s"palette.gif: $other")
    }
    for (cut <- Seq(0, 1, 3, 10)) assert(ImageHeader.of(file("read_formats", "photo.jpg").take(cut)).isEmpty)
    assert(ImageHeader.of(Array[Byte](1, 2, 3)).isEmpty)
  }

  test("a JPEG declaring more pixels than the bound is refused from its header; zero bytes are no image") {
    val jpeg = file("read_formats", "photo.jpg")
    val sof = jpeg.indices.find(i => (jpeg(i) & 0xff) == 0xff && (jpeg(i + 1) & 0xff) == 0xc0).get
    val bomb = jpeg.clone() // 65000 x 65000: 4.2 G pixels, 12.7 GB decoded
    Seq(5, 7).foreach { at => bomb(sof + at) = 0xfd.toByte; bomb(sof + at + 1) = 0xe8.toByte }
    assert(ImageHeader.of(bomb).exists(h => h.width == 65000 && h.height == 65000))
    assert(ImageDecoder.decode("bomb", bomb, ImageIO.DefaultMaxPixels).isEmpty)
    assert(ImageDecoder.decode("ok", jpeg, 63).isDefined && ImageDecoder.decode("ok", jpeg, 62).isEmpty) // 9 x 7
    assert(ImageDecoder.decode("empty", Array.emptyByteArray, ImageIO.DefaultMaxPixels).isEmpty)
    assert(ImageDecoder.decode("null", null, ImageIO.DefaultMaxPixels).isEmpty)
  }

  test("concurrent decodes in one JVM give each file's own pixels") {
    val files = Seq("read_formats" -> "photo.jpg", "read_formats" -> "rgba.png", "read_formats" -> "palette.gif",
      "read_formats" -> "noisy.bmp", "read_formats" -> "gray16.png", "read_refused" -> "cmyk.jpg",
      "read_refused" -> "truncated.jpg")
      .map { case (d, n) => n -> file(d, n) }
    val expected = files.map { case (n, b) => n -> ImageDecoder.decode(n, b, 1L << 20).map(pixels) }.toMap
    assert(expected("truncated.jpg").isEmpty && expected.count(_._2.isDefined) == files.length - 1)
    val threads = 8
    val pool = Executors.newFixedThreadPool(threads)
    val start = new CountDownLatch(1)
    try {
      val results = (0 until threads).map { t =>
        pool.submit { () =>
          start.await()
          (0 until 40).map { k =>
            val (n, b) = files((t + k) % files.length)
            n -> ImageDecoder.decode(n, b, 1L << 20).map(pixels)
          }
        }
      }
      start.countDown()
      for (r <- results; (n, got) <- r.get(120, TimeUnit.SECONDS)) assert(got == expected(n), n)
    } finally {
      pool.shutdown()
      assert(pool.awaitTermination(60, TimeUnit.SECONDS))
    }
    // One graph and session serve every thread.
    assert(ImageDecoding.shared eq ImageDecoding.shared)
  }

  test("closing the shared decoders while threads decode fails no image: they run on new ones") {
    val (name, jpeg) = "photo.jpg" -> file("read_formats", "photo.jpg")
    val expected = ImageDecoder.decode(name, jpeg, 1L << 20).map(pixels)
    val pool = Executors.newFixedThreadPool(4)
    try {
      val results = (0 until 4).map { _ =>
        pool.submit(() => (0 until 200).map(_ => ImageDecoder.decode(name, jpeg, 1L << 20).map(pixels)))
      }
      (0 until 20).foreach(_ => ImageDecoding.closeShared())
      for (r <- results; got <- r.get(120, TimeUnit.SECONDS)) assert(got == expected)
    } finally {
      pool.shutdown()
      assert(pool.awaitTermination(60, TimeUnit.SECONDS))
    }
  }
}
