package io.sparkdl.tf

import scala.collection.mutable

/**
 * The nodes of a serialized GraphDef with their inputs, read straight from the protobuf
 * (tensorflow/core/framework/graph.proto): enough to find which operations a fetch depends on.
 */
private[tf] object GraphDefNodes {

  /** Op name -> the op names it reads (data and control inputs). */
  def inputs(graphDef: Array[Byte]): Map[String, Seq[String]] = {
    val nodes = Map.newBuilder[String, Seq[String]]
    val graph = new ProtoReader(graphDef)
    graph.foreach {
      case (1, 2) => // repeated NodeDef node
        val node = graph.message()
        var name = ""
        val in = Seq.newBuilder[String]
        node.foreach {
          case (1, 2) => name = node.string()
          case (3, 2) => in += opName(node.string())
          case (_, wire) => node.skip(wire)
        }
        nodes += name -> in.result()
      case (_, wire) => graph.skip(wire)
    }
    nodes.result()
  }

  /** The op types (`Placeholder`, `VarHandleOp`, ...) the graph's nodes have. */
  def opTypes(graphDef: Array[Byte]): Set[String] = {
    val types = Set.newBuilder[String]
    val graph = new ProtoReader(graphDef)
    graph.foreach {
      case (1, 2) => // repeated NodeDef node
        val node = graph.message()
        node.foreach {
          case (2, 2) => types += node.string() // string op
          case (_, wire) => node.skip(wire)
        }
      case (_, wire) => graph.skip(wire)
    }
    types.result()
  }

  /** "^ctrl" -> "ctrl", "op:1" -> "op". */
  private def opName(input: String): String = input.stripPrefix("^").takeWhile(_ != ':')

  /** Every op name `roots` depend on, themselves included. */
  def closure(inputs: Map[String, Seq[String]], roots: Seq[String]): Set[String] = {
    val seen = mutable.Set.empty[String]
    val stack = mutable.Stack(roots: _*)
    while (stack.nonEmpty) {
      val op = stack.pop()
      if (seen.add(op)) inputs.getOrElse(op, Nil).foreach(stack.push)
    }
    seen.toSet
  }
}
