package io.sparkdl.tf

import java.util.concurrent.atomic.LongAdder

/**
 * How many native objects of each kind this layer owns right now, at the time of
 * [[NativeObjects.live()]]: the TF objects behind [[Tensor]]s, [[Session]]s, [[Graph]]s and
 * [[OperationBuilder]]s (a [[SavedModel]] owns one graph and one session, counted there). Taken
 * while other threads create or free objects, the kinds may be read a few objects apart.
 */
final case class NativeObjectCounts(
    tensors: Long,
    sessions: Long,
    graphs: Long,
    operationBuilders: Long
) {
  def total: Long = tensors + sessions + graphs + operationBuilders

  /** Kind by kind, how many more these counts hold than `earlier` (fewer if negative). */
  def -(earlier: NativeObjectCounts): NativeObjectCounts = NativeObjectCounts(
    tensors - earlier.tensors,
    sessions - earlier.sessions,
    graphs - earlier.graphs,
    operationBuilders - earlier.operationBuilders
  )
}

object NativeObjectCounts {
  val Zero: NativeObjectCounts = NativeObjectCounts(0, 0, 0, 0)
}

/**
 * A metric of the native objects sparkdl's TF layer holds, to spot leaks, as arrow-java's
 * allocators count their buffers: each kind is counted up when its native handle is created and
 * down once when it is freed ([[Tensor.close]], [[Session.close]], [[Graph.close]], and
 * [[OperationBuilder.build]], which frees the description). A count that keeps growing while the
 * work does not is a leak; once the work has closed all it made, the counts are back where they
 * were. They cover this class loader's copy of sparkdl, in this JVM.
 *
 * {{{
 *   val before = NativeObjects.live()
 *   ... // work that closes everything it makes
 *   val left = NativeObjects.live() - before // NativeObjectCounts.Zero unless something leaked
 * }}}
 */
object NativeObjects {
  // LongAdder, not AtomicLong: tensors are made and freed on every run, by many task threads.
  private[tf] val tensors = new LongAdder
  private[tf] val sessions = new LongAdder
  private[tf] val graphs = new LongAdder
  private[tf] val operationBuilders = new LongAdder

  /** The native objects alive now, by kind. */
  def live(): NativeObjectCounts =
    NativeObjectCounts(tensors.sum, sessions.sum, graphs.sum, operationBuilders.sum)
}
