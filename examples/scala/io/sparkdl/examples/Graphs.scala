package io.sparkdl.examples

import scala.util.Using

import io.sparkdl.tf._

/** The examples' small graphs, built with sparkdl's Scala TF API (no TF Python needed). */
object Graphs {

  /** `y = x * scale + shift` over a float64 placeholder `x` of shape `shape`. */
  def affine(g: Graph, x: Output, scale: Double, shift: Double, name: String): Output = {
    def constant(value: Double, opName: String): Output =
      Using.resource(Tensor.ofDoubles(Array(value), Shape.scalar)) { t =>
        g.opBuilder("Const", opName).setAttr("dtype", DType.Float64).setAttr("value", t).build().output(0)
      }
    val scaled = g.opBuilder("Mul", s"${name}_scaled").addInput(x).addInput(constant(scale, s"${name}_scale"))
      .build().output(0)
    g.opBuilder("AddV2", name).addInput(scaled).addInput(constant(shift, s"${name}_shift")).build().output(0)
  }

  /** A frozen GraphDef: `y = 2 * x + 1` for `x: float64[?]`. */
  def affineGraphDef(): Array[Byte] = Using.resource(Graph()) { g =>
    val x = g.opBuilder("Placeholder", "x").setAttr("dtype", DType.Float64).setAttr("shape", Shape(-1))
      .build().output(0)
    affine(g, x, 2.0, 1.0, "y")
    g.toGraphDef
  }
}
