package io.sparkdl.image

import org.apache.spark.sql.Row
import org.apache.spark.sql.types.StringType

import io.sparkdl.python.PythonImages
import io.sparkdl.tensorframes.SparkSessionSuite

class ImageIOSuite extends SparkSessionSuite {
  import ImageFixtures._

  private def mixed = path("read_mixed").toString
  private def formats = path("read_formats").toString
  private def name(origin: String) = origin.substring(origin.lastIndexOf('/') + 1)

  test("a folder of 2 PNGs and a corrupt file: 3 rows, the corrupt one with a null image") {
    val df = ImageIO.readImages(spark, mixed)
    assert(df.schema == ImageIO.schema)
    assert(!df.schema("origin").nullable && df.schema("origin").dataType == StringType)
    assert(df.schema("image").nullable && df.schema("image").dataType == ImageFormat.columnSchema)
    val rows = df.collect().map(r => name(r.getString(0)) -> r).toMap
    assert(rows.keySet == Set("a.png", "b.png", "corrupt.png"))
    assert(rows("corrupt.png").isNullAt(1))
    for (n <- Seq("a.png", "b.png")) {
      val origin = rows(n).getString(0)
      assert(origin.startsWith("file:") && origin.endsWith(s"/read_mixed/$n"), origin)
      val image = rows(n).getStruct(1)
      assert(image.getString(0) == origin)
      val fields = (image.getInt(1), image.getInt(2), image.getInt(3), image.getInt(4))
      assert(fields == (4, 6, 3, ImageFormat.CV_8UC3))
    }
  }

  test("dropInvalid leaves out the files that are not images; numPartitions spreads the rest") {
    val df = ImageIO.readImages(spark, mixed, dropInvalid = true)
    assert(df.collect().map(r => name(r.getString(0))).sorted.toSeq == Seq("a.png", "b.png"))
    assert(df.collect().forall(!_.isNullAt(1)))
    val three = ImageIO.readImages(spark, mixed, numPartitions = 3)
    assert(three.rdd.getNumPartitions == 3 && three.count() == 3)
    assert(PythonImages.readImages(spark, mixed, -1, true, true).count() == 2)
  }

  test("JPEG, BMP, GIF, gray, gray + alpha, 16-bit gray and RGBA decode to what Pillow decodes") {
    val rows =
      ImageIO.readImages(spark, formats).collect().map(r => name(r.getString(0)) -> r).toMap
    assert(rows.keySet == Set("photo.jpg", "noisy.bmp", "palette.gif", "gray.png", "gray_alpha.png",
      "gray16.png", "rgba.png", "nested.png"))
    for ((file, row) <- rows) {
      assert(!row.isNullAt(1), s"$file did not decode")
      val expected = bytes(s"decoded_${file.replace('.', '_')}")
      val struct = row.getStruct(1)
      assert(struct.getInt(3) == expected.channels, s"$file channels")
      val order = if (expected.channels == 1) ChannelOrder.L else ChannelOrder.RGB
      val got = ImageArray.fromStruct(struct, order, file).asInstanceOf[ByteImage]
      // Lossless formats are pixel-exact; JPEG decoders (IJG's in javax.imageio, libjpeg-turbo's
      // in Pillow) may round the color conversion differently.
      val tolerance = if (file.endsWith(".jpg")) 3 else 0
      val diff = maxDiff(got, expected)
      assert(diff <= tolerance, s"$file differs from Pillow by $diff")
    }
  }

  test("recursive = false reads only the top folder") {
    val top =
      ImageIO.readImages(spark, formats, recursive = false).collect().map(r => name(r.getString(0)))
    assert(top.length == 7 && !top.contains("nested.png"))
    val all = ImageIO.readImages(spark, formats).collect().map(r => name(r.getString(0)))
    assert(all.length == 8 && all.contains("nested.png"))
    // A file or a glob reads what it names.
    assert(ImageIO.readImages(spark, s"$formats/gray.png", recursive = false).count() == 1)
    assert(ImageIO.readImages(spark, s"$formats/*.png", recursive = false).count() == 4)
  }

  test("bad arguments are refused naming the argument") {
    val e = intercept[IllegalArgumentException](ImageIO.readImages(spark, mixed, numPartitions = 0))
    assert(e.getMessage.contains("numPartitions is 0"))
    val missing = intercept[IllegalArgumentException] {
      ImageIO.readImages(spark, s"$mixed/nothing-here", recursive = false)
    }
    assert(missing.getMessage.contains("nothing-here' does not exist"))
    // Undecodable images never fail a job: every row of the mixed folder is there.
    val invalid = ImageIO.readImages(spark, mixed).filter("image is null").collect()
    assert(invalid.toSeq.map(_.getAs[Row](1)) == Seq(null))
  }
}
