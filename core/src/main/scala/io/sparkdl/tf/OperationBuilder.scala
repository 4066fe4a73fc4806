package io.sparkdl.tf

import java.nio.charset.StandardCharsets

import io.sparkdl.jni.NativeBindings

/**
 * Describes a new operation of a graph (TF's `TF_OperationDescription`): inputs and attributes,
 * then [[build]], once. The builder owns the native description until then: [[close]] frees a
 * description that was never built (adding nothing to the graph), and closing the graph closes
 * the builders still open on it.
 */
final class OperationBuilder private[tf] (graph: Graph, private var desc: Long) extends AutoCloseable {
  NativeObjects.operationBuilders.increment()

  def addInput(input: Output): this.type = {
    checkSameGraph(input)
    Native.call(NativeBindings.opBuilderAddInput(live, input.op.handle, input.index)); this
  }

  def addInputList(inputs: Seq[Output]): this.type = {
    inputs.foreach(checkSameGraph)
    Native.call(
      NativeBindings.opBuilderAddInputList(live, inputs.map(_.op.handle).toArray, inputs.map(_.index).toArray)
    )
    this
  }

  def addControlInput(op: Operation): this.type = {
    Native.call(NativeBindings.opBuilderAddControlInput(live, op.handle)); this
  }

  def setAttr(name: String, value: DType): this.type = {
    Native.call(NativeBindings.opBuilderSetAttrType(live, name, value.code)); this
  }
  /** A type attribute by TF's code, for dtypes that stay inside a graph (no [[DType]] of theirs). */
  private[tf] def setAttrTypeCode(name: String, code: Int): this.type = {
    Native.call(NativeBindings.opBuilderSetAttrType(live, name, code)); this
  }
  def setAttr(name: String, value: Shape): this.type = {
    Native.call(NativeBindings.opBuilderSetAttrShape(live, name, if (value.hasKnownRank) value.dims else null))
    this
  }
  def setAttr(name: String, value: Long): this.type = {
    Native.call(NativeBindings.opBuilderSetAttrInt(live, name, value)); this
  }
  def setAttr(name: String, values: Array[Long]): this.type = {
    Native.call(NativeBindings.opBuilderSetAttrIntList(live, name, values)); this
  }
  def setAttr(name: String, value: Float): this.type = {
    Native.call(NativeBindings.opBuilderSetAttrFloat(live, name, value)); this
  }
  def setAttr(name: String, value: Boolean): this.type = {
    Native.call(NativeBindings.opBuilderSetAttrBool(live, name, value)); this
  }
  def setAttr(name: String, value: String): this.type = {
    Native.call(NativeBindings.opBuilderSetAttrString(live, name, value.getBytes(StandardCharsets.UTF_8)))
    this
  }
  /** Copies the tensor's value into the attribute (e.g. a Const's "value"). */
  def setAttr(name: String, value: Tensor): this.type = {
    val d = live
    value.use(t => Native.call(NativeBindings.opBuilderSetAttrTensor(d, name, t))); this
  }

  /** Adds the operation to the graph; an invalid description throws a [[TfException]]. */
  def build(): Operation = synchronized {
    val d = live
    finished() // TF_FinishOperation frees the description, also when it fails.
    new Operation(graph, Native.call(NativeBindings.opBuilderFinish(d)))
  }

  /** Frees the description unless it was built, adding nothing to the graph; then does nothing. */
  override def close(): Unit = synchronized {
    if (desc != 0L) {
      val d = desc
      finished()
      Native.call(NativeBindings.opBuilderAbandon(d))
    }
  }

  def isClosed: Boolean = synchronized(desc == 0L)

  private def finished(): Unit = {
    desc = 0L
    graph.forget(this)
    NativeObjects.operationBuilders.decrement()
  }

  private def live: Long = synchronized {
    if (desc == 0L) throw new IllegalStateException("operation already built or its builder closed")
    graph.handle
    desc
  }

  private def checkSameGraph(input: Output): Unit =
    if (input.op.graph ne graph) {
      throw new IllegalArgumentException(s"input ${input.name} belongs to another graph")
    }
}
