package io.sparkdl.model

import java.nio.file.{Files, LinkOption, Path}
import java.nio.file.attribute.PosixFilePermissions

/**
 * Temporary directories only this user can read or write (0700), for model files between a copy
 * and TF's load: on a shared host nobody else can read the model or swap a file in.
 */
private[sparkdl] object PrivateDirectory {

  def create(prefix: String): Path = {
    val dir =
      try Files.createTempDirectory(prefix, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
      catch { case _: UnsupportedOperationException => Files.createTempDirectory(prefix) } // not POSIX
    dir.toRealPath()
  }

  /**
   * `root/relative`, refused when it would leave `root`: `..` segments, an absolute path, or a
   * parent that is a symbolic link. `what` names the entry for the error.
   */
  def resolveInside(root: Path, relative: String, what: => String = ""): Path = {
    val base = root.toAbsolutePath.normalize
    def refuse(why: String): Nothing = throw new IllegalArgumentException(
      s"${if (what.isEmpty) s"entry '$relative'" else what} is refused: $why"
    )
    if (relative.isEmpty) refuse("it has an empty name")
    if (relative.startsWith("/") || relative.startsWith("\\") || relative.matches("^[A-Za-z]:.*")) refuse("an absolute path would leave its directory")
    val target = base.resolve(relative).normalize
    if (!target.startsWith(base) || target == base) refuse("'..' would lead outside its directory")
    var p = target.getParent
    while (p != null && p.startsWith(base) && p != base) {
      if (Files.isSymbolicLink(p)) refuse(s"'${base.relativize(p)}' is a symbolic link, which could lead outside its directory")
      p = p.getParent
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) refuse("it is a duplicate entry")
    target
  }
}
