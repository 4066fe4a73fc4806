package io.sparkdl.model

import java.io.{ByteArrayInputStream, ByteArrayOutputStream}
import java.nio.file.{Files, Path}
import java.security.MessageDigest
import java.util.Comparator
import java.util.zip.{ZipEntry, ZipInputStream, ZipOutputStream}

import scala.util.Using

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{Path => HadoopPath}

import io.sparkdl.tf.{Graph, Output, SavedModel, Session, SessionConfig, Shape, Signature}

/**
 * A TF model as it is planned on the driver, broadcast to executors, cached there by [[key]] (a
 * content hash or fingerprint) and persisted with ML stages: a frozen GraphDef, a SavedModel
 * directory packed into one archive, or a SavedModel that executors read by path
 * ([[SavedModelReference]]). Only these three: matches on the kind end with them.
 */
trait ModelSource extends Serializable {

  /** The content hash that keys executor session caches. */
  def key: String

  /** The graph to inspect and plan against (for a SavedModel, its meta graph's). */
  def graphDef: Array[Byte]

  /** The SavedModel's signatures (none for a frozen graph). */
  def signatures: Map[String, Signature]

  /** What the model is, for error messages. */
  def describe: String

  /** The model's bytes (a SavedModel's unpacked files): what executors' session caches count a
   * loaded session as. */
  def sizeBytes: Long

  /** Loads a graph and a session over it, ready to run. */
  private[sparkdl] def load(config: SessionConfig): ModelSource.Loaded

  /** Static shapes the graph may not know: a SavedModel's signature tensors (TF2 function calls). */
  @transient private lazy val signatureShapes: Map[String, Shape] =
    signatures.values.flatMap(s => s.inputs.values ++ s.outputs.values).map(t => t.name -> t.shape).toMap

  /** The static shape of `out`: the graph's, or the signature's where the graph knows no rank. */
  def staticShape(out: Output): Shape = {
    val static = out.shape
    if (static.hasKnownRank) static else signatureShapes.getOrElse(out.name, static)
  }

  /** The planning graph, closed after `f`. Each call imports the GraphDef: plan once per call. */
  def withGraph[T](f: Graph => T): T = {
    ModelSource.graphImports.incrementAndGet()
    Using.resource(Graph.fromGraphDef(graphDef))(f)
  }
}

object ModelSource {

  /** A loaded model: closing it closes the session, then the graph. */
  final class Loaded private[model] (val graph: Graph, val session: Session, closer: AutoCloseable)
      extends AutoCloseable {
    override def close(): Unit = closer.close()
  }

  // Planning graphs imported in this JVM: tests check that a call plans once.
  private[sparkdl] val graphImports = new java.util.concurrent.atomic.AtomicLong()

  private[sparkdl] def sha256(parts: Array[Byte]*): String = {
    val digest = MessageDigest.getInstance("SHA-256")
    parts.foreach(p => digest.update(p))
    digest.digest().map("%02x".format(_)).mkString
  }
}

/** A frozen GraphDef (variables folded into constants), e.g. a `.pb` file's bytes. */
final class FrozenGraph(val bytes: Array[Byte]) extends ModelSource {
  require(bytes != null && bytes.nonEmpty, "graphDef is empty")

  @transient private lazy val hash = ModelSource.sha256(bytes)
  def key: String = hash
  def graphDef: Array[Byte] = bytes
  def signatures: Map[String, Signature] = Map.empty
  def describe: String = s"frozen GraphDef (${bytes.length} bytes)"
  def sizeBytes: Long = bytes.length.toLong

  private[sparkdl] def load(config: SessionConfig): ModelSource.Loaded = {
    val graph = Graph.fromGraphDef(bytes)
    val session =
      try Session(graph, config)
      catch { case e: Throwable => graph.close(); throw e }
    new ModelSource.Loaded(graph, session, () => try session.close() finally graph.close())
  }
}

object FrozenGraph {
  def apply(bytes: Array[Byte]): FrozenGraph = new FrozenGraph(bytes)

