package io.sparkdl.tf

import java.nio.file.{Files, Paths}

import io.sparkdl.jni.NativeBindings

/**
 * A loaded SavedModel: its graph, a session with its variables restored, and its signatures.
 * [[close]] closes the session, then the graph.
 */
final class SavedModel private (
    val exportDir: String,
    val tags: Seq[String],
    val graph: Graph,
    val session: Session,
    val signatures: Map[String, Signature]
) extends AutoCloseable {

  /** The signature `key`; [[NotFoundException]] lists the model's signatures when it is missing. */
  def signature(key: String = SavedModel.DefaultSignature): Signature = signatures.getOrElse(
    key,
    throw new NotFoundException(
      s"SavedModel $exportDir has no signature '$key'; its signatures: " +
        signatures.keys.toSeq.sorted.mkString(", ")
    )
  )

  /** Runs a signature with inputs and outputs addressed by signature key. */
  def run(
      inputs: Map[String, Tensor],
      outputKeys: Seq[String],
      signatureKey: String = SavedModel.DefaultSignature
  ): Map[String, Tensor] = {
    val sig = signature(signatureKey)
    val feeds = inputs.toSeq.map { case (k, t) => graph.output(sig.input(k).name) -> t }
    val fetches = outputKeys.map(k => graph.output(sig.output(k).name))
    outputKeys.zip(session.run(feeds, fetches)).toMap
  }

  override def close(): Unit =
    try session.close()
    finally graph.close()
}

object SavedModel {
  val DefaultSignature = "serving_default"
  val ServeTag = "serve"

  /** Loads the SavedModel in `exportDir` (a local directory) with the given tags. */
  def load(
      exportDir: String,
      tags: Seq[String] = Seq(ServeTag),
      config: SessionConfig = SessionConfig()
  ): SavedModel = {
    if (exportDir == null || !Files.isDirectory(Paths.get(exportDir))) {
      throw new NotFoundException(s"SavedModel directory '$exportDir' does not exist")
    }
    if (tags.isEmpty) throw new IllegalArgumentException("a SavedModel is loaded with at least one tag")
    val graph = Graph()
    try {
      val meta = new Array[Array[Byte]](1)
      val handle = Native.call(
        NativeBindings.sessionFromSavedModel(graph.handle, exportDir, tags.toArray, config.toConfigProto, meta)
      )
      val session = new Session(graph, handle)
      try new SavedModel(exportDir, tags, graph, session, MetaGraphSignatures.parse(meta(0)))
      catch { case e: Throwable => session.close(); throw e }
    } catch {
      case e: Throwable => graph.close(); throw e
    }
  }
}
