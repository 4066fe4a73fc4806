package io.sparkdl.image

import java.nio.file.{Files, Path => JPath}

import scala.concurrent.{Await, Future}
import scala.concurrent.ExecutionContext.Implicits.global
import scala.concurrent.duration._

import org.apache.spark.sql.{Column, DataFrame, Row}
import org.apache.spark.sql.catalyst.expressions.ScalaUDF
import org.apache.spark.sql.functions.col
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

  test("a folder with no files to read (empty, or hidden files only): no rows, the same columns") {
    val dir = Files.createTempDirectory("sparkdl-empty")
    Files.write(dir.resolve(".hidden.png"), Files.readAllBytes(path("read_mixed").resolve("a.png")))
    for (df <- Seq(ImageIO.readImages(spark, dir.toString), ImageIO.readImages(spark, dir.toString, numPartitions = 2, dropInvalid = true))) {
      assert(df.schema == ImageIO.schema)
      assert(df.count() == 0 && df.collect().isEmpty)
    }
  }

  test("dropInvalid leaves out the files that are not images; numPartitions spreads the rest") {
    val df = ImageIO.readImages(spark, mixed, dropInvalid = true)
    assert(df.collect().map(r => name(r.getString(0))).sorted.toSeq == Seq("a.png", "b.png"))
    assert(df.collect().forall(!_.isNullAt(1)))
    val three = ImageIO.readImages(spark, mixed, numPartitions = 3)
    assert(three.rdd.getNumPartitions == 3 && three.count() == 3)
    assert(PythonImages.readImages(spark, mixed, -1, true, true, false).count() == 2)
  }

  test("readImages decodes each file once, through the decode function's own path") {
    // dropInvalid's filter must not be pushed below the projection with a second decode in it.
    for (drop <- Seq(true, false)) {
      val plan = ImageIO.readImages(spark, mixed, dropInvalid = drop).queryExecution.optimizedPlan
      val decodes = plan.collect { case node => node.expressions.map(_.toString).count(_.contains("decode_image")) }
      assert(decodes.sum == 1, s"dropInvalid=$drop: $plan")
    }
  }

  test("a model's resize joins readImages' decode (one call to the model's size), with the same pixels") {
    def prepared(c: Column) = ModelImages.prepare(c, 5, 7, "area", "RGB", "test")
    def decodeSizes(df: DataFrame) = df.queryExecution.optimizedPlan.flatMap(_.expressions.flatMap(_.collect {
      case u: ScalaUDF if u.function.isInstanceOf[DecodeFunction] => u.function.asInstanceOf[DecodeFunction].size
    }))
    for (dir <- Seq(formats, mixed)) {
      val read = ImageIO.readImages(spark, dir)
      val fused = read.select(col("origin"), prepared(col("image")).as("p"))
      assert(decodeSizes(fused) == Seq(Some((5, 7, ResizeMethod.Area))), fused.queryExecution.optimizedPlan)
      // One call: the decode puts the channels in the model's order too.
      val functions = fused.queryExecution.optimizedPlan.flatMap(_.expressions.flatMap(_.collect { case u: ScalaUDF => u.function }))
      assert(functions.collect { case d: DecodeFunction => d.order } == Seq(Some(ChannelOrder.RGB)))
      assert(!functions.exists(_.isInstanceOf[PrepareFunction]), fused.queryExecution.optimizedPlan)
      // Where the full-size images are selected too, they are decoded once and resized apart.
      val apart = read.select(col("origin"), col("image"), prepared(col("image")).as("p"))
      assert(decodeSizes(apart) == Seq(None), apart.queryExecution.optimizedPlan)
      val expected = apart.collect().map(r => r.getString(0) -> r.get(2)).toMap
      val got = fused.collect().map(r => r.getString(0) -> r.get(1)).toMap
      assert(got.keySet == expected.keySet && got.values.count(_ != null) >= 2)
      got.foreach { case (origin, image) => assert(image == expected(origin), origin) }
      // `resize` of the decoded images is the decode's as well.
      val resized = read.select(col("origin"), ImageResize.resize(col("image"), 5, 7).as("r"))
      assert(decodeSizes(resized) == Seq(Some((5, 7, ResizeMethod.Area))), resized.queryExecution.optimizedPlan)
      val resizedApart = read.select(col("origin"), col("image"), ImageResize.resize(col("image"), 5, 7).as("r"))
      assert(decodeSizes(resizedApart) == Seq(None))
      val byOrigin = resizedApart.collect().map(r => r.getString(0) -> r.get(2)).toMap
      resized.collect().foreach(r => assert(r.get(1) == byOrigin(r.getString(0)), r.getString(0)))
      // The decode function over binaryFile's bytes as well.
      val files = spark.read.format("binaryFile").load(dir)
      val decoded = files.select(col("path"), prepared(ImageIO.decode(col("content"), col("path"))).as("p"))
      assert(decodeSizes(decoded) == Seq(Some((5, 7, ResizeMethod.Area))), decoded.queryExecution.optimizedPlan)
      decoded.collect().foreach(r => assert(r.get(1) == expected(r.getString(0)), r.getString(0)))
    }
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
      // Every format pixel-exact, JPEG included (libjpeg-turbo's accurate DCT on both sides).
      val diff = maxDiff(got, expected)
      assert(diff == 0, s"$file differs from Pillow by $diff")
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

  // ---- hostile files (issue 21) ----------------------------------------------------------

  private def refused = path("read_refused").toString

  private def withConf[T](key: String, value: String)(body: => T): T = {
    spark.conf.set(key, value)
    try body
    finally spark.conf.unset(key)
  }

  private val folders = scala.collection.mutable.Buffer[JPath]()

  override def afterAll(): Unit =
    try folders.foreach(deleteTree)
    finally super.afterAll()

  private def folder(files: (String, Array[Byte])*): JPath = {
    val dir = Files.createTempDirectory("read-images")
    folders += dir
    files.foreach { case (n, b) => Files.write(dir.resolve(n), b) }
    dir
  }

  private def png(file: String): Array[Byte] = Files.readAllBytes(path(s"read_mixed/$file"))
  private def rgba: Array[Byte] = Files.readAllBytes(path("read_formats/rgba.png"))

  private def channelsByName(df: org.apache.spark.sql.DataFrame): Seq[(String, Int)] =
    df.collect().toSeq
      .map(r => name(r.getString(0)) -> (if (r.isNullAt(1)) 0 else r.getStruct(1).getInt(3)))
      .sorted

  test("images over spark.sparkdl.image.maxPixels are invalid, judged by their declared size") {
    withConf(ImageIO.MaxPixelsConf, "23") { // read_mixed's PNGs are 4 x 6 = 24 pixels
      val rows = ImageIO.readImages(spark, mixed).collect()
      assert(rows.length == 3 && rows.forall(_.isNullAt(1)))
      assert(ImageIO.readImages(spark, mixed, dropInvalid = true).count() == 0)
    }
    withConf(ImageIO.MaxPixelsConf, "24") {
      assert(ImageIO.readImages(spark, mixed, dropInvalid = true).count() == 2)
    }
    // The default is Pillow's MAX_IMAGE_PIXELS, 89,478,485: a valid 10000 x 9000 gray PNG
    // (90,000,000 pixels, 90 KB) is refused before its pixels are decoded.
    assert(ImageIO.DefaultMaxPixels == 89478485L)
    val dir = folder("bomb.png" -> pngBomb(10000, 9000, colorType = 0, rows = 9000),
      "a.png" -> png("a.png"))
    assert(channelsByName(ImageIO.readImages(spark, dir.toString)) == Seq("a.png" -> 3, "bomb.png" -> 0))
    for (bad <- Seq("0", "-5", "lots")) {
      val e = intercept[IllegalArgumentException] {
        withConf(ImageIO.MaxPixelsConf, bad)(ImageIO.readImages(spark, mixed))
      }
      assert(e.getMessage.contains(s"spark.sparkdl.image.maxPixels is '$bad'; expected a positive"))
    }
  }

  test("an image too large for the heap is invalid: the OutOfMemoryError stays in its decode") {
    // 12000 x 12000 RGB, a 432 MB raster, decoded with no pixel bound in a JVM of 700 MB heap:
    // javax.imageio decodes it, its copy into the image struct does not fit (issue 21's error).
    val file = Files.createTempFile("huge", ".png")
    Files.write(file, pngBomb(12000, 12000, colorType = 2, rows = 12000))
    val java = JPath.of(System.getProperty("java.home"), "bin", "java").toString
    val child = new ProcessBuilder(java, "-Xmx700m", "-cp", System.getProperty("java.class.path"),
      "io.sparkdl.image.DecodeUnbounded", file.toString).redirectErrorStream(true).start()
    val output = new String(child.getInputStream.readAllBytes(), "UTF-8")
    Files.delete(file)
    assert(child.waitFor() == 0 && output.contains("decoded: None"), output)
  }

  test("names with glob characters are read as the files they name, with or without recursion") {
    val rgb = png("a.png")
    val dir = folder("br[1].png" -> rgb, "br1.png" -> rgba, "q?.png" -> rgb, "qa.png" -> rgba,
      "qb.png" -> rgb, "curly{a,b}.png" -> rgb, "star*.png" -> rgba, "back\\slash.png" -> rgb)
    val expected = Seq("back\\slash.png" -> 3, "br1.png" -> 4, "br[1].png" -> 3,
      "curly{a,b}.png" -> 3, "q?.png" -> 3, "qa.png" -> 4, "qb.png" -> 3, "star*.png" -> 4)
    for (recursive <- Seq(false, true)) {
      assert(channelsByName(ImageIO.readImages(spark, dir.toString, recursive = recursive)) == expected)
    }
    for (lone <- Seq("br[1].png", "curly{a,b}.png")) {
      val one = folder(lone -> rgb)
      assert(channelsByName(ImageIO.readImages(spark, one.toString, recursive = false)) == Seq(lone -> 3))
    }
  }

  test("links are followed once: a link loop neither repeats files nor hangs") {
    val outside = folder("outside.png" -> rgba)
    val dir = folder("one.png" -> png("a.png"))
    Files.createSymbolicLink(dir.resolve("self"), dir.resolve("."))
    Files.createDirectory(dir.resolve("x"))
    Files.createSymbolicLink(dir.resolve("x").resolve("up"), JPath.of(".."))
    Files.createSymbolicLink(dir.resolve("again.png"), dir.resolve("one.png"))
    Files.createSymbolicLink(dir.resolve("linked.png"), outside.resolve("outside.png"))
    Files.createSymbolicLink(dir.resolve("dangling.png"), dir.resolve("nothing.png"))
    // Bounded, so that a listing that loops fails here rather than hanging the build.
    def read(recursive: Boolean) =
      Await.result(
        Future(channelsByName(ImageIO.readImages(spark, dir.toString, recursive = recursive))),
        120.seconds
      )
    // Each folder is listed once; a file's link is a file of its own (dangling ones are not).
    val expected = Seq("again.png" -> 3, "linked.png" -> 4, "one.png" -> 3)
    assert(read(recursive = true) == expected)
    assert(read(recursive = false) == expected)
  }

  test("truncated JPEGs are invalid; CMYK JPEGs as Pillow's convert(RGB); 1- and 2-bit gray PNGs as Pillow's") {
    val rows = ImageIO.readImages(spark, refused).collect().map(r => name(r.getString(0)) -> r).toMap
    assert(rows.keySet == Set("cmyk.jpg", "truncated.jpg", "no_eoi.jpg", "bilevel.png", "gray2.png"))
    for (file <- Seq("truncated.jpg", "no_eoi.jpg")) {
      assert(rows(file).isNullAt(1), s"$file decoded")
    }
    val cmyk = rows("cmyk.jpg").getStruct(1)
    assert(cmyk.getInt(3) == 3, "cmyk.jpg channels")
    val rgb = ImageArray.fromStruct(cmyk, ChannelOrder.RGB, "cmyk.jpg").asInstanceOf[ByteImage]
    assert(maxDiff(rgb, bytes("decoded_cmyk_jpg")) == 0, "cmyk.jpg differs from Pillow")
    for (file <- Seq("bilevel.png", "gray2.png")) {
      val struct = rows(file).getStruct(1)
      assert(struct.getInt(3) == 1 && struct.getInt(4) == ImageFormat.CV_8UC1, s"$file channels")
      val got = ImageArray.fromStruct(struct, ChannelOrder.L, file).asInstanceOf[ByteImage]
      assert(maxDiff(got, bytes(s"decoded_${file.replace('.', '_')}")) == 0, file)
    }
  }
}

/** Decodes one file with no pixel bound, for the test above: prints what it decoded. */
object DecodeUnbounded {
  def main(args: Array[String]): Unit = {
    val bytes = Files.readAllBytes(JPath.of(args(0)))
    println(s"decoded: ${ImageDecoder.decode(args(0), bytes, Long.MaxValue).map(_ => "an image")}")
  }
}
