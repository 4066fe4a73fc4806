package io.sparkdl.model

import java.nio.file.{Files, LinkOption, Path}

import scala.collection.mutable

import org.apache.hadoop.fs.{Path => HadoopPath}

/**
 * The one checked way from an archive entry's name to a file under a root directory. Every place
 * that reads a SavedModel archive's entries (executors unpacking it for TF's load, `TFModel.save`
 * writing it into a saved stage, executors copying a by-path model's files) goes through here,
 * so an archive from anywhere (a Spark Connect client's wire-format model, a saved stage) never
 * writes outside the root it is unpacked or saved under.
 *
 * A name is accepted when it is a relative path of plain segments: not empty, not absolute, no
 * `..` segment, no backslash (some filesystems read it as a separator), no ':' (Hadoop paths
 * cannot hold one, and a first segment with one reads as a URI scheme), no NUL. `.` and empty
 * segments are dropped, so `./a//b` is `a/b`. An archive is refused whole when it holds a
 * symbolic link entry, two entries of one name, or a name that is both a file and a directory.
 */
private[sparkdl] object ArchiveEntries {

  /** `name` as a normalized relative path (`a/b`); `what` names the entry for the error. */
  def relative(name: String, what: => String): String = {
    def refuse(why: String): Nothing = throw new IllegalArgumentException(s"$what is refused: $why")
    if (name == null || name.isEmpty) refuse("it has an empty name")
    if (name.startsWith("/")) refuse("an absolute path would leave its directory")
    if (name.contains("\\")) refuse("it holds a backslash, which some filesystems read as a separator")
    if (name.contains(":")) refuse("it holds a ':', which Hadoop paths cannot hold (and 'x:' reads as a URI scheme)")
    if (name.contains("\u0000")) refuse("it holds a NUL character")
    val segments = name.split('/').filterNot(s => s.isEmpty || s == ".")
    if (segments.contains("..")) refuse("'..' could lead outside its directory")
    if (segments.isEmpty) refuse("it names the directory itself, not a file in it")
    segments.mkString("/")
  }

  /**
   * The checks that need the whole archive, for one pass over its entries: `names` seen so far
   * refuse a duplicate or a name that is both a file and a directory.
   */
  final class Seen(origin: String) {
    private val files = mutable.HashSet.empty[String]
    private val dirs = mutable.HashSet.empty[String]

    /** `raw`'s checked relative name, refused if seen before or clashing with a directory. */
    def file(raw: String): String = {
      val name = relative(raw, entry(raw))
      val parents = name.split('/').inits.toSeq.drop(1).filter(_.nonEmpty).map(_.mkString("/"))
      if (files.contains(name)) refuse(raw, "it is a duplicate entry")
      if (dirs.contains(name)) refuse(raw, s"'$name' is also a directory of the archive")
      parents.find(files.contains).foreach(p => refuse(raw, s"'$p' is also a file of the archive"))
      files += name
      dirs ++= parents
      name
    }

    /** A directory entry: its name is checked, nothing else (directories are made as needed). */
    def directory(raw: String): Unit = if (raw.split('/').exists(s => s.nonEmpty && s != ".")) {
      val name = relative(raw, entry(raw))
      if (files.contains(name)) refuse(raw, s"'$name' is also a file of the archive")
      dirs ++= name.split('/').inits.filter(_.nonEmpty).map(_.mkString("/"))
    }

    def entry(raw: String): String = s"entry '$raw' of $origin"

    private def refuse(raw: String, why: String): Nothing =
      throw new IllegalArgumentException(s"${entry(raw)} is refused: $why")
  }

  /** Refuses an archive with a symbolic link entry (before any of its entries is used). */
  def checkNoLinks(archive: Array[Byte], origin: String): Unit =
    ZipEntries.symbolicLinks(archive).headOption.foreach { name =>
      throw new IllegalArgumentException(
        s"entry '$name' of $origin is refused: it is a symbolic link, which could lead outside its directory"
      )
    }

  /**
   * Local file `root/name` for checked name `name`, refused when a directory on the way is a
   * symbolic link or the file exists already.
   */
  def local(root: Path, name: String, what: => String): Path = {
    val base = root.toAbsolutePath.normalize
    val target = base.resolve(relative(name, what)).normalize
    def refuse(why: String): Nothing = throw new IllegalArgumentException(s"$what is refused: $why")
    if (!target.startsWith(base) || target == base) refuse("it would lead outside its directory")
    var p = target.getParent
    while (p != null && p.startsWith(base) && p != base) {
      if (Files.isSymbolicLink(p)) refuse(s"'${base.relativize(p)}' is a symbolic link, which could lead outside its directory")
      p = p.getParent
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) refuse("it is a duplicate entry")
    target
  }

  /** Hadoop path `root/name` for checked name `name` (any Hadoop filesystem). */
  def hadoop(root: HadoopPath, name: String, what: => String): HadoopPath = {
    val target = relative(name, what).split('/').foldLeft(root)((p, s) => new HadoopPath(p, s))
    val base = root.toUri.getPath.stripSuffix("/") + "/"
    if (!target.toUri.getPath.startsWith(base) || target.toUri.getScheme != root.toUri.getScheme) {
      throw new IllegalArgumentException(s"$what is refused: it would lead outside its directory")
    }
    target
  }
}
