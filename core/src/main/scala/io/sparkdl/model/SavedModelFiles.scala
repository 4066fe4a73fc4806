package io.sparkdl.model

import java.nio.file.Path

import org.apache.hadoop.fs.{FileSystem, Path => HadoopPath}

import io.sparkdl.tf.{MetaGraph, NotFoundException, SavedModel, SessionConfig, TfException}

/**
 * What a SavedModel directory must hold, checked where the user names it (so errors name the
 * user's path, never the temporary directory a copy is loaded from): `saved_model.pb` with the
 * tagged meta graph, and, when that graph has variables, `variables/variables.index` with every
 * data shard. TF itself loads a SavedModel without variables and fails later, inside a task, on
 * an "uninitialized" variable.
 */
private[sparkdl] object SavedModelFiles {
  val ProtoFile = "saved_model.pb"
  val VariablesIndex = "variables/variables.index"
  private val Shard = """variables/variables\.data-(\d+)-of-(\d+)""".r

  /** Tags must be non-empty strings; `where` names what gave them. */
  def checkTags(tags: Seq[String], where: String): Unit =
    if (tags.isEmpty || tags.exists(t => t == null || t.isEmpty)) {
      throw new IllegalArgumentException(
        s"SavedModel tags must be non-empty (at least one tag, e.g. 'serve', and no empty tag); " +
          s"$where gives ${tags.mkString("[", ", ", "]")}"
      )
    }

  /**
   * `root` exists as a directory with a non-empty `saved_model.pb` and no symbolic link (nor
   * anything else that is no regular file or directory) under it; `path` is the user's name.
   * Returns its files.
   */
  def checkDirectory(fs: FileSystem, root: HadoopPath, path: String): Seq[DirectoryFiles.File] = {
    if (!fs.exists(root) || !fs.getFileStatus(root).isDirectory) {
      throw new IllegalArgumentException(s"SavedModel directory '$path' does not exist")
    }
    val files = DirectoryFiles.list(fs, root, path)
    files.find(_.relative == ProtoFile) match {
      case None => throw new IllegalArgumentException(s"'$path' is not a SavedModel directory: it has no $ProtoFile")
      case Some(proto) if proto.size == 0 =>
        throw new IllegalArgumentException(
          s"SavedModel file '$path/$ProtoFile' is empty (0 bytes): it holds no MetaGraphs; save the model again"
        )
      case _ => files
    }
  }

  /** The meta graph tagged `tags` of the `saved_model.pb` bytes read from `file`. */
  def metaGraph(savedModelProto: Array[Byte], tags: Seq[String], file: String): MetaGraph =
    try MetaGraph.fromSavedModelProto(savedModelProto, tags)
    catch {
      case e: NotFoundException => throw new NotFoundException(s"SavedModel file '$file': ${e.getMessage}")
      case e @ (_: RuntimeException | _: IndexOutOfBoundsException) =>
        throw new IllegalArgumentException(
          s"SavedModel file '$file' is not a SavedModel proto (${savedModelProto.length} bytes): it is " +
            s"empty, corrupt or not a saved_model.pb (${e.getMessage})",
          e
        )
    }

  /**
   * The variables files a graph with variables needs, given the directory's file list (paths
   * relative to it): an error naming `path` and the missing file, or None.
   */
  def missingVariables(meta: MetaGraph, files: Seq[String], path: String): Option[String] =
    if (!meta.hasVariables) None
    else if (!files.contains(VariablesIndex)) {
      Some(s"SavedModel '$path' has variables in its graph but no $VariablesIndex: its variables/ " +
        "directory is missing or incomplete; copy the whole SavedModel directory")
    } else {
      val shards = files.collect { case Shard(i, n) => (i.toInt, n.toInt) }
      val expected = shards.headOption.map(_._2).getOrElse(1)
      val missing = (0 until expected).filterNot(i => shards.contains((i, expected)))
      missing.headOption.map { i =>
        f"SavedModel '$path' lacks variables file variables/variables.data-$i%05d-of-$expected%05d; copy the " +
          "whole SavedModel directory"
      }
    }

  /**
   * Loads the SavedModel in local directory `dir`, a copy of (or the same as) the user's `path`:
   * TF's errors name `path` instead of `dir`.
   */
  def load(dir: Path, path: String, tags: Seq[String], config: SessionConfig): SavedModel = {
    val local = dir.toAbsolutePath.toString
    try SavedModel.load(local, tags, config)
    catch {
      case e: TfException if local != path => // still a TF error, of TF's code, for callers' handlers
        val named = TfException.of(e.code, s"SavedModel '$path' does not load: ${e.getMessage.replace(local, path)}")
        named.addSuppressed(e)
        throw named
    }
  }
}
