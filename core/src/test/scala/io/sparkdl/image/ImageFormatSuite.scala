package io.sparkdl.image

import org.scalatest.funsuite.AnyFunSuite

import org.apache.spark.ml.image.ImageSchema
import org.apache.spark.sql.Row
import org.apache.spark.sql.types.{IntegerType, StructType}

class ImageFormatSuite extends AnyFunSuite {
  import ImageFixtures._

  private val modes = Seq("L" -> 1, "RGB" -> 3, "RGBA" -> 4)
  private def orderOf(channels: Int) = if (channels == 1) ChannelOrder.L else ChannelOrder.RGB

  test("the struct is Spark's, and OpenCV's modes") {
    assert(ImageFormat.columnSchema eq ImageSchema.columnSchema)
    assert(ImageFormat.imageSchema eq ImageSchema.imageSchema)
    assert(ImageFormat.fieldNames == Seq("origin", "height", "width", "nChannels", "mode", "data"))
    assert(
      Seq(1, 3, 4).map(ImageFormat.mode(_, isFloat = false)) == Seq(0, 16, 24) &&
        Seq(1, 3, 4).map(ImageFormat.mode(_, isFloat = true)) == Seq(5, 21, 29)
    )
    assert(Seq(0, 16, 24, 5, 21, 29).map(ImageFormat.channelsOf) == Seq(1, 3, 4, 1, 3, 4))
    assert(Seq(5, 21, 29).forall(ImageFormat.isFloatMode) && !ImageFormat.isFloatMode(16))
    assert(ImageSchema.ocvTypes("CV_8UC3") == ImageFormat.CV_8UC3)
    val e = intercept[IllegalArgumentException](ImageFormat.mode(2, isFloat = false))
    assert(e.getMessage.contains("1, 3 or 4 channels, not 2"))
  }

  test("isImageStruct: Spark's struct, not near misses") {
    assert(ImageFormat.isImageStruct(ImageSchema.columnSchema))
    val nullable = StructType(ImageSchema.columnSchema.fields.map(_.copy(nullable = true)))
    assert(ImageFormat.isImageStruct(nullable))
    assert(!ImageFormat.isImageStruct(ImageSchema.imageSchema))
    assert(!ImageFormat.isImageStruct(IntegerType))
    val renamed = StructType(ImageSchema.columnSchema.fields.map(f =>
      if (f.name == "mode") f.copy(name = "kind") else f))
    assert(!ImageFormat.isImageStruct(renamed))
    assert(!ImageFormat.isImageStruct(StructType(ImageSchema.columnSchema.fields.reverse)))
  }

