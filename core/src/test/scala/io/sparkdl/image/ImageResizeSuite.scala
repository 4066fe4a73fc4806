package io.sparkdl.image

import org.apache.spark.sql.Row
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.types.{StructField, StructType}

import io.sparkdl.python.PythonImages
import io.sparkdl.tensorframes.SparkSessionSuite

class ImageResizeSuite extends SparkSessionSuite {
  import ImageFixtures._

  private val targets = Seq((4, 5), (13, 17), (10, 5), (6, 11))
  private val byteModes = Seq("L", "RGB", "RGBA")

  for (mode <- byteModes; method <- ImageResize.methods) {
    test(s"$method resize of a 10x11 $mode uint8 image equals Pillow's, within one level") {
      val in = bytes(s"resize_in_$mode")
      assert((in.height, in.width) == (10, 11))
      for ((h, w) <- targets) {
        val expected = bytes(s"resize_${mode}_${method}_${h}x$w")
        val out = ImageResize.resize(in, h, w, method).asInstanceOf[ByteImage]
        assert((out.height, out.width, out.channels) == (h, w, in.channels))
        val diff = maxDiff(out, expected)
        // Pixel-exact with Pillow 13; one level of slack for other Pillow versions.
        assert(diff <= 1, s"$mode $method 10x11 -> ${h}x$w differs from Pillow by $diff levels")
      }
    }
  }

  for (method <- ImageResize.methods) {
    test(s"$method resize of a float32 image equals Pillow's (mode F) up to float rounding") {
      val in = floats("resize_in_F")
      for ((h, w) <- targets) {
        val expected = floats(s"resize_F_${method}_${h}x$w")
        val out = ImageResize.resize(in, h, w, method).asInstanceOf[FloatImage]
        assert((out.height, out.width, out.channels) == (h, w, 1))
        out.data.zip(expected.data).foreach { case (a, b) =>
          assert(math.abs(a - b) <= 1e-5f * math.max(1f, math.abs(b)), s"$method ${h}x$w: $a vs $b")
        }
      }
    }
  }

  test("a resize to the image's own size returns the input itself") {
    for (mode <- byteModes :+ "F"; method <- ImageResize.methods) {
      val in = image(s"resize_in_$mode")
      assert(ImageResize.resize(in, 10, 11, method) eq in)
    }
    val b = bytes("resize_in_RGB")
    assert(ImageResize.resizeBytes(b.data, 10, 11, 3, 10, 11, ResizeMethod.Bicubic) eq b.data)
    val struct = b.toStruct(ChannelOrder.RGB, origin = "o")
    assert(ImageResize.resizeStruct(struct, 10, 11, ResizeMethod.Area) eq struct)
  }

  test("struct resize keeps the mode family, the origin and the channel order") {
    for (mode <- byteModes :+ "F") {
      val in = image(s"resize_in_$mode")
      val order = if (in.channels == 1) ChannelOrder.L else ChannelOrder.RGB
      val struct = in.toStruct(order, origin = s"mem:$mode")
      val out = ImageResize.resizeStruct(struct, 4, 5, ResizeMethod.Bilinear)
      assert(out.getString(0) == s"mem:$mode")
      val fields = (out.getInt(1), out.getInt(2), out.getInt(3), out.getInt(4))
      assert(fields == (4, 5, in.channels, in.mode))
      val back = ImageArray.fromStruct(out, order)
      (back, image(s"resize_${mode}_bilinear_4x5")) match {
        case (a: ByteImage, e: ByteImage) => assert(maxDiff(a, e) <= 1, mode)
        case (a: FloatImage, e: FloatImage) =>
          a.data.zip(e.data).foreach { case (x, y) =>
            assert(math.abs(x - y) <= 1e-5f * math.max(1f, math.abs(y)))
          }
        case other => fail(s"$mode: ${other.getClass}")
      }
    }
  }

