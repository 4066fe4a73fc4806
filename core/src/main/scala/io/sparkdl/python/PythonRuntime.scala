package io.sparkdl.python

import scala.util.Using

import io.sparkdl.runtime.SessionCache
import io.sparkdl.tf.{Graph, ImageDecoding, NativeObjects, SavedModel, Session, SessionConfig, Tensor, TfRuntime}

/**
 * The `io.sparkdl.tf` runtime shaped for py4j, used by `sparkdl.runtime`: each run is one call,
 * whatever the tensors' sizes and ranks. Feeds and results cross as [[PackedTensors]] (one byte
 * array each), lists of names packed the same way; every native tensor, graph and session is
 * made and freed here, so Python never holds a native object.
 */
object PythonRuntime {

  /**
   * Runs a serialized GraphDef once.
   *
   * @param graphDef a serialized `GraphDef`, variables frozen
   * @param feeds packed tensors, each named after the tensor it feeds ("x" or "x:0")
   * @param fetches packed names of the tensors to fetch
   * @return the fetched tensors, packed, each named as in `fetches`, in order
   */
  def runGraph(graphDef: Array[Byte], feeds: Array[Byte], fetches: Array[Byte]): Array[Byte] = {
    val fetchNames = PackedTensors.unpackNames(fetches)
    Using.resource(Graph.fromGraphDef(graphDef)) { graph =>
      Using.resource(Session(graph, SessionConfig())) { session =>
        run(session, feeds, identity, fetchNames, fetchNames)
      }
    }
  }

  /**
   * Runs a SavedModel signature once.
   *
   * @param exportDir a local SavedModel directory
   * @param tags packed names of the meta graph's tags
   * @param signatureKey the signature to run
   * @param inputs packed tensors, each named after a signature input key
   * @param outputKeys packed signature output keys to fetch; null for all of them, sorted
   * @return the fetched outputs, packed, each named after its output key, in order
   */
  def runSavedModel(
      exportDir: String,
      tags: Array[Byte],
      signatureKey: String,
      inputs: Array[Byte],
      outputKeys: Array[Byte]
  ): Array[Byte] = {
    val tagNames = PackedTensors.unpackNames(tags)
    Using.resource(SavedModel.load(exportDir, tagNames)) { model =>
      val signature = model.signature(signatureKey)
      val keys =
        if (outputKeys == null) signature.outputs.keys.toIndexedSeq.sorted
        else PackedTensors.unpackNames(outputKeys)
      val fetchNames = keys.map(k => signature.output(k).name)
      run(model.session, inputs, k => signature.input(k).name, fetchNames, keys)
    }
  }

  def tfVersion(): String = TfRuntime.version

  /**
   * The native objects alive in this JVM by kind (`tensors`, `sessions`, `graphs`,
   * `operationBuilders`; see [[io.sparkdl.tf.NativeObjects]]), after closing the cached sessions
   * no task uses, and the image decoders' session, when `closeIdleSessions`: all zero once every
   * job is done and nothing leaked.
   */
  def liveNativeObjects(closeIdleSessions: Boolean): java.util.Map[String, java.lang.Long] = {
    if (closeIdleSessions) {
      SessionCache.clear()
      ImageDecoding.closeShared()
    }
    val live = NativeObjects.live()
    val counts = new java.util.LinkedHashMap[String, java.lang.Long]()
    counts.put("tensors", live.tensors)
    counts.put("sessions", live.sessions)
    counts.put("graphs", live.graphs)
    counts.put("operationBuilders", live.operationBuilders)
    counts
  }

  /** Runs `session` once on the packed feeds (renamed to tensor names by `feedName`). */
  private def run(
      session: Session,
      feeds: Array[Byte],
      feedName: String => String,
      fetchNames: Seq[String],
      resultNames: Seq[String]
  ): Array[Byte] = {
    val fed = PackedTensors.unpack(feeds)
    try {
      val names = fed.map { case (name, _) => feedName(name) }.toArray
      val fetched: Array[Tensor] = session.run(names, fed.map(_._2).toArray, fetchNames.toArray)
      try {
        val results = resultNames.zip(fetched).map { case (n, t) => PackedTensors.Entry.of(n, t) }
        PackedTensors.pack(results) // reads the tensors' memory: before they are closed
      } finally fetched.foreach(_.close())
    } finally fed.foreach(_._2.close())
  }
}
