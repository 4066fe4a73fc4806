package io.sparkdl.tf

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets
import java.util.concurrent.atomic.AtomicBoolean

import io.sparkdl.jni.NativeBindings

/**
 * A tensor in native memory owned by this object: [[close]] frees it, exactly once. Fixed-size
 * tensors expose their memory as a direct, native-order [[buffer]] and copy in and out of primitive
 * arrays in bulk; string tensors hold bytes per element.
 */
final class Tensor private (nativeHandle: Long, val dtype: DType, val shape: Shape)
    extends AutoCloseable {
  private val closed = new AtomicBoolean(false)
  private var view: ByteBuffer = _
  NativeObjects.tensors.increment()

  private[tf] def handle: Long = {
    if (closed.get) throw new IllegalStateException(s"$this is closed")
    nativeHandle
  }

  def isClosed: Boolean = closed.get
  def numElements: Long = shape.numElements

  /**
   * The tensor's memory as a direct buffer in native (little-endian) order, valid until [[close]].
   * Each call returns a fresh duplicate, so callers may move its position freely.
   */
  def buffer: ByteBuffer = {
    requireFixedSize()
    if (view == null) {
      view = Native.call(NativeBindings.tensorData(handle)).order(ByteOrder.nativeOrder())
    }
    view.duplicate().order(ByteOrder.nativeOrder())
  }

  /**
   * The address of a fixed-size tensor's memory, valid until [[close]]: for bulk copies by
   * callers that check bounds themselves (the data path writes rows straight into tensors).
   */
  def address: Long = {
    requireFixedSize()
    if (addressCache == 0L) addressCache = Native.call(NativeBindings.tensorAddress(handle))
    addressCache
  }
  private var addressCache = 0L

  def byteSize: Long = if (dtype.isFixedSize) numElements * dtype.byteSize else
    Native.call(NativeBindings.tensorByteSize(handle))

  def floats(): Array[Float] = {
    val out = new Array[Float](elementCount(DType.Float32)); buffer.asFloatBuffer().get(out); out
  }
  def doubles(): Array[Double] = {
    val out = new Array[Double](elementCount(DType.Float64)); buffer.asDoubleBuffer().get(out); out
  }
  def ints(): Array[Int] = {
    val out = new Array[Int](elementCount(DType.Int32)); buffer.asIntBuffer().get(out); out
  }
  def longs(): Array[Long] = {
    val out = new Array[Long](elementCount(DType.Int64)); buffer.asLongBuffer().get(out); out
  }
  def shorts(): Array[Short] = {
    val out = new Array[Short](elementCount(DType.Int16)); buffer.asShortBuffer().get(out); out
  }
  /** The elements of an int8 or uint8 tensor (uint8 values above 127 come back negative). */
  def bytes(): Array[Byte] = {
    if (dtype != DType.Int8 && dtype != DType.UInt8) throw typeMismatch("int8 or uint8")
    rawBytes()
  }
  def booleans(): Array[Boolean] = {
    val raw = new Array[Byte](elementCount(DType.Bool)); buffer.get(raw); raw.map(_ != 0)
  }
  /** The elements of a string tensor, row-major. */
  def strings(): Array[Array[Byte]] = {
    if (dtype != DType.TString) throw typeMismatch("string")
    Native.call(NativeBindings.tensorStrings(handle))
  }
  def utf8Strings(): Array[String] = strings().map(new String(_, StandardCharsets.UTF_8))

  /** The raw little-endian contents of a fixed-size tensor (numpy's `tobytes()`). */
  def rawBytes(): Array[Byte] = {
    requireFixedSize()
    val out = new Array[Byte](Math.toIntExact(byteSize)); buffer.get(out); out
  }

  override def close(): Unit =
    if (closed.compareAndSet(false, true)) {
      view = null
      try Native.call(NativeBindings.tensorDelete(nativeHandle))
      finally NativeObjects.tensors.decrement()
    }

  override def toString: String = s"Tensor($dtype$shape)"

  private def elementCount(expected: DType): Int = {
    if (dtype != expected) throw typeMismatch(expected.name)
    Math.toIntExact(numElements)
  }
  private def requireFixedSize(): Unit =
    if (!dtype.isFixedSize) throw new IllegalArgumentException(s"$this has no fixed-size memory")
  private def typeMismatch(expected: String) =
    new IllegalArgumentException(s"$this holds $dtype elements, not $expected")
}

object Tensor {

