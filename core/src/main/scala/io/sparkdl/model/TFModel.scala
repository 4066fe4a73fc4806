package io.sparkdl.model

import java.nio.charset.StandardCharsets.UTF_8

import scala.util.Using
import scala.util.control.NonFatal

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path}
import org.json4s.{DefaultFormats, JString}
import org.json4s.JsonDSL._
import org.json4s.jackson.JsonMethods.{compact, parse, render}

import io.sparkdl.tf.{Graph, Output, SavedModel, Signature}

/**
 * The model every sparkdl stage and SQL function runs: a frozen GraphDef (inputs and outputs
 * named by tensor, "op" or "op:0") or a SavedModel with a signature (inputs and outputs named by
 * signature key, or by tensor). Immutable; its bytes are held in memory, so a stage carrying it
 * is self-contained.
 */
final class TFModel private (val source: ModelSource, val signatureKey: Option[String]) extends Serializable {
  signatureKey.foreach(k => source.signatures.getOrElse(k, signatureMissing(k)))

  /** The signature inputs and outputs are resolved through, if any. */
  def signature: Option[Signature] = signatureKey.map(source.signatures)

  /** The names inputs can be given by: signature input keys, or the graph's placeholders. */
  def inputNames: Seq[String] = signature match {
    case Some(s) => s.inputs.keys.toSeq.sorted
    case None => source.withGraph(BindingNames.placeholders)
  }

  /** The signature's output keys (empty for a frozen graph: any tensor can be fetched). */
  def outputNames: Seq[String] = signature.map(_.outputs.keys.toSeq.sorted).getOrElse(Nil)

  /** The tensor input `name` means: a signature input key, else a tensor name. */
  def inputTensor(name: String): String =
    signature.flatMap(_.inputs.get(name)).map(_.name).getOrElse(name)

  /** The tensor output `name` means: a signature output key, else a tensor name. */
  def outputTensor(name: String): String =
    signature.flatMap(_.outputs.get(name)).map(_.name).getOrElse(name)

  /**
   * The program feeding each model input from its column (`inputs`: column -> model input) and
   * fetching each model output into its column (`outputs`: model output -> column, in order).
   */
  def program(inputs: Seq[(String, String)], outputs: Seq[(String, String)]): GraphProgram = {
    val feedDict = inputs.map { case (column, input) =>
      val tensor = inputTensor(input)
      val (op, index) = Output.parseName(tensor)
      if (index != 0) {
        throw new IllegalArgumentException(s"model input '$input' ($tensor) is not a placeholder's output 0")
      }
      op -> column
    }
    GraphProgram.of(source, outputs.map(o => outputTensor(o._1)), outputs.map(_._2), feedDict.toMap)
  }

  /** What may name an input, for errors: the signature's input keys, or the placeholders. */
  def expectedInputs(graph: Graph): String = signature match {
    case Some(s) =>
      s"one of signature '${s.key}' inputs: ${s.inputs.keys.toSeq.sorted.mkString(", ")} (or a placeholder tensor name)"
    case None => s"a placeholder of the graph: ${BindingNames.placeholders(graph).mkString(", ")}"
  }

  /** What may name an output, for errors: the signature's output keys, or any tensor. */
  def expectedOutputs(graph: Graph): String = signature match {
    case Some(s) =>
      s"one of signature '${s.key}' outputs: ${s.outputs.keys.toSeq.sorted.mkString(", ")} (or a tensor name)"
    case None => "a tensor of the graph ('op' or 'op:index')"
  }

  def describe: String = source.describe + signatureKey.map(k => s", signature '$k'").getOrElse("")

  override def toString: String = s"TFModel($describe)"

  override def equals(other: Any): Boolean = other match {
    case m: TFModel => m.source.key == source.key && m.signatureKey == signatureKey
    case _ => false
  }

  override def hashCode: Int = (source.key, signatureKey).hashCode