  test("the Column function resizes on the executors: null stays null, same size passes through") {
    val rows = Seq("L", "RGB", "RGBA", "F").map { mode =>
      val in = image(s"resize_in_$mode")
      val order = if (in.channels == 1) ChannelOrder.L else ChannelOrder.RGB
      Row(mode, in.toStruct(order, origin = mode))
    } :+ Row("null", null)
    val schema = StructType(Seq(StructField("name", org.apache.spark.sql.types.StringType),
      StructField("image", ImageFormat.columnSchema, nullable = true)))
    val df = spark.createDataFrame(spark.sparkContext.parallelize(rows, 2), schema)
    val resized = df.select(
      col("name"),
      ImageResize.resize(col("image"), 4, 5, "bicubic").as("small"),
      ImageResize.resize(col("image"), 10, 11).as("same"),
      PythonImages.resize(col("image"), 13, 17, "nearest").as("big")
    )
    assert(resized.schema("small").dataType == ImageFormat.columnSchema)
    assert(ImageFormat.isImageStruct(resized.schema("same").dataType))
    val got = resized.collect().map(r => r.getString(0) -> r).toMap
    assert(got("null").isNullAt(1) && got("null").isNullAt(2))
    for (mode <- Seq("L", "RGB", "RGBA")) {
      val small = got(mode).getStruct(1)
      val order = if (mode == "L") ChannelOrder.L else ChannelOrder.RGB
      val out = ImageArray.fromStruct(small, order).asInstanceOf[ByteImage]
      assert(maxDiff(out, bytes(s"resize_${mode}_bicubic_4x5")) <= 1, mode)
      assert(small.getString(0) == mode)
      val big = ImageArray.fromStruct(got(mode).getStruct(3), order).asInstanceOf[ByteImage]
      assert(maxDiff(big, bytes(s"resize_${mode}_nearest_13x17")) == 0, mode)
      val same = got(mode).getStruct(2)
      val original = rows.find(_.getString(0) == mode).get.getStruct(1)
      assert(same.getAs[Array[Byte]](5).sameElements(original.getAs[Array[Byte]](5)))
    }
    assert(got("F").getStruct(1).getInt(4) == ImageFormat.CV_32FC1)
  }

  test("the Column function refuses what is no image struct, saying what it found") {
    import spark.implicits._
    val df = Seq((1L, "a")).toDF("n", "s")
      .withColumn("wide", org.apache.spark.sql.functions.struct($"s", $"n", $"n", $"n", $"n", $"s"))
    for ((column, found) <- Seq("n" -> "found a Long", "s" -> "found a String",
        "wide" -> "found a struct<s:string,n:bigint,n:bigint,n:bigint,n:bigint,s:string>")) {
      val e = intercept[org.apache.spark.SparkException] {
        df.select(ImageResize.resize(col(column), 2, 2)).collect()
      }
      val cause = Iterator.iterate[Throwable](e)(_.getCause).takeWhile(_ != null)
        .collectFirst { case i: IllegalArgumentException => i.getMessage }
      assert(cause.exists(m => m.startsWith("resize_area_2x2: expected an image struct (struct<origin:string,") &&
        m.endsWith(found)), s"$column: $cause")
    }
  }

  test("bad methods, sizes and images are refused with what was expected") {
    val e = intercept[IllegalArgumentException](ImageResize.resize(col("image"), 4, 5, "lanczos"))
    assert(
      e.getMessage ==
        "resize method 'lanczos' is not supported; expected one of area, bilinear, bicubic, nearest"
    )
    assert(ImageResize.methods == Seq("area", "bilinear", "bicubic", "nearest"))
    val zero = intercept[IllegalArgumentException](ImageResize.resize(col("image"), 0, 5, "area"))
    assert(zero.getMessage.contains("0x5"))
    val in = bytes("resize_in_RGB")
    val empty = intercept[IllegalArgumentException] {
      ImageResize.resize(ByteImage(0, 3, 3, Array.empty), 4, 5, "area")
    }
    assert(empty.getMessage.contains("cannot resize an empty 0x3 image to 4x5"))
    val wrong = intercept[IllegalArgumentException] {
      ImageResize.resizeBytes(in.data, 10, 10, 3, 4, 5, ResizeMethod.Area)
    }
    assert(wrong.getMessage.contains("a 10x10x3 image has 300 samples, not 330"))
    val struct = Row("file:/bad.png", 10, 11, 3, ImageFormat.CV_8UC3, new Array[Byte](3))
    val bad = intercept[IllegalArgumentException] {
      ImageResize.resizeStruct(struct, 4, 5, ResizeMethod.Area)
    }
    assert(bad.getMessage.contains("image (origin file:/bad.png): data has 3 bytes"))
  }

  test("a size whose pixels no array can hold is refused, naming the sizes, not overflowed") {
    // 100,000 x 100,000 x 3 bytes overflowed an Int into a negative array size.
    val small = Row("file:/a.png", 4, 4, 3, ImageFormat.CV_8UC3, new Array[Byte](48))
    val huge = intercept[IllegalArgumentException] {
      ImageResize.resizeStruct(small, 100000, 100000, ResizeMethod.Area)
    }
    assert(huge.getMessage.contains("image (origin file:/a.png): cannot resize 4x4 to 100000x100000: " +
      "30000000000 bytes of pixels, more than one image can hold"))
    // float32 pixels take 4 bytes: a size bytes allow is refused for floats.
    val floats = intercept[IllegalArgumentException] {
      ImageResize.resize(FloatImage(2, 2, 1, new Array[Float](4)), 2, 600000000, "nearest")
    }
    assert(floats.getMessage.contains("4800000000 bytes"))
  }
}
