package io.sparkdl.tf

import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicBoolean

import io.sparkdl.jni.NativeBindings

/**
 * A TensorFlow graph in native memory. Build it from GraphDef bytes ([[Graph.fromGraphDef]]) or op
 * by op ([[opBuilder]]); look up its operations and their outputs' static dtypes and shapes.
 * [[close]] frees it (TF keeps it alive until the last session on it is closed), after closing
 * the operation builders still open on it: their descriptions point into the graph.
 */
final class Graph private (nativeHandle: Long) extends AutoCloseable {
  private val closed = new AtomicBoolean(false)
  private val openBuilders = ConcurrentHashMap.newKeySet[OperationBuilder]()
  NativeObjects.graphs.increment()

  private[tf] def handle: Long = {
    if (closed.get) throw new IllegalStateException("Graph is closed")
    nativeHandle
  }

  def isClosed: Boolean = closed.get

  /** Imports serialized GraphDef bytes, op names prefixed with `prefix` when non-empty. */
  def importGraphDef(graphDef: Array[Byte], prefix: String = ""): Unit = {
    if (graphDef == null) throw new IllegalArgumentException("graphDef is null")
    Native.call(NativeBindings.graphImport(handle, graphDef, prefix))
  }

  def toGraphDef: Array[Byte] = Native.call(NativeBindings.graphToGraphDef(handle))

  def operation(name: String): Option[Operation] = {
    if (name == null) throw new IllegalArgumentException("operation name is null")
    val op = Native.call(NativeBindings.graphOperation(handle, name))
    if (op == 0L) None else Some(new Operation(this, op))
  }

  def operations: Seq[Operation] =
    Native.call(NativeBindings.graphOperations(handle)).toSeq.map(new Operation(this, _))

  /**
   * The output named `"op:i"`, or output 0 for a bare `"op"`. Throws [[NotFoundException]] naming
   * the tensor (and the graph's placeholders) when there is none.
   */
  def output(tensorName: String): Output = {
    val (opName, index) = Output.parseName(tensorName)
    val op = operation(opName).getOrElse {
      val placeholders = operations.filter(_.opType == "Placeholder").map(_.name)
      throw new NotFoundException(
        s"no tensor '$tensorName' in the graph: no operation '$opName'" +
          (if (placeholders.nonEmpty) s" (its placeholders: ${placeholders.mkString(", ")})" else "")
      )
    }
    if (index >= op.numOutputs) {
      throw new NotFoundException(
        s"no tensor '$tensorName' in the graph: operation '$opName' (${op.opType}) has " +
          s"${op.numOutputs} output(s)"
      )
    }
    Output(op, index)
  }

  /** The operations that computing `outputs` needs (inputs and control inputs, transitively). */
  def dependencies(outputs: Seq[Output]): Seq[Operation] = {
    val needed = GraphDefNodes.closure(GraphDefNodes.inputs(toGraphDef), outputs.map(_.op.name))
    operations.filter(op => needed.contains(op.name))
  }

  /** Starts a new operation of `opType` named `name`; finish it with [[OperationBuilder.build]]. */
  def opBuilder(opType: String, name: String): OperationBuilder = {
    val builder = new OperationBuilder(this, Native.call(NativeBindings.opBuilderNew(handle, opType, name)))
    openBuilders.add(builder)
    builder
  }

  private[tf] def forget(builder: OperationBuilder): Unit = openBuilders.remove(builder)

  override def close(): Unit =
    if (closed.compareAndSet(false, true)) {
      try openBuilders.forEach(_.close())
      finally {
        try Native.call(NativeBindings.graphDelete(nativeHandle))
        finally NativeObjects.graphs.decrement()
      }
    }
}

object Graph {
  def apply(): Graph = new Graph(Native.call(NativeBindings.graphNew()))

  /** A graph holding the serialized GraphDef (e.g. a frozen graph's `.pb` contents). */
  def fromGraphDef(graphDef: Array[Byte]): Graph = {
    val graph = Graph()
    try graph.importGraphDef(graphDef)
    catch { case e: Throwable => graph.close(); throw e }
    graph
  }
}

/** An operation of a graph; valid while the graph is open. */
final class Operation private[tf] (val graph: Graph, private[tf] val nativeHandle: Long) {
  private[tf] def handle: Long = { graph.handle; nativeHandle }

  lazy val name: String = Native.call(NativeBindings.operationName(handle))
  lazy val opType: String = Native.call(NativeBindings.operationType(handle))
  def numInputs: Int = Native.call(NativeBindings.operationNumInputs(handle))
  lazy val numOutputs: Int = Native.call(NativeBindings.operationNumOutputs(handle))

  def output(index: Int): Output = {
    if (index < 0 || index >= numOutputs) {
      throw new IndexOutOfBoundsException(s"operation '$name' has $numOutputs output(s), not #$index")
    }
    Output(this, index)
  }

  /** The dtype held by a type attribute, e.g. a Placeholder's "dtype". */
  def attrType(attrName: String): DType =
    DType.fromCode(Native.call(NativeBindings.operationAttrType(handle, attrName)))

  override def equals(other: Any): Boolean = other match {
    case o: Operation => (o.graph eq graph) && o.nativeHandle == nativeHandle
    case _ => false
  }
  override def hashCode: Int = java.lang.Long.hashCode(nativeHandle)
  override def toString: String = s"Operation($name: $opType)"
}

/** Output `index` of an operation: a symbolic tensor with a static dtype and (partial) shape. */
final case class Output(op: Operation, index: Int) {
  def name: String = s"${op.name}:$index"

  lazy val dtypeCode: Int = Native.call(NativeBindings.operationOutputType(op.handle, index))
  def dtype: DType = DType.fromCode(dtypeCode)
  lazy val shape: Shape =
    Shape.of(Native.call(NativeBindings.operationOutputShape(op.graph.handle, op.handle, index)))

  override def toString: String = s"$name ($dtype$shape)"
}

object Output {

  /** Splits "op:1" into ("op", 1); a bare "op" is output 0. */
  def parseName(tensorName: String): (String, Int) = {
    if (tensorName == null || tensorName.isEmpty) {
      throw new IllegalArgumentException("tensor name is empty")
    }
    val colon = tensorName.lastIndexOf(':')
    if (colon < 0) (tensorName, 0)
    else {
      val index = tensorName.substring(colon + 1).toIntOption.getOrElse(
        throw new IllegalArgumentException(s"bad tensor name '$tensorName': expected 'op' or 'op:index'")
      )
      (tensorName.substring(0, colon), index)
    }
  }
}
