package io.sparkdl.tf

/** How TF rewrites a session's graph before running it. */
sealed abstract class GraphOptimization(val name: String) {
  override def toString: String = name
}

object GraphOptimization {

  /** TF's graph optimizer (grappler) as TF Python runs it: constant folding, arithmetic and layout
   * rewrites, and the remapper's oneDNN fusions (matmul or conv + bias + activation as one op). */
  case object Default extends GraphOptimization("default")

  /** Default plus XLA auto-clustering: runs of XLA-compilable ops become one kernel compiled for
   * this CPU, on their second run with a given shape. */
  case object Xla extends GraphOptimization("xla")

  /** No rewrites at all (grappler off): the graph runs op by op as written. */
  case object Off extends GraphOptimization("none")

  val all: Seq[GraphOptimization] = Seq(Default, Xla, Off)

  /** The optimization named `value`; `what` names the setting in the error. */
  def parse(value: String, what: String): GraphOptimization =
    NamedChoice.parse[GraphOptimization](value, all, _.name, "graph optimization", what)
}
