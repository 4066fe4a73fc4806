package io.sparkdl.tf

import java.io.ByteArrayOutputStream
import java.nio.charset.StandardCharsets

/** Just enough of the protobuf wire format to write a ConfigProto and read a MetaGraphDef's
 * signatures, so sparkdl needs no protobuf runtime (which would clash with Spark's). */
private[tf] final class ProtoWriter {
  private val out = new ByteArrayOutputStream()

  def varintField(field: Int, value: Long): Unit = { varint((field.toLong << 3) | 0L); varint(value) }

  /** An embedded message (or any length-delimited value) as field `field`. */
  def messageField(field: Int, bytes: Array[Byte]): Unit = {
    varint((field.toLong << 3) | 2L)
    varint(bytes.length.toLong)
    out.write(bytes)
  }

  def nonEmpty: Boolean = out.size > 0

  private def varint(value: Long): Unit = {
    var v = value
    while ((v & ~0x7fL) != 0L) { out.write(((v & 0x7f) | 0x80).toInt); v >>>= 7 }
    out.write(v.toInt)
  }

  def toByteArray: Array[Byte] = out.toByteArray
}

/** Reads the fields of one message: `foreach((field, reader) => ...)` visits each in order. */
private[tf] final class ProtoReader(bytes: Array[Byte], start: Int, end: Int) {
  private var pos = start

  def this(bytes: Array[Byte]) = this(bytes, 0, bytes.length)

  /** Calls `visit(fieldNumber, wireType)` per field; `visit` must consume the value with one of
   * [[varint]], [[bytesValue]], [[message]], [[string]] or [[skip]]. */
  def foreach(visit: (Int, Int) => Unit): Unit =
    while (pos < end) {
      val key = varint()
      visit((key >>> 3).toInt, (key & 7).toInt)
    }

  def varint(): Long = {
    var result = 0L
    var shift = 0
    var b = 0
    do {
      if (pos >= end) throw malformed()
      b = bytes(pos) & 0xff
      pos += 1
      result |= (b & 0x7fL) << shift
      shift += 7
    } while ((b & 0x80) != 0 && shift < 70)
    result
  }

  private def lengthDelimited(): (Int, Int) = {
    val len = varint()
    if (len < 0 || pos + len > end) throw malformed()
    val from = pos
    pos += len.toInt
    (from, pos)
  }

  def message(): ProtoReader = { val (from, to) = lengthDelimited(); new ProtoReader(bytes, from, to) }
  def string(): String = { val (from, to) = lengthDelimited(); new String(bytes, from, to - from, StandardCharsets.UTF_8) }
  def bytesValue(): Array[Byte] = { val (from, to) = lengthDelimited(); java.util.Arrays.copyOfRange(bytes, from, to) }

  def skip(wireType: Int): Unit = wireType match {
    case 0 => varint()
    case 1 => advance(8)
    case 2 => lengthDelimited()
    case 5 => advance(4)
    case other => throw new DataLossException(s"unsupported protobuf wire type $other")
  }

  private def advance(n: Int): Unit = { if (pos + n > end) throw malformed(); pos += n }
  private def malformed() = new DataLossException("malformed protobuf message")
}
