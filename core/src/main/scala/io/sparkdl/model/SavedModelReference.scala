package io.sparkdl.model

import java.nio.file.{Files, Paths}
import java.time.Instant

import scala.util.Using

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path => HadoopPath}

import org.apache.spark.util.SerializableConfiguration

import io.sparkdl.tf.{SavedModel, SessionConfig, Signature}

/**
 * A SavedModel directory on a Hadoop filesystem that each executor reads itself, by path: for
 * models too big to hold in the driver's memory and broadcast (VGG16's variables are 530 MB).
 * The driver reads only `saved_model.pb`, to plan; tasks carry the path, the tags and the
 * directory's [[fingerprint]] (each file's size and modification time), which is also the
 * session cache's [[key]]. An executor checks the fingerprint, reads the files (a local
 * directory in place; any other filesystem copied into a private local directory, deleted after
 * the load), checks the fingerprint again, and loads. Files that changed since the model was
 * planned are refused, naming the file: a job never mixes two versions of a model.
 */
final class SavedModelReference private (
    val path: String,
    val tags: Seq[String],
    val fingerprint: Seq[SavedModelReference.FileStamp],
    hadoopConf: SerializableConfiguration
) extends ModelSource {
  import SavedModelFiles.ProtoFile
  import SavedModelReference._

  @transient private lazy val hash = ModelSource.sha256(
    (path +: tags.mkString("\u0000") +: fingerprint.map(_.toString)).map(_.getBytes("UTF-8")): _*
  )

  @transient private lazy val metaGraph = {
    val root = new HadoopPath(path)
    val bytes = Using.resource(root.getFileSystem(hadoopConf.value).open(new HadoopPath(root, ProtoFile)))(_.readAllBytes())
    SavedModelFiles.metaGraph(bytes, tags, s"$path/$ProtoFile")
  }

  def key: String = hash
  def graphDef: Array[Byte] = metaGraph.graphDef
  def signatures: Map[String, Signature] = metaGraph.signatures
  def describe: String = s"SavedModel '$path' (tags ${tags.mkString(",")}, ${totalBytes} bytes read by each executor)"

  /** The directory's size in bytes. */
  def totalBytes: Long = fingerprint.map(_.size).sum

  /** What the executors' session caches count a loaded session of this model as. */
  def sizeBytes: Long = totalBytes

  private[sparkdl] def hadoopConfiguration: Configuration = hadoopConf.value

  private[sparkdl] def load(config: SessionConfig): ModelSource.Loaded = {
    val root = new HadoopPath(path)
    val fs = root.getFileSystem(hadoopConf.value)
    checkUnchanged(fs, root)
    if (fs.getUri.getScheme == "file") {
      val model = SavedModelFiles.load(Paths.get(fs.makeQualified(root).toUri), path, tags, config)
      try checkUnchanged(fs, root) catch { case e: Throwable => model.close(); throw e }
      new ModelSource.Loaded(model.graph, model.session, model)
    } else {
      Using.resource(LoadDirectories.acquire()) { dir =>
        fingerprint.foreach { f =>
          val what = s"file '${f.file}' of SavedModel '$path'"
          val target = ArchiveEntries.local(dir.path, f.file, what)
          Files.createDirectories(target.getParent)
          Using.resource(fs.open(ArchiveEntries.hadoop(root, f.file, what)))(in => Files.copy(in, target))
        }
        checkUnchanged(fs, root)
        val model = SavedModelFiles.load(dir.path, path, tags, config)
        new ModelSource.Loaded(model.graph, model.session, model)
      }
    }
  }

  /** The meta graph has what it needs to load: an error naming `path` otherwise. */
  def check(path: String): Unit =
    SavedModelFiles.missingVariables(metaGraph, fingerprint.map(_.file), path)
      .foreach(m => throw new IllegalArgumentException(m))

  /** The directory packed into an archive, read now (for what needs the bytes: training). */
  def toArchive: SavedModelArchive = SavedModelArchive.fromDirectory(path, tags, hadoopConf.value)

  private def checkUnchanged(fs: FileSystem, root: HadoopPath): Unit = {
    val now = stamps(fs, root)
    if (now != fingerprint) {
      val before = fingerprint.map(f => f.file -> f).toMap
      val after = now.map(f => f.file -> f).toMap
      val changes = (before.keySet ++ after.keySet).toSeq.sorted.flatMap { file =>
        (before.get(file), after.get(file)) match {
          case (Some(b), Some(a)) if a != b => Some(s"$file was ${b.describe}, is now ${a.describe}")
          case (Some(_), None) => Some(s"$file was deleted")
          case (None, Some(_)) => Some(s"$file was added")
          case _ => None
        }
      }
      throw new IllegalStateException(
        s"SavedModel '$path' changed after the model was read on the driver: ${changes.take(3).mkString("; ")}; " +
          "its files must not change while a model made from them is in use: read it again " +
          "(TFModel.fromSavedModelPath, or create the stage again) to use the new files"
      )
    }
  }
}

object SavedModelReference {

  /** One file of the directory: its path relative to the directory, size and modification time. */
  final case class FileStamp(file: String, size: Long, modified: Long) {
    def describe: String = s"$size bytes modified ${Instant.ofEpochMilli(modified)}"
  }

  /** The SavedModel directory `path` (any Hadoop filesystem the executors can read), `tags`. */
  def apply(
      path: String,
      tags: Seq[String] = Seq(SavedModel.ServeTag),
      hadoopConf: Configuration = new Configuration()
  ): SavedModelReference = {
    SavedModelFiles.checkTags(tags, path)
    val root = new HadoopPath(path)
    val fs = root.getFileSystem(hadoopConf)
    val qualified = fs.makeQualified(root)
    val files = SavedModelFiles.checkDirectory(fs, qualified, path)
    val fingerprint = files.map(f => FileStamp(f.relative, f.size, f.modified))
    new SavedModelReference(qualified.toString, tags, fingerprint, new SerializableConfiguration(hadoopConf))
  }

  // Listed without following links (DirectoryFiles): on the driver and again on each executor.
  private def stamps(fs: FileSystem, root: HadoopPath): Seq[FileStamp] =
    DirectoryFiles.list(fs, root, root.toString).map(f => FileStamp(f.relative, f.size, f.modified))
}
