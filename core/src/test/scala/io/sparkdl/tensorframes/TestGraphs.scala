package io.sparkdl.tensorframes

import scala.util.Using

import io.sparkdl.tf.{DType, Graph, Output, Shape, Tensor}

/** Small graphs built op by op for the TensorFrames tests. */
object TestGraphs {

  /** The GraphDef of the graph `build` makes. */
  def graphDef(build: Graph => Unit): Array[Byte] =
    Using.resource(Graph()) { g => build(g); g.toGraphDef }

  def placeholder(g: Graph, name: String, dtype: DType, shape: Shape): Output =
    g.opBuilder("Placeholder", name).setAttr("dtype", dtype).setAttr("shape", shape).build().output(0)

  /** A constant holding `tensor`'s value (the tensor is closed). */
  def const(g: Graph, name: String, tensor: Tensor): Output =
    Using.resource(tensor) { t =>
      g.opBuilder("Const", name).setAttr("dtype", t.dtype).setAttr("value", t).build().output(0)
    }

  /** A scalar constant of `dtype` holding `value` (converted to the dtype). */
  def scalar(g: Graph, name: String, dtype: DType, value: Double): Output = {
    val s = Shape.scalar
    val tensor = dtype match {
      case DType.Float32 => Tensor.ofFloats(Array(value.toFloat), s)
      case DType.Float64 => Tensor.ofDoubles(Array(value), s)
      case DType.Int32 => Tensor.ofInts(Array(value.toInt), s)
      case DType.Int64 => Tensor.ofLongs(Array(value.toLong), s)
      case DType.Int16 => Tensor.ofShorts(Array(value.toShort), s)
      case DType.Int8 | DType.UInt8 => Tensor.ofBytes(dtype, Array(value.toByte), s)
      case other => throw new IllegalArgumentException(s"no numeric constant of $other")
    }
    const(g, name, tensor)
  }

  def int32s(g: Graph, name: String, values: Int*): Output =
    const(g, name, Tensor.ofInts(values.toArray, Shape(values.length.toLong)))

  def binary(g: Graph, opType: String, name: String, a: Output, b: Output): Output =
    g.opBuilder(opType, name).addInput(a).addInput(b).build().output(0)

  def identity(g: Graph, name: String, x: Output): Output =
    g.opBuilder("Identity", name).addInput(x).build().output(0)

  /** `opType` ("Sum", "Max", ...) of `x` over `axes`. */
  def reduce(g: Graph, opType: String, name: String, x: Output, axes: Seq[Int], keepDims: Boolean): Output = {
    val axis = int32s(g, s"${name}_axes", axes: _*)
    g.opBuilder(opType, name).addInput(x).addInput(axis).setAttr("keep_dims", keepDims).build().output(0)
  }

  /** The GraphDef of `name = reduce_sum(input, axis=0)`, `input` a placeholder of `dtype` and `shape`. */
  def sumGraph(
      name: String,
      input: String,
      dtype: DType = DType.Float64,
      shape: Shape = Shape(-1),
      keepDims: Boolean = false
  ): Array[Byte] = graphDef(g => reduce(g, "Sum", name, placeholder(g, input, dtype, shape), Seq(0), keepDims))

  def concat(g: Graph, name: String, values: Seq[Output], axis: Int): Output = {
    val a = const(g, s"${name}_axis", Tensor.ofInts(Array(axis), Shape.scalar))
    g.opBuilder("ConcatV2", name).addInputList(values).addInput(a).build().output(0)
  }
}
