package io.sparkdl.python

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets.{ISO_8859_1, UTF_8}

import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.tf.{DType, Shape, Tensor}
import io.sparkdl.NativeLeakCheck

class PackedTensorsSuite extends AnyFunSuite with NativeLeakCheck {

  private def packOf(tensors: (String, Tensor)*): Array[Byte] =
    PackedTensors.pack(tensors.map { case (n, t) => PackedTensors.Entry.of(n, t) })

  test("tensors of every dtype and of rank 0 to 6 round-trip") {
    Using.Manager { use =>
      val floats = use(Tensor.ofFloats(Array.tabulate(24)(_ * 0.5f), Shape(1, 2, 1, 3, 2, 2)))
      val scalar = use(Tensor.ofLongs(Array(-7L), Shape.scalar))
      val bools = use(Tensor.ofBooleans(Array(true, false), Shape(2)))
      val strings = use(Tensor.ofUtf8(Array("", "é", "spark"), Shape(3, 1)))
      val empty = use(Tensor.ofDoubles(Array.emptyDoubleArray, Shape(0, 4)))
      val packed = packOf("f" -> floats, "s" -> scalar, "b" -> bools, "t" -> strings, "e" -> empty)
      val back = PackedTensors.unpack(packed)
      back.foreach(t => use(t._2))
      assert(back.map(_._1) == Seq("f", "s", "b", "t", "e"))
      val (f, s, b, t, e) = (back(0)._2, back(1)._2, back(2)._2, back(3)._2, back(4)._2)
      assert(f.shape == Shape(1, 2, 1, 3, 2, 2) && f.floats().sameElements(floats.floats()))
      assert(s.shape == Shape.scalar && s.longs().sameElements(Array(-7L)))
      assert(b.dtype == DType.Bool && b.booleans().sameElements(Array(true, false)))
      assert(t.shape == Shape(3, 1) && t.utf8Strings().sameElements(Array("", "é", "spark")))
      assert(e.shape == Shape(0, 4) && e.dtype == DType.Float64)
      val repacked = PackedTensors.pack(back.map { case (n, x) => PackedTensors.Entry.of(n, x) })
      assert(repacked.sameElements(packed))
    }.get
  }

  test("the layout is the documented one: little-endian counts, dims, then contents") {
    Using.resource(Tensor.ofInts(Array(1, 2), Shape(2))) { t =>
      val in = ByteBuffer.wrap(packOf("x" -> t)).order(ByteOrder.LITTLE_ENDIAN)
      assert(in.getInt() == 1)
      assert(in.getInt() == 1 && in.get() == 'x')
      val dtype = new Array[Byte](in.getInt()); in.get(dtype)
      assert(new String(dtype, UTF_8) == "int32")
      assert(in.getInt() == 1 && in.getLong() == 2L)
      assert(in.getInt() == 1 && in.getInt() == 2 && !in.hasRemaining)
    }
  }

  test("names round-trip") {
    val names = IndexedSeq("serve", "", "é/x:0")
    assert(PackedTensors.unpackNames(PackedTensors.packNames(names)) == names)
  }

  test("malformed packs fail naming the tensor") {
    val good = Using.resource(Tensor.ofFloats(Array(1f, 2f), Shape(2)))(t => packOf("x" -> t))
    val truncated = intercept[IllegalArgumentException](PackedTensors.unpack(good.dropRight(1)))
    assert(truncated.getMessage.contains("tensor 'x' (float32[2]) needs 8 bytes; 7 are left"))
    val trailing = intercept[IllegalArgumentException](PackedTensors.unpack(good :+ 0.toByte))
    assert(trailing.getMessage.contains("1 bytes follow the packed tensors"))
    val latin1 = ISO_8859_1 // maps every byte to one char
    val renamed = new String(good, latin1).replace("float32", "float99").getBytes(latin1)
    val dtype = intercept[IllegalArgumentException](PackedTensors.unpack(renamed))
    assert(dtype.getMessage.contains("tensor 'x': unknown dtype 'float99'"))
  }
}