  /** Writes the model under `path` (a directory on any Hadoop filesystem); see [[TFModel.load]]. */
  def save(path: String, hadoopConf: Configuration = new Configuration()): Unit = {
    val dir = new Path(path)
    val fs = dir.getFileSystem(hadoopConf)
    val kind = source match {
      case g: FrozenGraph =>
        write(fs, new Path(dir, TFModel.GraphFile), g.bytes)
        ("kind" -> "frozen_graph") ~ ("tags" -> List.empty[String])
      case s: SavedModelArchive =>
        val root = new Path(dir, TFModel.SavedModelDir)
        // Every entry read and checked before the first is written (ArchiveEntries).
        SavedModelArchive.files(s.archive, s.origin).foreach { case (name, bytes) =>
          write(fs, ArchiveEntries.hadoop(root, name, s"entry '$name' of ${s.origin}"), bytes)
        }
        ("kind" -> "saved_model") ~ ("tags" -> s.tags.toList)
      case r: SavedModelReference => // streamed file by file: the model is never held in memory
        val from = new Path(r.path)
        val fromFs = from.getFileSystem(r.hadoopConfiguration)
        val root = new Path(dir, TFModel.SavedModelDir)
        r.fingerprint.foreach { f =>
          val what = s"file '${f.file}' of SavedModel '${r.path}'"
          Using.resource(fromFs.open(ArchiveEntries.hadoop(from, f.file, what))) { in =>
            Using.resource(fs.create(ArchiveEntries.hadoop(root, f.file, what), false))(in.transferTo)
          }
        }
        ("kind" -> "saved_model") ~ ("tags" -> r.tags.toList)
      case other => throw new IllegalArgumentException(s"cannot save ${other.describe}")
    }
    val meta = kind ~ ("signature" -> signatureKey.map(JString(_)).getOrElse(org.json4s.JNull))
    write(fs, new Path(dir, TFModel.MetaFile), compact(render(meta)).getBytes(UTF_8))
  }

  private def write(fs: FileSystem, p: Path, bytes: Array[Byte]): Unit =
    Using.resource(fs.create(p, false))(_.write(bytes))

  private def signatureMissing(key: String): Nothing = throw new IllegalArgumentException(
    s"${source.describe} has no signature '$key'; its signatures: " +
      source.signatures.keys.toSeq.filterNot(_.startsWith("__")).sorted.mkString(", ")
  )
}

object TFModel {
  private val GraphFile = "graph.pb"
  private val SavedModelDir = "saved_model"
  private val MetaFile = "model.json"

  /** A frozen GraphDef's bytes. */
  def fromGraphDef(graphDef: Array[Byte]): TFModel = new TFModel(FrozenGraph(graphDef), None)

  /** The frozen GraphDef file at `path` (any Hadoop filesystem). */
  def fromGraphDefFile(path: String, hadoopConf: Configuration = new Configuration()): TFModel =
    new TFModel(FrozenGraph.fromFile(path, hadoopConf), None)

  /**
   * Directories larger than this many bytes are read by the executors from their path
   * ([[fromSavedModelPath]]) rather than packed in the driver's memory and broadcast. System
   * property `sparkdl.savedModel.byPathAboveBytes`. Default: 268435456 (256 MiB).
   */
  def byPathAboveBytes: Long =
    sys.props.get("sparkdl.savedModel.byPathAboveBytes").map(_.toLong).getOrElse(256L << 20)

  /**
   * The SavedModel directory at `path` (any Hadoop filesystem), its meta graph tagged `tags`,
   * inputs and outputs resolved through signature `signatureKey`. Its files are read now and
   * broadcast to executors with the plan; a directory above [[byPathAboveBytes]] is read by the
   * executors from `path` instead (as [[fromSavedModelPath]] does), so `path` must then be on a
   * filesystem they can read.
   */
  def fromSavedModel(
      path: String,
      tags: Seq[String] = Seq(SavedModel.ServeTag),
      signatureKey: String = SavedModel.DefaultSignature,
      hadoopConf: Configuration = new Configuration()
  ): TFModel = new TFModel(savedModelSource(path, tags, hadoopConf, byPath = None), Option(signatureKey))