  /** An uninitialised tensor of a fixed-size dtype; fill it through [[Tensor.buffer]]. */
  def allocate(dtype: DType, shape: Shape): Tensor = {
    if (!dtype.isFixedSize) {
      throw new IllegalArgumentException("string tensors are made with Tensor.ofStrings")
    }
    if (!shape.isFullyDefined) {
      throw new IllegalArgumentException(s"a tensor needs a fully defined shape, not $shape")
    }
    val bytes = Math.multiplyExact(shape.numElements, dtype.byteSize.toLong)
    val handle = Native.call(NativeBindings.tensorAllocate(dtype.code, shape.dims, bytes))
    new Tensor(handle, dtype, shape)
  }

  def ofFloats(values: Array[Float], shape: Shape): Tensor =
    fill(DType.Float32, shape, values.length)(_.asFloatBuffer().put(values))
  def ofDoubles(values: Array[Double], shape: Shape): Tensor =
    fill(DType.Float64, shape, values.length)(_.asDoubleBuffer().put(values))
  def ofInts(values: Array[Int], shape: Shape): Tensor =
    fill(DType.Int32, shape, values.length)(_.asIntBuffer().put(values))
  def ofLongs(values: Array[Long], shape: Shape): Tensor =
    fill(DType.Int64, shape, values.length)(_.asLongBuffer().put(values))
  def ofShorts(values: Array[Short], shape: Shape): Tensor =
    fill(DType.Int16, shape, values.length)(_.asShortBuffer().put(values))
  /** An int8 or uint8 tensor of the given bytes. */
  def ofBytes(dtype: DType, values: Array[Byte], shape: Shape): Tensor = {
    if (dtype != DType.Int8 && dtype != DType.UInt8) {
      throw new IllegalArgumentException(s"ofBytes makes int8 or uint8 tensors, not $dtype")
    }
    fill(dtype, shape, values.length)(_.put(values))
  }
  def ofBooleans(values: Array[Boolean], shape: Shape): Tensor =
    fill(DType.Bool, shape, values.length)(b => values.foreach(v => b.put(if (v) 1: Byte else 0: Byte)))

  /** A string tensor; one byte array per element, row-major. */
  def ofStrings(values: Array[Array[Byte]], shape: Shape): Tensor = {
    checkCount(DType.TString, shape, values.length)
    val handle = Native.call(NativeBindings.tensorNewStrings(shape.dims, values))
    new Tensor(handle, DType.TString, shape)
  }
  def ofUtf8(values: Array[String], shape: Shape): Tensor =
    ofStrings(values.map(_.getBytes(StandardCharsets.UTF_8)), shape)

  /** A fixed-size tensor from raw little-endian contents (numpy's `tobytes()`). */
  def fromRawBytes(dtype: DType, shape: Shape, bytes: Array[Byte]): Tensor = {
    if (!dtype.isFixedSize) throw new IllegalArgumentException("string tensors are made with ofStrings")
    checkCount(dtype, shape, bytes.length / dtype.byteSize)
    if (bytes.length % dtype.byteSize != 0) {
      throw new IllegalArgumentException(s"${bytes.length} bytes are not a whole number of $dtype")
    }
    fill(dtype, shape, bytes.length / dtype.byteSize)(_.put(bytes))
  }

  /** Takes ownership of a tensor handle returned by native code. */
  private[tf] def own(handle: Long): Tensor = {
    try {
      val dtype = DType.fromCode(Native.call(NativeBindings.tensorType(handle)))
      new Tensor(handle, dtype, Shape.of(Native.call(NativeBindings.tensorShape(handle))))
    } catch {
      case e: Throwable =>
        freeUnowned(handle)
        throw e
    }
  }

  /**
   * Frees a tensor handle returned by native code that no [[Tensor]] owns (nor counts) yet: what a
   * failed run had fetched.
   */
  private[tf] def freeUnowned(handle: Long): Unit = Native.call(NativeBindings.tensorDelete(handle))

  private def fill(dtype: DType, shape: Shape, count: Int)(write: ByteBuffer => Unit): Tensor = {
    checkCount(dtype, shape, count)
    val tensor = allocate(dtype, shape)
    try write(tensor.buffer)
    catch { case e: Throwable => tensor.close(); throw e }
    tensor
  }

  private def checkCount(dtype: DType, shape: Shape, count: Int): Unit = {
    if (!shape.isFullyDefined) {
      throw new IllegalArgumentException(s"a tensor needs a fully defined shape, not $shape")
    }
    if (shape.numElements != count) {
      throw new IllegalArgumentException(
        s"$count $dtype values do not fill shape $shape (${shape.numElements} elements)"
      )
    }
  }
}
