package io.sparkdl.model

import java.io.IOException
import java.nio.file.{FileVisitResult, Files, Path, Paths, SimpleFileVisitor}
import java.nio.file.attribute.BasicFileAttributes

import org.apache.hadoop.fs.{ChecksumFileSystem, FileSystem, Path => HadoopPath}

/**
 * The regular files under a directory (a SavedModel directory, a saved stage), listed without
 * following symbolic links: a link anywhere under it, or anything that is neither a regular
 * file nor a directory (a fifo, a socket, a device), is refused, naming it. A link in a saved
 * stage or a SavedModel could make sparkdl read (and copy into a stage saved again) a file
 * outside it, or loop. The directory itself may be a link: it is the user's own name.
 *
 * Local paths are walked with java.nio, which reads each entry's own attributes: Hadoop's local
 * filesystem lists a link as what it points to. Other Hadoop filesystems list links as such
 * (`FileStatus.isSymlink`).
 */
private[sparkdl] object DirectoryFiles {

  /** A regular file: its path relative to the directory, size and modification time. */
  final case class File(relative: String, size: Long, modified: Long)

  /** The regular files under `root` on `fs`, sorted by path; `path` is the user's name for it. */
  def list(fs: FileSystem, root: HadoopPath, path: String): Seq[File] = {
    val found =
      if (fs.getUri.getScheme == "file") local(Paths.get(fs.makeQualified(root).toUri), path, hidesChecksums = fs.isInstanceOf[ChecksumFileSystem])
      else hadoop(fs, fs.makeQualified(root), path)
    found.sortBy(_.relative)
  }

  private def refuse(path: String, relative: String, what: String): Nothing = throw new IllegalArgumentException(
    s"'${path.stripSuffix("/")}/$relative' is $what; sparkdl never follows links in a saved stage " +
      "or a SavedModel directory (one could lead outside it): put the file itself in its place"
  )

  // `hidesChecksums`: Hadoop's local filesystem keeps a `.<name>.crc` beside each file it writes
  // and lists only the files; so does this listing (links among them are still refused).
  private def local(root: Path, path: String, hidesChecksums: Boolean): Seq[File] = {
    val base = root.toRealPath()
    val files = Seq.newBuilder[File]
    // Without FileVisitOption.FOLLOW_LINKS: attributes are the entry's own, links are not entered.
    Files.walkFileTree(base, new SimpleFileVisitor[Path] {
      override def visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult = {
        val relative = base.relativize(file).toString
        if (attrs.isSymbolicLink) refuse(path, relative, "a symbolic link")
        if (!attrs.isRegularFile) refuse(path, relative, "neither a regular file nor a directory")
        if (!(hidesChecksums && ChecksumFileSystem.isChecksumFile(new HadoopPath(file.toUri)))) {
          files += File(relative, attrs.size, attrs.lastModifiedTime.toMillis)
        }
        FileVisitResult.CONTINUE
      }
      override def visitFileFailed(file: Path, e: IOException): FileVisitResult = throw e
    })
    files.result()
  }

  private def hadoop(fs: FileSystem, root: HadoopPath, path: String): Seq[File] = {
    val base = root.toUri.getPath.stripSuffix("/") + "/"
    def walk(dir: HadoopPath): Seq[File] = fs.listStatus(dir).toSeq.flatMap { s =>
      val relative = s.getPath.toUri.getPath.stripPrefix(base)
      if (s.isSymlink) refuse(path, relative, "a symbolic link")
      else if (s.isDirectory) walk(s.getPath)
      else if (s.isFile) Seq(File(relative, s.getLen, s.getModificationTime))
      else refuse(path, relative, "neither a regular file nor a directory")
    }
    walk(root)
  }
}