  for ((mode, channels) <- modes) {
    test(s"pixel layout, $mode uint8: (i, j, c) = i*100 + j*10 + c lands as OpenCV stores it") {
      val img = bytes(s"layout_${mode}_u8")
      assert((img.height, img.width, img.channels) == (2, 3, channels))
      val struct = img.toStruct(orderOf(channels), origin = "mem:x")
      // What Pillow decodes from a PNG of the same pixels, channels reversed to BGR(A).
      val expected = bytes(s"layout_${mode}_u8_struct")
      assert(struct.getAs[Array[Byte]](5).sameElements(expected.data))
      assert(struct.getString(0) == "mem:x")
      assert((struct.getInt(1), struct.getInt(2), struct.getInt(3)) == (2, 3, channels))
      assert(struct.getInt(4) == ImageFormat.mode(channels, isFloat = false))
      // Sample (i=1, j=2, c=0) is red for RGB(A): in the struct it is channel 2 of pixel (1, 2).
      val data = struct.getAs[Array[Byte]](5)
      val c = if (channels == 1) 0 else 2
      assert((data((1 * 3 + 2) * channels + c) & 0xff) == 120)
      val back = ImageArray.fromStruct(struct, orderOf(channels)).asInstanceOf[ByteImage]
      assert(back.data.sameElements(img.data) && back.channels == channels)
      val bgr = ImageArray.fromStruct(struct, ChannelOrder.BGR).asInstanceOf[ByteImage]
      assert(bgr.data.sameElements(expected.data))
    }

    test(s"pixel layout, $mode float32: little-endian floats in BGR(A) order, round trip") {
      val img = floats(s"layout_${mode}_f32")
      val struct = img.toStruct(orderOf(channels))
      assert(struct.getInt(4) == ImageFormat.mode(channels, isFloat = true))
      val stored = ImageArray.bytesToFloats(struct.getAs[Array[Byte]](5))
      for (i <- 0 until 2; j <- 0 until 3; c <- 0 until channels) {
        val source = if (channels == 1) c else Array(2, 1, 0, 3)(c) // BGR(A) <- RGB(A)
        assert(stored((i * 3 + j) * channels + c) == i * 100 + j * 10 + source)
      }
      // Little-endian: sample (0, 0, 0) of the struct holds 2.0f (blue) or 0.0f (gray).
      val firstBytes = struct.getAs[Array[Byte]](5).take(4)
      val first = java.lang.Float.intBitsToFloat(
        firstBytes.zipWithIndex.map { case (b, k) => (b & 0xff) << (8 * k) }.sum
      )
      assert(first == (if (channels == 1) 0f else 2f))
      val back = ImageArray.fromStruct(struct, orderOf(channels)).asInstanceOf[FloatImage]
      assert(back.data.sameElements(img.data))
      val again = back.toStruct(orderOf(channels)).getAs[Array[Byte]](5)
      assert(again.sameElements(struct.getAs[Array[Byte]](5)))
    }
  }

  test("struct -> array -> struct is the identity, for every order a channel count allows") {
    for {
      (mode, channels) <- modes
      order <- ChannelOrder.all if order != ChannelOrder.L || channels == 1
    } {
      for (name <- Seq(s"layout_${mode}_u8", s"layout_${mode}_f32")) {
        val struct = image(name).toStruct(ChannelOrder.BGR, origin = "o")
        val again = ImageArray.fromStruct(struct, order).toStruct(order, origin = "o")
        val data = struct.getAs[Array[Byte]](5)
        assert(again.getAs[Array[Byte]](5).sameElements(data), s"$name $order")
        assert(again.toSeq.take(5) == struct.toSeq.take(5))
      }
    }
  }

  test("inconsistent structs and orders are refused, naming the image and what was expected") {
    val good = bytes("layout_RGB_u8").toStruct(ChannelOrder.RGB, origin = "file:/x.png")
    def withField(i: Int, v: Any) = Row.fromSeq(good.toSeq.updated(i, v))
    val shortData = intercept[IllegalArgumentException] {
      ImageArray.fromStruct(withField(5, new Array[Byte](5)), ChannelOrder.RGB, "column 'image'")
    }
    assert(shortData.getMessage.contains("column 'image' (origin file:/x.png)"))
    assert(shortData.getMessage.contains("data has 5 bytes; a 2x3x3 CV_8UC3 image has 18"))
    val badMode = intercept[IllegalArgumentException] {
      ImageArray.fromStruct(withField(4, 7), ChannelOrder.RGB)
    }
    assert(badMode.getMessage.contains("mode 7 is not supported"))
    val mismatch = intercept[IllegalArgumentException] {
      ImageArray.fromStruct(withField(3, 4), ChannelOrder.RGB)
    }
    assert(mismatch.getMessage.contains("nChannels is 4 but mode CV_8UC3 has 3"))
    val gray = intercept[IllegalArgumentException](ImageArray.fromStruct(good, ChannelOrder.L))
    assert(gray.getMessage.contains("channel order L needs a 1-channel image, not 3 channels"))
    val order = intercept[IllegalArgumentException] {
      ChannelOrder.fromName("RGBX", "param channelOrder")
    }
    assert(
      order.getMessage == "param channelOrder 'RGBX' is not supported; expected one of RGB, BGR, L"
    )
    assert(ChannelOrder.fromName("rgb") == ChannelOrder.RGB)
  }
}
