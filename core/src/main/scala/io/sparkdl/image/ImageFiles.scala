package io.sparkdl.image

import java.nio.file.Paths

import scala.collection.mutable
import scala.util.control.NonFatal

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileStatus, FileSystem, Path}

/**
 * The files `readImages` reads, listed on the driver: each visible file (names starting with "."
 * or "_" are hidden, as to Spark's file sources) directly in the folders `path` names, and with
 * `recursive` in their sub-folders.
 *
 * Links are followed, and each folder is listed once, by its real path (on the local
 * filesystem; elsewhere, by its path): a link to a folder already listed, as `self -> .` or
 * `sub/up -> ..`, adds nothing, so link loops end. A link to a file is a file of its own name;
 * a link to nothing is skipped.
 */
private[image] object ImageFiles {

  /** The files' statuses (qualified paths), sorted by path. */
  def statuses(path: String, hadoopConf: Configuration, recursive: Boolean): Seq[FileStatus] = {
    val p = new Path(path)
    val fs = p.getFileSystem(hadoopConf)
    val matched = Option(fs.globStatus(p)).map(_.toSeq).getOrElse(Nil) // the user's own glob
    if (matched.isEmpty) {
      throw new IllegalArgumentException(s"readImages: path '$path' does not exist")
    }
    val files = mutable.ArrayBuffer[FileStatus]()
    val listed = mutable.HashSet[String]()
    val pending = mutable.Queue[Path]()
    matched.foreach { s =>
      if (s.isDirectory) pending += s.getPath
      else if (visible(s)) files += s
    }
    while (pending.nonEmpty) {
      val dir = pending.dequeue()
      if (listed.add(realPath(fs, dir))) {
        fs.listStatus(dir).filter(visible).foreach { s =>
          if (s.isFile) files += s
          else if (s.isDirectory && recursive) pending += s.getPath
        }
      }
    }
    files.groupBy(_.getPath.toString).values.map(_.head).toSeq.sortBy(_.getPath.toString)
  }

  private def visible(s: FileStatus): Boolean = {
    val name = s.getPath.getName
    !name.startsWith(".") && !name.startsWith("_")
  }

  private def realPath(fs: FileSystem, dir: Path): String = {
    val qualified = fs.makeQualified(dir)
    if (qualified.toUri.getScheme != "file") qualified.toString
    else {
      try Paths.get(qualified.toUri).toRealPath().toString
      catch { case NonFatal(_) => qualified.toString } // gone meanwhile: listing it will say so
    }
  }
}
