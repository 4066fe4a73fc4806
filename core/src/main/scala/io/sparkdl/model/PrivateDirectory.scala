package io.sparkdl.model

import java.nio.file.{Files, Path}
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
}
