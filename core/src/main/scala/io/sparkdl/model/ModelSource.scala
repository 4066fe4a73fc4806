package io.sparkdl.model

import java.io.{ByteArrayInputStream, ByteArrayOutputStream}
import java.nio.file.{Files, Path}
import java.security.MessageDigest
import java.util.Comparator
import java.util.zip.{ZipEntry, ZipInputStream, ZipOutputStream}

import scala.util.Using

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{Path => HadoopPath}

import io.sparkdl.tf.{Graph, MetaGraph, Output, SavedModel, Session, SessionConfig, Shape, Signature}

/**
 * A TF model as bytes, the form in which it is planned on the driver, broadcast to executors,
 * cached there by [[key]] (a content hash) and persisted with ML stages: a frozen GraphDef, or a
 * SavedModel directory packed into one archive.
 */
sealed trait ModelSource extends Serializable {

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
 * the tags of the meta graph to load. Executors unpack it into a temporary directory only for
 * the load: TF holds the variables in the session afterwards.
 */
final class SavedModelArchive(val archive: Array[Byte], val tags: Seq[String]) extends ModelSource {
  require(archive != null && archive.nonEmpty, "the SavedModel archive is empty")
  require(tags.nonEmpty, "a SavedModel is loaded with at least one tag")

  // Of the files and tags, not the zip bytes (whose timestamps differ from one packing to the next).
  @transient private lazy val hash = {
    val parts = Seq.newBuilder[Array[Byte]]
    SavedModelArchive.foreachEntry(archive) { (name, in) =>
      parts += name.getBytes("UTF-8")
      parts += ModelSource.sha256(in.readAllBytes()).getBytes("UTF-8")
    }
    parts += tags.mkString("\u0000").getBytes("UTF-8")
    ModelSource.sha256(parts.result(): _*)
  }
  @transient private lazy val metaGraph = MetaGraph.fromSavedModelProto(
    SavedModelArchive.entry(archive, SavedModelArchive.ProtoFile).getOrElse {
      throw new IllegalArgumentException(s"the SavedModel archive holds no ${SavedModelArchive.ProtoFile}")
    },
    tags
  )

  def key: String = hash
  def graphDef: Array[Byte] = metaGraph.graphDef
  def signatures: Map[String, Signature] = metaGraph.signatures
  def describe: String = s"SavedModel (tags ${tags.mkString(",")}, ${archive.length} bytes packed)"
  @transient lazy val sizeBytes: Long = {
    var total = 0L
    SavedModelArchive.foreachEntry(archive)((_, in) => total += in.transferTo(java.io.OutputStream.nullOutputStream()))
    total
  }

  private[sparkdl] def load(config: SessionConfig): ModelSource.Loaded = {
    val dir = Files.createTempDirectory("sparkdl-savedmodel-")
    try {
      SavedModelArchive.unpack(archive, dir)
      val model = SavedModel.load(dir.toString, tags, config)
      new ModelSource.Loaded(model.graph, model.session, model)
    } finally SavedModelArchive.deleteTree(dir)
  }
}

object SavedModelArchive {
  val ProtoFile = "saved_model.pb"

  def apply(archive: Array[Byte], tags: Seq[String]): SavedModelArchive = new SavedModelArchive(archive, tags)

  /** Packs the SavedModel directory at `path` on any Hadoop filesystem (or a local path). */
  def fromDirectory(
      path: String,
      tags: Seq[String] = Seq(SavedModel.ServeTag),
      hadoopConf: Configuration = new Configuration()
  ): SavedModelArchive = {
    val root = new HadoopPath(path)
    val fs = root.getFileSystem(hadoopConf)
    if (!fs.exists(new HadoopPath(root, ProtoFile))) {
      throw new IllegalArgumentException(
        s"'$path' is not a SavedModel directory: it has no $ProtoFile"
      )
    }
    val base = fs.getFileStatus(root).getPath.toUri.getPath.stripSuffix("/") + "/"
    val bytes = new ByteArrayOutputStream()
    Using.resource(new ZipOutputStream(bytes)) { zip =>
      val files = fs.listFiles(root, true)
      val paths = Iterator.continually(files).takeWhile(_.hasNext).map(_.next().getPath).toSeq
      paths.sortBy(_.toUri.getPath).foreach { p =>
        zip.putNextEntry(new ZipEntry(p.toUri.getPath.stripPrefix(base)))
        Using.resource(fs.open(p))(_.transferTo(zip))
        zip.closeEntry()
      }
    }
    SavedModelArchive(bytes.toByteArray, tags)
  }

  /** Writes the archive's files under `dir`. */
  def unpack(archive: Array[Byte], dir: Path): Unit = {
    val root = dir.toAbsolutePath.normalize
    foreachEntry(archive) { (name, in) =>
      val target = root.resolve(name).normalize
      // An entry must not escape the directory ("../x").
      if (!target.startsWith(root)) throw new IllegalArgumentException(s"bad archive entry '$name'")
      Files.createDirectories(target.getParent)
      Files.copy(in, target)
    }
  }

  /** Calls `f(name, contents)` for each file of the archive, in order. */
  private[model] def foreachEntry(archive: Array[Byte])(f: (String, java.io.InputStream) => Unit): Unit =
    Using.resource(new ZipInputStream(new ByteArrayInputStream(archive))) { zip =>
      Iterator.continually(zip.getNextEntry).takeWhile(_ != null).filterNot(_.isDirectory).foreach { e =>
        f(e.getName, zip)
      }
    }

  /** The archive's files: relative path -> contents. */
  def files(archive: Array[Byte]): Seq[(String, Array[Byte])] = {
    val out = Seq.newBuilder[(String, Array[Byte])]
    foreachEntry(archive)((name, in) => out += name -> in.readAllBytes())
    out.result()
  }

  private[model] def entry(archive: Array[Byte], name: String): Option[Array[Byte]] = {
    var found: Option[Array[Byte]] = None
    foreachEntry(archive)((n, in) => if (n == name && found.isEmpty) found = Some(in.readAllBytes()))
    found
  }

  private[sparkdl] def deleteTree(dir: Path): Unit =
    if (Files.exists(dir)) {
      Using.resource(Files.walk(dir))(_.sorted(Comparator.reverseOrder[Path]()).forEach(p => Files.delete(p)))
    }
}
