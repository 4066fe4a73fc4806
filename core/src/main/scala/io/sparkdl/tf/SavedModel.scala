package io.sparkdl.tf

import java.nio.file.{Files, Paths}

import scala.util.Using

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
    val signatures: Map[String, Signature],
    val saver: Option[SaverDef]
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

  /**
   * Writes this model, with its variables as they are now in the session (trained, say), as a
   * SavedModel in the local directory `dir` (created; it must not exist): the saver writes the
   * variables, `saved_model.pb` and `assets/` are copied from the export directory.
   */
  def saveTo(dir: String): Unit = {
    val s = saver.getOrElse(throw new IllegalStateException(
      s"SavedModel $exportDir has no saver (saver_def) in its meta graph: its variables cannot be saved"
    ))
    val target = Paths.get(dir)
    if (Files.exists(target)) throw new IllegalArgumentException(s"'$dir' already exists")
    Files.createDirectories(target.resolve("variables"))
    val prefix = target.resolve("variables").resolve("variables").toString
    Using.resource(Tensor.ofUtf8(Array(prefix), Shape.scalar)) { filename =>
      session.run(Seq(graph.output(s.filenameTensor) -> filename), Seq(graph.output(s.saveTensor))).foreach(_.close())
    }
    Files.copy(Paths.get(exportDir, "saved_model.pb"), target.resolve("saved_model.pb"))
    val assets = Paths.get(exportDir, "assets")
    if (Files.isDirectory(assets)) {
      Using.resource(Files.walk(assets)) { paths =>
        paths.forEach(p => Files.copy(p, target.resolve(assets.getParent.relativize(p).toString)))
      }
    }
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
        NativeBindings.sessionFromSavedModel(graph.handle, exportDir, tags.toArray, config.toConfigProto, config.target, meta)
      )
      val session = new Session(graph, handle)
      try new SavedModel(exportDir, tags, graph, session, MetaGraphSignatures.parse(meta(0)), SaverDef.parse(meta(0)))
      catch { case e: Throwable => session.close(); throw e }
    } catch {
      case e: Throwable => graph.close(); throw e
    }
  }
}
