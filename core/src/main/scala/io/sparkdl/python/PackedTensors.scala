package io.sparkdl.python

import java.nio.{BufferUnderflowException, ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets.UTF_8

import scala.util.control.NonFatal

import io.sparkdl.tf.{DType, Shape, Tensor}

/**
 * Named tensors (and lists of names) packed into one byte array, so that tensors of any size and
 * rank cross py4j in one call: py4j moves a `byte[]` as one value, but arrays of longs or of
 * strings one element per call. `sparkdl._tensors` is the Python side of the same format, all
 * little-endian:
 * {{{
 * tensors  := i32 count, tensor*
 * tensor   := text name, text dtype, i32 rank, i64 dims[rank], contents
 * contents := fixed-size dtype: the elements' bytes, row-major (numpy's tobytes())
 *             string: i32 byteLength[numElements], then the elements' bytes back to back
 * names    := i32 count, text*
 * text     := i32 byteLength, UTF-8 bytes
 * }}}
 */
object PackedTensors {

  /**
   * One tensor to pack: `fixed` holds a fixed-size dtype's little-endian bytes (from its position
   * to its limit), `strings` a string tensor's elements.
   */
  final case class Entry(
      name: String,
      dtype: DType,
      shape: Shape,
      fixed: ByteBuffer,
      strings: Array[Array[Byte]]
  )

  object Entry {

    /** A tensor's entry: a copy of its contents, so the tensor may be closed before packing. */
    def of(name: String, tensor: Tensor): Entry =
      if (tensor.dtype == DType.TString) {
        Entry(name, tensor.dtype, tensor.shape, null, tensor.strings())
      }
      else Entry(name, tensor.dtype, tensor.shape, ByteBuffer.wrap(tensor.rawBytes()), null)

    /** An entry from heap contents: raw little-endian bytes, or one array per string element. */
    def of(
        name: String,
        dtype: DType,
        shape: Shape,
        rawBytes: Array[Byte],
        strings: Array[Array[Byte]]
    ): Entry =
      if (dtype == DType.TString) Entry(name, dtype, shape, null, strings)
      else Entry(name, dtype, shape, ByteBuffer.wrap(rawBytes), null)
  }

  /** The entries packed as `tensors`. */
  def pack(entries: Seq[Entry]): Array[Byte] = {
    val texts = entries.map(e => (e.name.getBytes(UTF_8), e.dtype.name.getBytes(UTF_8)))
    val size = entries.zip(texts).foldLeft(4L) { case (n, (e, (name, dtype))) =>
      val contents =
        if (e.strings != null) 4L * e.strings.length + e.strings.foldLeft(0L)(_ + _.length)
        else e.fixed.remaining.toLong
      n + 8 + name.length + dtype.length + 4 + 8L * e.shape.rank + contents
    }
    if (size > Int.MaxValue - 8) {
      throw new IllegalArgumentException(
        s"the tensors take $size bytes packed, over a Java array's 2 GB"
      )
    }
    val out = ByteBuffer.allocate(size.toInt).order(ByteOrder.LITTLE_ENDIAN)
    out.putInt(entries.size)
    entries.zip(texts).foreach { case (e, (name, dtype)) =>
      out.putInt(name.length).put(name).putInt(dtype.length).put(dtype)
      val dims = e.shape.dims
      out.putInt(dims.length)
      dims.foreach(out.putLong)
      if (e.strings != null) {
        e.strings.foreach(s => out.putInt(s.length))
        e.strings.foreach(s => out.put(s))
      } else out.put(e.fixed.duplicate())
    }
    out.array()
  }

  /**
   * The tensors packed in `packed`, by name, in native memory the caller owns (all freed here
   * if any fails to unpack). Errors name the tensor.
   */
  def unpack(packed: Array[Byte]): IndexedSeq[(String, Tensor)] = {
    val in = reader(packed, "tensors")
    val made = IndexedSeq.newBuilder[(String, Tensor)]
    try {
      val count = in.getInt()
      (0 until count).foreach { _ =>
        val name = text(in)
        made += name -> tensor(name, in)
      }
      checkEnd(in, "tensors")
      made.result()
    } catch {
      case NonFatal(e) =>
        made.result().foreach(_._2.close())
        e match {
          case _: BufferUnderflowException =>
            throw new IllegalArgumentException("packed tensors end before their contents", e)
          case other => throw other
        }
    }
  }

  /** `names` packed. */
  def packNames(names: Seq[String]): Array[Byte] = {
    val utf8 = names.map(_.getBytes(UTF_8))
    val out = ByteBuffer.allocate(4 + utf8.map(4 + _.length).sum).order(ByteOrder.LITTLE_ENDIAN)
    out.putInt(utf8.size)
    utf8.foreach(b => out.putInt(b.length).put(b))
    out.array()
  }

  /** The names packed in `packed`. */
  def unpackNames(packed: Array[Byte]): IndexedSeq[String] = {
    val in = reader(packed, "names")
    try {
      val names = IndexedSeq.fill(in.getInt())(text(in))
      checkEnd(in, "names")
      names
    } catch {
      case e: BufferUnderflowException =>
        throw new IllegalArgumentException("packed names end before their contents", e)
    }
  }

  private def tensor(name: String, in: ByteBuffer): Tensor = {
    val dtype =
      try DType.fromName(text(in))
      catch {
        case e: IllegalArgumentException =>
          throw new IllegalArgumentException(s"tensor '$name': ${e.getMessage}", e)
      }
    val rank = in.getInt()
    if (rank < 0) throw new IllegalArgumentException(s"tensor '$name' has rank $rank")
    val dims = Array.fill(rank)(in.getLong())
    if (dims.exists(_ < 0)) {
      val shown = dims.mkString("[", ",", "]")
      throw new IllegalArgumentException(s"tensor '$name' has shape $shown")
    }
    val shape = Shape.of(dims)
    val count = Math.toIntExact(shape.numElements)
    if (dtype == DType.TString) {
      val lengths = Array.fill(count)(in.getInt())
      val strings = lengths.map { n =>
        if (n < 0) throw new IllegalArgumentException(s"tensor '$name' has a string of $n bytes")
        val s = new Array[Byte](n); in.get(s); s
      }
      Tensor.ofStrings(strings, shape)
    } else {
      val bytes = Math.multiplyExact(count, dtype.byteSize)
      if (in.remaining < bytes) {
        throw new IllegalArgumentException(
          s"tensor '$name' ($dtype$shape) needs $bytes bytes; ${in.remaining} are left"
        )
      }
      val contents = in.slice(in.position(), bytes)
      in.position(in.position() + bytes)
      val tensor = Tensor.allocate(dtype, shape)
      try tensor.copyFrom(contents)
      catch { case NonFatal(e) => tensor.close(); throw e }
      tensor
    }
  }

  private def reader(packed: Array[Byte], what: String): ByteBuffer = {
    if (packed == null) throw new IllegalArgumentException(s"packed $what are null")
    ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN)
  }

  private def text(in: ByteBuffer): String = {
    val n = in.getInt()
    if (n < 0 || n > in.remaining) throw new IllegalArgumentException(s"packed text of $n bytes")
    val bytes = new Array[Byte](n)
    in.get(bytes)
    new String(bytes, UTF_8)
  }

  private def checkEnd(in: ByteBuffer, what: String): Unit =
    if (in.hasRemaining) {
      throw new IllegalArgumentException(s"${in.remaining} bytes follow the packed $what")
    }
}
