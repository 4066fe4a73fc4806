package io.sparkdl.model

import java.io.ByteArrayOutputStream
import java.nio.file.{Files, Path}
import java.util.zip.{ZipEntry, ZipOutputStream}

import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

/** Unpacking a SavedModel archive: entries that would leave the directory are refused. */
class SavedModelArchiveSuite extends AnyFunSuite {

  private def zip(entries: (String, String)*): Array[Byte] = {
    val out = new ByteArrayOutputStream()
    Using.resource(new ZipOutputStream(out)) { z =>
      entries.foreach { case (name, text) => z.putNextEntry(new ZipEntry(name)); z.write(text.getBytes("UTF-8")); z.closeEntry() }
    }
    out.toByteArray
  }

  /** A zip whose entry `name` is a symbolic link to `target`, as `zip --symlinks` writes it. */
  private def zipWithSymlink(name: String, target: String): Array[Byte] = {
    val bytes = zip("saved_model.pb" -> "x", name -> target)
    // Mark the second central directory record as made on Unix (host 3) with mode lrwxrwxrwx.
    val buf = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)
    val end = (bytes.length - 22 to 0 by -1).find(i => buf.getInt(i) == 0x06054b50).get
    var at = buf.getInt(end + 16)
    for (i <- 0 until 2) {
      val nameLength = buf.getShort(at + 28); val extra = buf.getShort(at + 30); val comment = buf.getShort(at + 32)
      if (i == 1) { buf.putShort(at + 4, ((3 << 8) | 20).toShort); buf.putInt(at + 38, 0xa1ff << 16) }
      at += 46 + nameLength + extra + comment
    }
    bytes
  }

  private def unpackError(archive: Array[Byte], parts: String*): Path = {
    val dir = Files.createTempDirectory("sparkdl-unpack-")
    val e = intercept[IllegalArgumentException](SavedModelArchive.unpack(archive, dir.resolve("m")))
    parts.foreach(p => assert(e.getMessage.contains(p), s"'$p' missing from: ${e.getMessage}"))
    dir
  }

  test("an entry with '..' that would leave the directory is refused, nothing written outside") {
    val dir = unpackError(zip("saved_model.pb" -> "x", "../escaped" -> "y"), "'../escaped'", "refused", "outside")
    assert(!Files.exists(dir.resolve("escaped")))
    unpackError(zip("variables/../../escaped2" -> "y"), "refused")
    assert(!Files.exists(dir.resolve("escaped2")))
  }

  test("an absolute entry path is refused") {
    val target = Files.createTempDirectory("sparkdl-abs-").resolve("abs")
    unpackError(zip(target.toString -> "y"), "absolute path", "refused")
    assert(!Files.exists(target))
  }

  test("a symbolic link entry is refused before anything is written") {
    val dir = unpackError(zipWithSymlink("variables", "/etc"), "'variables'", "symbolic link")
    assert(!Files.exists(dir.resolve("m/saved_model.pb")))
    assert(ZipEntries.symbolicLinks(zipWithSymlink("link", "/tmp")) == Seq("link"))
    assert(ZipEntries.symbolicLinks(zip("a" -> "b")).isEmpty)
  }

  test("writing through a symbolic link already in the directory is refused; duplicates too") {
    val dir = Files.createTempDirectory("sparkdl-unpack-")
    val outside = Files.createTempDirectory("sparkdl-outside-")
    Files.createSymbolicLink(dir.resolve("variables"), outside)
    val e = intercept[IllegalArgumentException](SavedModelArchive.unpack(zip("variables/x" -> "y"), dir))
    assert(e.getMessage.contains("symbolic link"), e.getMessage)
    assert(!Files.exists(outside.resolve("x")))
    val d2 = Files.createTempDirectory("sparkdl-unpack-")
    val dup = intercept[IllegalArgumentException](SavedModelArchive.unpack(zip("a" -> "1", "b" -> "2", "a/../a" -> "3"), d2))
    assert(dup.getMessage.contains("duplicate"), dup.getMessage)
  }

  test("the private directory a model is unpacked into is the owner's alone (0700)") {
    val dir = PrivateDirectory.create("sparkdl-test-")
    try assert(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)) == "rwx------")
    finally Files.delete(dir)
  }
}
