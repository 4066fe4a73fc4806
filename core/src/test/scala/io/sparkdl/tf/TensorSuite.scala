package io.sparkdl.tf

import java.nio.{BufferUnderflowException, ByteBuffer}
import java.nio.charset.StandardCharsets

import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck

class TensorSuite extends AnyFunSuite with NativeLeakCheck {
  private val numeric = Seq("float32", "float64", "int8", "int16", "int32", "int64", "uint8")

  /** Runs dtypes.pb on `input` (which it closes) and returns the fetched tensor. */
  private def runIdentity(dtypeName: String, input: Tensor, fetch: String): Tensor =
    Using.resources(input, Graph.fromGraphDef(Fixtures.bytes("dtypes.pb"))) { (_, g) =>
      Using.resource(Session(g)) { s =>
        s.run(Seq(g.output(s"x_$dtypeName") -> input), Seq(g.output(fetch))).head
      }
    }

  for (name <- numeric :+ "bool") {
    test(s"$name round-trips through TF unchanged") {
      val x = Fixtures.npy(s"dtypes_x_$name.npy")
      Using.resources(x.toTensor, runIdentity(name, x.toTensor, s"y_$name")) { (in, out) =>
        assert(out.dtype == DType.fromName(name))
        assert(out.shape == Shape(5))
        assert(out.rawBytes().sameElements(x.data))
        assert(in.rawBytes().sameElements(x.data))
      }
    }
  }

  for (name <- numeric) {
    test(s"$name arithmetic equals TF Python's") {
      val expected = Fixtures.npy(s"dtypes_plus_$name.npy")
      Using.resource(runIdentity(name, Fixtures.npy(s"dtypes_x_$name.npy").toTensor, s"plus_$name")) {
        out => assert(out.rawBytes().sameElements(expected.data), s"$name + 1")
      }
    }
  }

  test("typed copies in and out agree with the raw bytes") {
    Using.resource(Tensor.ofFloats(Array(1f, -2f, 3.5f, 0f, 1e-3f, 7f), Shape(2, 3))) { t =>
      assert(t.floats().toSeq == Seq(1f, -2f, 3.5f, 0f, 1e-3f, 7f))
      assert(t.byteSize == 24)
      intercept[IllegalArgumentException](t.doubles())
    }
    Using.resource(Tensor.ofDoubles(Array(1.0, 2.0), Shape(2))) { t => assert(t.doubles().toSeq == Seq(1.0, 2.0)) }
    Using.resource(Tensor.ofInts(Array(Int.MinValue, 7), Shape(2))) { t => assert(t.ints().toSeq == Seq(Int.MinValue, 7)) }
    Using.resource(Tensor.ofLongs(Array(Long.MaxValue), Shape(1, 1))) { t => assert(t.longs().toSeq == Seq(Long.MaxValue)) }
    Using.resource(Tensor.ofShorts(Array[Short](-3), Shape.scalar)) { t => assert(t.shorts().toSeq == Seq(-3)) }
    Using.resource(Tensor.ofBytes(DType.UInt8, Array[Byte](-1, 2), Shape(2))) { t => assert(t.bytes().toSeq == Seq(-1, 2)) }
    Using.resource(Tensor.ofBooleans(Array(true, false), Shape(2))) { t => assert(t.booleans().toSeq == Seq(true, false)) }
    Using.resource(Tensor.allocate(DType.Float32, Shape(0, 4))) { t => assert(t.floats().isEmpty) }
  }

  test("string tensors round-trip bytes, empty strings and UTF-8 through TF") {
    val values = Array("", "a", "héllo wörld", "x" * 100, "\u0000nul").map(_.getBytes(StandardCharsets.UTF_8))
    Using.resources(Tensor.ofStrings(values, Shape(5)), runIdentity("string", Tensor.ofStrings(values, Shape(5)), "y_string")) {
      (in, out) =>
        assert(out.dtype == DType.TString)
        assert(out.strings().map(_.toSeq).toSeq == values.map(_.toSeq).toSeq)
        assert(in.utf8Strings()(2) == "héllo wörld")
        intercept[IllegalArgumentException](out.withBuffer(_ => ()))
        intercept[IllegalArgumentException](out.memory())
    }
  }