  /** The GraphDef file at `path` on any Hadoop filesystem (a local path works too). */
  def fromFile(path: String, hadoopConf: Configuration = new Configuration()): FrozenGraph = {
    val p = new HadoopPath(path)
    val fs = p.getFileSystem(hadoopConf)
    if (!fs.exists(p)) throw new IllegalArgumentException(s"GraphDef file '$path' does not exist")
    if (fs.getFileStatus(p).isDirectory) {
      throw new IllegalArgumentException(
        s"GraphDef file '$path' is a directory; expected a frozen GraphDef file (.pb) " +
          "(for a SavedModel directory, use fromSavedModel)"
      )
    }
    FrozenGraph(Using.resource(fs.open(p))(_.readAllBytes()))
  }
}

/**
 * A SavedModel directory (saved_model.pb, variables/, assets/) packed into a zip archive, with
 * the tags of the meta graph to load; `origin` names where it came from in errors. Executors
 * unpack it into a private temporary directory only for the load: TF holds the variables in the
 * session afterwards. For models too big to hold in memory, see [[SavedModelReference]].
 */
final class SavedModelArchive(val archive: Array[Byte], val tags: Seq[String], val origin: String) extends ModelSource {
  require(archive != null && archive.nonEmpty, "the SavedModel archive is empty")
  SavedModelFiles.checkTags(tags, origin)

  def this(archive: Array[Byte], tags: Seq[String]) = this(archive, tags, "the SavedModel archive")

  // Of the files and tags, not the zip bytes (whose timestamps differ from one packing to the next).
  @transient private lazy val hash = {
    val parts = Seq.newBuilder[Array[Byte]]
    SavedModelArchive.foreachEntry(archive, origin) { (name, in) =>
      parts += name.getBytes("UTF-8")
      parts += ModelSource.sha256(in.readAllBytes()).getBytes("UTF-8")
    }
    parts += tags.mkString("\u0000").getBytes("UTF-8")
    ModelSource.sha256(parts.result(): _*)
  }
  @transient private lazy val metaGraph = SavedModelFiles.metaGraph(
    SavedModelArchive.entry(archive, SavedModelArchive.ProtoFile, origin).getOrElse {
      throw new IllegalArgumentException(s"$origin holds no ${SavedModelArchive.ProtoFile}")
    },
    tags,
    s"$origin/${SavedModelArchive.ProtoFile}"
  )

  def key: String = hash
  def graphDef: Array[Byte] = metaGraph.graphDef
  def signatures: Map[String, Signature] = metaGraph.signatures
  def describe: String = s"SavedModel (tags ${tags.mkString(",")}, ${archive.length} bytes packed)"
  @transient lazy val sizeBytes: Long = {
    var total = 0L
    SavedModelArchive.foreachEntry(archive, origin)((_, in) => total += in.transferTo(java.io.OutputStream.nullOutputStream()))
    total
  }

  /** The archive's meta graph has what it needs to load: an error naming [[origin]] otherwise. */
  def check(): Unit = {
    val names = Seq.newBuilder[String]
    SavedModelArchive.foreachEntry(archive, origin)((n, _) => names += n)
    SavedModelFiles.missingVariables(metaGraph, names.result(), origin).foreach(m => throw new IllegalArgumentException(m))
  }

  private[sparkdl] def load(config: SessionConfig): ModelSource.Loaded = {
    Using.resource(LoadDirectories.acquire()) { dir =>
      SavedModelArchive.unpack(archive, dir.path, origin)
      val model = SavedModelFiles.load(dir.path, origin, tags, config)
      new ModelSource.Loaded(model.graph, model.session, model)
    }
  }
}

object SavedModelArchive {
  val ProtoFile: String = SavedModelFiles.ProtoFile

  // Bytes packed into archives in this JVM: tests check that a model read by path is never packed.
  private[sparkdl] val packedBytes = new java.util.concurrent.atomic.AtomicLong()

  def apply(archive: Array[Byte], tags: Seq[String]): SavedModelArchive = new SavedModelArchive(archive, tags)