  /**
   * The SavedModel directory at `path` read by each executor from its path (a local path must
   * exist on every executor, e.g. a shared mount; any Hadoop filesystem they can read works): the
   * driver reads only `saved_model.pb`, never the variables, so models of any size work with a
   * small driver. Its files must not change while the model is in use: executors refuse a
   * directory whose files' sizes or modification times differ from those seen now.
   */
  def fromSavedModelPath(
      path: String,
      tags: Seq[String] = Seq(SavedModel.ServeTag),
      signatureKey: String = SavedModel.DefaultSignature,
      hadoopConf: Configuration = new Configuration()
  ): TFModel = new TFModel(savedModelSource(path, tags, hadoopConf, byPath = Some(true)), Option(signatureKey))

  /** The SavedModel at `path`, by path (`byPath`, or by default when big) or packed. */
  private def savedModelSource(path: String, tags: Seq[String], hadoopConf: Configuration, byPath: Option[Boolean]): ModelSource = {
    SavedModelFiles.checkTags(tags, s"the SavedModel '$path'")
    val root = new Path(path)
    val files = SavedModelFiles.checkDirectory(root.getFileSystem(hadoopConf), root, path)
    if (byPath.getOrElse(files.map(_.size).sum > byPathAboveBytes)) {
      val reference = SavedModelReference(path, tags, hadoopConf)
      reference.check(path)
      reference
    } else SavedModelArchive.fromDirectory(path, tags, hadoopConf)
  }

  /** Any model source; `signatureKey` only for SavedModels. */
  def fromSource(source: ModelSource, signatureKey: Option[String] = None): TFModel =
    new TFModel(source, signatureKey)

  /** Reads a model written by [[TFModel.save]]; a symbolic link anywhere in it is refused. */
  def load(path: String, hadoopConf: Configuration = new Configuration()): TFModel = {
    val dir = new Path(path)
    val fs = dir.getFileSystem(hadoopConf)
    val metaPath = new Path(dir, MetaFile)
    // No symbolic link anywhere in it, before anything is read.
    if (fs.exists(dir) && fs.getFileStatus(dir).isDirectory) DirectoryFiles.list(fs, dir, path)
    if (!fs.exists(metaPath)) throw new IllegalArgumentException(s"no sparkdl model in '$path': $MetaFile is missing")
    implicit val formats: DefaultFormats.type = DefaultFormats
    def corrupt(problem: String, cause: Throwable = null): Nothing = throw new IllegalArgumentException(
      s"sparkdl model file $metaPath $problem; expected JSON with fields kind ('frozen_graph' or " +
        "'saved_model'), tags (a non-empty list of strings for a SavedModel) and signature (a string or null)",
      cause
    )
    def firstLine(e: Throwable) = String.valueOf(e.getMessage).linesIterator.nextOption().getOrElse("")
    val text =
      try new String(Using.resource(fs.open(metaPath))(_.readAllBytes()), UTF_8)
      catch { case NonFatal(e) => corrupt(s"cannot be read (${firstLine(e)})", e) }
    val meta =
      try parse(text)
      catch { case NonFatal(e) => corrupt(s"is not valid JSON (${firstLine(e)})", e) }
    def field[T](name: String)(read: => T): T =
      try read catch { case NonFatal(e) => corrupt(s"has a bad field '$name' (${e.getMessage})", e) }
    val signature = field("signature")((meta \ "signature").extractOpt[String])
    field("kind")((meta \ "kind").extract[String]) match {
      case "frozen_graph" => new TFModel(FrozenGraph.fromFile(new Path(dir, GraphFile).toString, hadoopConf), None)
      case "saved_model" =>
        val tags = field("tags")((meta \ "tags").extract[List[String]])
        if (tags.isEmpty || tags.exists(_.isEmpty)) {
          corrupt(s"has tags ${tags.mkString("[", ", ", "]")}: SavedModel tags must be non-empty (e.g. [\"serve\"])")
        }
        new TFModel(savedModelSource(new Path(dir, SavedModelDir).toString, tags, hadoopConf, byPath = None), signature)
      case other => corrupt(s"names an unknown model kind '$other'")
    }
  }
}
