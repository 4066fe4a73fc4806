package io.sparkdl.tf

/**
 * One meta graph of a SavedModel, read from its `saved_model.pb` without loading it: the graph
 * (to inspect and plan against) and the signatures. Loading runs through [[SavedModel.load]].
 */
final case class MetaGraph(tags: Seq[String], graphDef: Array[Byte], signatures: Map[String, Signature]) {

  /** The signature `key`; [[NotFoundException]] lists the signatures when it is missing. */
  def signature(key: String): Signature = signatures.getOrElse(
    key,
    throw new NotFoundException(
      s"the SavedModel has no signature '$key'; its signatures: " + signatures.keys.toSeq.sorted.mkString(", ")
    )
  )

  /** Whether the graph holds variables, whose values a SavedModel keeps under `variables/`. */
  def hasVariables: Boolean = GraphDefNodes.opTypes(graphDef).exists(MetaGraph.VariableOps)
}

object MetaGraph {

  private val VariableOps = Set("VarHandleOp", "VariableV2", "Variable", "AutoReloadVariable")

  /**
   * The meta graph tagged with exactly `tags` (in any order) in a serialized SavedModel proto
   * (tensorflow/core/protobuf/saved_model.proto). [[NotFoundException]] lists the tag sets found.
   */
  def fromSavedModelProto(savedModel: Array[Byte], tags: Seq[String]): MetaGraph = {
    val found = Seq.newBuilder[(Seq[String], Array[Byte])]
    val proto = new ProtoReader(savedModel)
    proto.foreach {
      case (2, 2) => // repeated MetaGraphDef meta_graphs
        val bytes = proto.bytesValue()
        found += metaGraphTags(bytes) -> bytes
      case (_, wire) => proto.skip(wire)
    }
    val metaGraphs = found.result()
    if (metaGraphs.isEmpty) {
      throw new InvalidArgumentException(
        s"the SavedModel holds no MetaGraphs (${savedModel.length} bytes): it is empty or corrupt"
      )
    }
    val wanted = tags.toSet
    val bytes = metaGraphs.collectFirst { case (t, b) if t.toSet == wanted => b }.getOrElse {
      throw new NotFoundException(
        s"the SavedModel has no meta graph tagged ${tags.mkString("[", ", ", "]")}; its tag sets: " +
          metaGraphs.map(_._1.mkString("[", ", ", "]")).mkString(", ")
      )
    }
    MetaGraph(tags, graphDef(bytes), MetaGraphSignatures.parse(bytes))
  }

  private def metaGraphTags(metaGraphDef: Array[Byte]): Seq[String] = {
    val tags = Seq.newBuilder[String]
    val meta = new ProtoReader(metaGraphDef)
    meta.foreach {
      case (1, 2) => // MetaInfoDef meta_info_def
        val info = meta.message()
        info.foreach {
          case (4, 2) => tags += info.string() // repeated string tags
          case (_, wire) => info.skip(wire)
        }
      case (_, wire) => meta.skip(wire)
    }
    tags.result()
  }

  private def graphDef(metaGraphDef: Array[Byte]): Array[Byte] = {
    var graph = Array.emptyByteArray
    val meta = new ProtoReader(metaGraphDef)
    meta.foreach {
      case (2, 2) => graph = meta.bytesValue() // GraphDef graph_def
      case (_, wire) => meta.skip(wire)
    }
    graph
  }
}