  def apply(archive: Array[Byte], tags: Seq[String], origin: String): SavedModelArchive =
    new SavedModelArchive(archive, tags, origin)

  /**
   * Packs the SavedModel directory at `path` on any Hadoop filesystem (or a local path), checked
   * to hold the tagged meta graph and, if its graph has variables, their files, and no symbolic
   * link ([[DirectoryFiles]]).
   */
  def fromDirectory(
      path: String,
      tags: Seq[String] = Seq(SavedModel.ServeTag),
      hadoopConf: Configuration = new Configuration()
  ): SavedModelArchive = {
    SavedModelFiles.checkTags(tags, s"the SavedModel '$path'")
    val root = new HadoopPath(path)
    val fs = root.getFileSystem(hadoopConf)
    val files = SavedModelFiles.checkDirectory(fs, root, path)
    val bytes = new ByteArrayOutputStream()
    Using.resource(new ZipOutputStream(bytes)) { zip =>
      files.foreach { f =>
        zip.putNextEntry(new ZipEntry(f.relative))
        Using.resource(fs.open(ArchiveEntries.hadoop(root, f.relative, s"file '${f.relative}' of '$path'")))(_.transferTo(zip))
        zip.closeEntry()
      }
    }
    packedBytes.addAndGet(bytes.size.toLong)
    val archive = SavedModelArchive(bytes.toByteArray, tags, path)
    archive.check()
    archive
  }

  /**
   * Writes the archive's files under `dir`, each through [[ArchiveEntries]]: entries that would
   * leave it (`..`, absolute paths, symbolic links, duplicates) are refused, symbolic links
   * before anything is written.
   */
  def unpack(archive: Array[Byte], dir: Path, origin: String = "the SavedModel archive"): Unit = {
    val root = dir.toAbsolutePath.normalize
    foreachEntry(archive, origin) { (name, in) =>
      val target = ArchiveEntries.local(root, name, s"entry '$name' of $origin")
      Files.createDirectories(target.getParent)
      Files.copy(in, target)
    }
  }

  /**
   * Calls `f(name, contents)` for each file of the archive, in order, its name checked and
   * normalized by [[ArchiveEntries]]; an archive with a symbolic link entry is refused before
   * the first call. `origin` names the archive in errors.
   */
  private[model] def foreachEntry(archive: Array[Byte], origin: String = "the SavedModel archive")(
      f: (String, java.io.InputStream) => Unit
  ): Unit = {
    ArchiveEntries.checkNoLinks(archive, origin)
    val seen = new ArchiveEntries.Seen(origin)
    Using.resource(new ZipInputStream(new ByteArrayInputStream(archive))) { zip =>
      def next() =
        try zip.getNextEntry
        catch {
          case e: java.util.zip.ZipException =>
            throw new IllegalArgumentException(s"$origin is not a valid zip archive (${e.getMessage})", e)
        }
      Iterator.continually(next()).takeWhile(_ != null).foreach { e =>
        if (e.isDirectory) seen.directory(e.getName) else f(seen.file(e.getName), zip)
      }
    }
  }

  /** The archive's files: relative path -> contents. */
  def files(archive: Array[Byte], origin: String = "the SavedModel archive"): Seq[(String, Array[Byte])] = {
    val out = Seq.newBuilder[(String, Array[Byte])]
    foreachEntry(archive, origin)((name, in) => out += name -> in.readAllBytes())
    out.result()
  }

  private[model] def entry(archive: Array[Byte], name: String, origin: String): Option[Array[Byte]] = {
    var found: Option[Array[Byte]] = None
    foreachEntry(archive, origin)((n, in) => if (n == name && found.isEmpty) found = Some(in.readAllBytes()))
    found
  }

  private[sparkdl] def deleteTree(dir: Path): Unit =
    if (Files.exists(dir)) {
      Using.resource(Files.walk(dir))(_.sorted(Comparator.reverseOrder[Path]()).forEach(p => Files.delete(p)))
    }
}
