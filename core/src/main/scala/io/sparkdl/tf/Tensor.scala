package io.sparkdl.tf

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets
import java.util.concurrent.locks.ReentrantReadWriteLock

import io.sparkdl.jni.NativeBindings

/**
 * A tensor in native memory owned by this object: [[close]] frees it, exactly once. Fixed-size
 * tensors copy in and out of primitive arrays in bulk, and lend their memory for zero-copy access
 * only for a bounded time: inside [[withBuffer]] or [[withAddress]], or while a [[TensorMemory]]
 * from [[memory]] is open. String tensors hold bytes per element.
 *
 * Every use of the native tensor (a lent view, a session run it feeds, an attribute it sets)
 * holds it open: [[close]] from another thread waits until the uses in flight end, and from a
 * thread that is itself using the tensor it is refused with an `IllegalStateException` (it could
 * never finish). A buffer lent by [[withBuffer]] is emptied when the block returns, so a read
 * through a view kept past it is a Java exception, never a read of freed memory.
 */
final class Tensor private (nativeHandle: Long, val dtype: DType, val shape: Shape)
    extends AutoCloseable {
  // Uses hold the read lock, close takes the write lock (as Session does for runs).
  private val lock = new ReentrantReadWriteLock()
  @volatile private var closed = false
  NativeObjects.tensors.increment()

  def isClosed: Boolean = closed
  def numElements: Long = shape.numElements

  /**
   * Starts a use of the native tensor and returns its handle; the caller must [[endUse]] it on
   * the same thread. Fails once the tensor is closed.
   */
  private[tf] def beginUse(): Long = {
    val read = lock.readLock()
    read.lock()
    if (closed) {
      read.unlock()
      throw new IllegalStateException(s"$this is closed")
    }
    nativeHandle
  }

  private[tf] def endUse(): Unit = lock.readLock().unlock()

  /** Runs `body` with the native handle while the tensor cannot be freed. */
  private[tf] def use[T](body: Long => T): T = {
    val handle = beginUse()
    try body(handle)
    finally endUse()
  }

  /**
   * Runs `body` with the tensor's memory as a direct buffer in native (little-endian) order, and
   * returns its result. The buffer is valid only inside `body`: [[close]] waits for it (or, from
   * this thread, is refused), and afterwards the buffer is emptied (capacity 0), so a read through
   * it throws. Views made from it (`asFloatBuffer`, `duplicate`, ...) must not outlive `body`
   * either.
   */
  def withBuffer[T](body: ByteBuffer => T): T = use { handle =>
    requireFixedSize()
    val view = Native.call(NativeBindings.tensorData(handle)).order(ByteOrder.nativeOrder())
    try body(view)
    finally Native.call(NativeBindings.directBufferClear(view))
  }

  /**
   * Runs `body` with the address of the tensor's memory (`byteSize` bytes; any address for an
   * empty tensor), for bulk copies by callers that check bounds themselves (the data path writes
   * rows straight into tensors). The address is valid only inside `body`; [[close]] waits for it.
   */
  def withAddress[T](body: Long => T): T = use(handle => body(dataAddress(handle)))

  /**
   * Holds this tensor's memory open until the returned [[TensorMemory]] is closed (by the same
   * thread): for readers that address the memory across many calls, e.g. row by row.
   */
  def memory(): TensorMemory = {
    val handle = beginUse()
    try new TensorMemory(this, dataAddress(handle))
    catch { case e: Throwable => endUse(); throw e }
  }

  private def dataAddress(handle: Long): Long = {
    requireFixedSize()
    if (!addressKnown) {
      address = Native.call(NativeBindings.tensorAddress(handle))
      addressKnown = true
    }
    address
  }
  // The memory never moves while the tensor lives: one native call per tensor finds it.
  private var address = 0L
  @volatile private var addressKnown = false

  def byteSize: Long = if (dtype.isFixedSize) numElements * dtype.byteSize else
    use(h => Native.call(NativeBindings.tensorByteSize(h)))

  def floats(): Array[Float] = {
    val out = new Array[Float](elementCount(DType.Float32)); withBuffer(_.asFloatBuffer().get(out)); out
  }
  def doubles(): Array[Double] = {
    val out = new Array[Double](elementCount(DType.Float64)); withBuffer(_.asDoubleBuffer().get(out)); out
  }
  def ints(): Array[Int] = {
    val out = new Array[Int](elementCount(DType.Int32)); withBuffer(_.asIntBuffer().get(out)); out
  }
  def longs(): Array[Long] = {
    val out = new Array[Long](elementCount(DType.Int64)); withBuffer(_.asLongBuffer().get(out)); out
  }
  def shorts(): Array[Short] = {
    val out = new Array[Short](elementCount(DType.Int16)); withBuffer(_.asShortBuffer().get(out)); out
  }
  /** The elements of an int8 or uint8 tensor (uint8 values above 127 come back negative). */
  def bytes(): Array[Byte] = {
    if (dtype != DType.Int8 && dtype != DType.UInt8) throw typeMismatch("int8 or uint8")
    rawBytes()
  }
  def booleans(): Array[Boolean] = {
    val raw = new Array[Byte](elementCount(DType.Bool)); withBuffer(_.get(raw)); raw.map(_ != 0)
  }
  /** The elements of a string tensor, row-major. */
  def strings(): Array[Array[Byte]] = {
    if (dtype != DType.TString) throw typeMismatch("string")
    use(h => Native.call(NativeBindings.tensorStrings(h)))
  }
  def utf8Strings(): Array[String] = strings().map(new String(_, StandardCharsets.UTF_8))

  /** The raw little-endian contents of a fixed-size tensor (numpy's `tobytes()`). */
  def rawBytes(): Array[Byte] = {
    requireFixedSize()
    val out = new Array[Byte](Math.toIntExact(byteSize)); withBuffer(_.get(out)); out
  }

  /** Copies `source`'s remaining bytes, exactly [[byteSize]] of them, into the tensor. */
  def copyFrom(source: ByteBuffer): Unit = {
    requireFixedSize()
    if (source.remaining.toLong != byteSize) {
      throw new IllegalArgumentException(s"$this holds $byteSize bytes, the source ${source.remaining}")
    }
    withBuffer(_.put(source))
  }

  /**
   * Frees the tensor, once; later calls do nothing. Waits for uses in flight on other threads
   * (runs it feeds, lent views); refused while this thread itself uses the tensor.
   */
  override def close(): Unit = {
    if (lock.getReadHoldCount > 0) {
      throw new IllegalStateException(
        s"$this cannot be closed while this thread uses it (inside withBuffer/withAddress, or " +
          "with a TensorMemory open): end the use first"
      )
    }
    val write = lock.writeLock()
    write.lock()
    try {
      if (!closed) {
        closed = true
        try Native.call(NativeBindings.tensorDelete(nativeHandle))
        finally NativeObjects.tensors.decrement()
      }
    } finally write.unlock()
  }

  /** Whether `thread` waits for this tensor: a close waiting for uses in flight. For tests. */
  private[tf] def isWaiting(thread: Thread): Boolean = lock.hasQueuedThread(thread)

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

/**
 * A fixed-size tensor's memory held open ([[Tensor.memory]]): while it is open the tensor cannot
 * be freed, and [[address]] is where its [[Tensor.byteSize]] bytes are. Close it, on the thread
 * that opened it, before closing the tensor; afterwards [[address]] throws.
 */
final class TensorMemory private[tf] (val tensor: Tensor, dataAddress: Long) extends AutoCloseable {
  private var open = true

  def address: Long = {
    if (!open) throw new IllegalStateException(s"the memory of $tensor is no longer held")
    dataAddress
  }

  override def close(): Unit = if (open) { open = false; tensor.endUse() }
}

object Tensor {

  /** An uninitialised tensor of a fixed-size dtype; fill it with [[Tensor.copyFrom]] or [[Tensor.withBuffer]]. */
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
    try tensor.withBuffer(write)
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