  test("bad arguments are rejected before they cross") {
    intercept[IllegalArgumentException](Tensor.ofFloats(Array(1f, 2f), Shape(3)))
    intercept[IllegalArgumentException](Tensor.allocate(DType.Float32, Shape(-1, 2)))
    intercept[IllegalArgumentException](Tensor.allocate(DType.TString, Shape(1)))
    intercept[IllegalArgumentException](Tensor.ofStrings(Array(Array[Byte](1)), Shape(2)))
    intercept[IllegalArgumentException](Tensor.ofStrings(Array[Array[Byte]](null), Shape(1)))
    intercept[IllegalArgumentException](Tensor.fromRawBytes(DType.Int32, Shape(2), new Array[Byte](7)))
  }

  test("use after close fails, and double close is harmless") {
    val t = Tensor.ofFloats(Array(1f), Shape(1))
    t.close()
    t.close()
    assert(intercept[IllegalStateException](t.floats()).getMessage.contains("closed"))
  }

  test("a buffer kept past withBuffer, or past close, throws instead of reading freed memory") {
    val t = Tensor.ofFloats(Array(1f, 2f, 3f, 4f), Shape(4))
    var stale: ByteBuffer = null
    assert(t.withBuffer { b => stale = b; b.getFloat(4) } == 2f)
    t.close()
    intercept[IndexOutOfBoundsException](stale.getFloat(0))
    intercept[BufferUnderflowException](stale.get())
    stale.clear() // resets the limit to the capacity, which is 0 now
    intercept[IndexOutOfBoundsException](stale.get(0))
    assert(stale.asFloatBuffer().capacity == 0)
    intercept[IllegalStateException](t.withBuffer(_ => ()))
    intercept[IllegalStateException](t.withAddress(identity))
    intercept[IllegalStateException](t.memory())
  }

  test("a tensor in use by this thread refuses to close; its held memory throws once let go") {
    val t = Tensor.ofInts(Array(1, 2), Shape(2))
    t.withAddress { _ => assert(intercept[IllegalStateException](t.close()).getMessage.contains("uses it")) }
    t.withBuffer { _ => intercept[IllegalStateException](t.close()) }
    val memory = t.memory()
    assert(memory.address != 0L)
    intercept[IllegalStateException](t.close())
    assert(!t.isClosed && t.ints().toSeq == Seq(1, 2))
    memory.close()
    memory.close()
    intercept[IllegalStateException](memory.address)
    t.close()
    assert(t.isClosed)
  }

  test("close from another thread waits while this thread holds the memory") {
    val t = Tensor.ofInts(Array(7), Shape(1))
    val memory = t.memory()
    val closer = new Thread(() => t.close(), "tensor-suite-closer")
    closer.setDaemon(true)
    closer.start()
    try {
      org.scalatest.concurrent.Eventually.eventually(
        org.scalatest.concurrent.Eventually.timeout(org.scalatest.time.Span(60, org.scalatest.time.Seconds))
      )(assert(t.isWaiting(closer)))
      assert(!t.isClosed && t.ints().toSeq == Seq(7)) // reentrant use while the closer waits
    } finally memory.close()
    closer.join(60000)
    assert(!closer.isAlive && t.isClosed)
  }

  test("copyFrom fills a tensor and checks the byte count") {
    Using.resource(Tensor.allocate(DType.Int16, Shape(2))) { t =>
      t.copyFrom(ByteBuffer.wrap(Array[Byte](1, 0, 2, 0)))
      assert(t.shorts().toSeq == Seq(1, 2))
      intercept[IllegalArgumentException](t.copyFrom(ByteBuffer.wrap(new Array[Byte](3))))
    }
  }
}
