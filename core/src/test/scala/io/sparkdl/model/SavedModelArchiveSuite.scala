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
    val dup = intercept[IllegalArgumentException](SavedModelArchive.unpack(zip("a" -> "1", "b" -> "2", "./a" -> "3"), d2))
    assert(dup.getMessage.contains("duplicate"), dup.getMessage)
  }

  test("every name is checked: empty, '..' anywhere, backslash, ':', NUL; a file that is also a directory") {
    def refused(entries: Seq[(String, String)], parts: String*): Unit = {
      val e = intercept[IllegalArgumentException](SavedModelArchive.files(zip(entries: _*)))
      parts.foreach(p => assert(e.getMessage.contains(p), s"'$p' missing from: ${e.getMessage}"))
    }
    refused(Seq("" -> "x"), "empty name")
    refused(Seq("a/../a" -> "x"), "'a/../a'", "'..'")
    refused(Seq("..\\..\\x" -> "x"), "backslash")
    refused(Seq("file:/etc/x" -> "x"), "':'")
    refused(Seq("a\u0000b" -> "x"), "NUL")
    refused(Seq("." -> "x"), "names the directory itself")
    refused(Seq("a" -> "1", "a/b" -> "2"), "'a/b'", "'a' is also a file")
    refused(Seq("a/b" -> "1", "a" -> "2"), "'a' is also a directory")
    assert(SavedModelArchive.files(zip("./x//y" -> "1", "z" -> "2")).map(_._1) == Seq("x/y", "z"))
  }

  test("TFModel.save writes every entry inside its directory and refuses the rest before writing") {
    val base = Files.createTempDirectory("sparkdl-save-")
    def save(archive: Array[Byte], to: String): Unit =
      TFModel.fromSource(SavedModelArchive(archive, Seq("serve"))).save(base.resolve(to).toString)
    save(zip("saved_model.pb" -> "x", "variables/v" -> "y"), "ok")
    assert(Files.readString(base.resolve("ok/saved_model/variables/v")) == "y")
    val e = intercept[IllegalArgumentException](save(zip("saved_model.pb" -> "x", "../../escaped" -> "y"), "bad"))
    assert(e.getMessage.contains("'../../escaped'") && e.getMessage.contains("refused"), e.getMessage)
    assert(!Files.exists(base.resolve("escaped")) && !Files.exists(base.resolve("bad/saved_model/saved_model.pb")))
    intercept[IllegalArgumentException](save(zipWithSymlink("variables", "/etc"), "link"))
    assert(!Files.exists(base.resolve("link/saved_model/saved_model.pb")))
  }

  test("hadoop paths of entries stay under their root") {
    val root = new org.apache.hadoop.fs.Path("file:/tmp/r/saved_model")
    assert(ArchiveEntries.hadoop(root, "variables/v", "v").toString == "file:/tmp/r/saved_model/variables/v")
    Seq("../x", "/x", "file:/x", "a/../../x").foreach { n =>
      intercept[IllegalArgumentException](ArchiveEntries.hadoop(root, n, s"entry '$n'"))
    }
  }

  test("fuzz: archives of hostile entry names unpack or save inside their directory, or are refused") {
    val seed = sys.props.get("sparkdl.fuzz.seed").map(_.toLong).getOrElse(20261207L)
    val cases = sys.props.get("sparkdl.fuzz.archiveCases").map(_.toInt).getOrElse(400)
    val random = new scala.util.Random(seed)
    val base = Files.createTempDirectory("sparkdl-archive-fuzz-")
    val segments = Seq("..", ".", "", "a", "b", "variables", "saved_model.pb", "x\\y", "c:", "\u0000", "..a", "...")
    def name(r: scala.util.Random, caseDir: Path): String = r.nextInt(10) match {
      case 0 => caseDir.resolve("abs").toString // absolute, inside the case's directory if it escapes
      case 1 => "/" + Seq.fill(1 + r.nextInt(3))(segments(r.nextInt(segments.length))).mkString("/")
      case _ => Seq.fill(1 + r.nextInt(5))(segments(r.nextInt(segments.length))).mkString("/")
    }
    var accepted, refusedCount = 0
    for (i <- 0 until cases) {
      val caseDir = base.resolve(s"case$i")
      // Four levels deep: '..' and absolute names that escape still land in caseDir, to be seen.
      val into = caseDir.resolve("p/q/r/s")
      Files.createDirectories(into)
      val entries = Seq.fill(1 + random.nextInt(4))(name(random, caseDir) -> "x").distinctBy(_._1)
      val link = random.nextInt(8) == 0
      val archive = if (link) zipWithSymlink(entries.head._1 + "L", "/etc") else zip(entries: _*)
      val outcome =
        try {
          if (random.nextBoolean()) SavedModelArchive.unpack(archive, into.resolve("m"))
          else TFModel.fromSource(SavedModelArchive(archive, Seq("serve"))).save(into.resolve("m").toString)
          true
        } catch { case _: IllegalArgumentException => false }
      if (outcome) accepted += 1 else refusedCount += 1
      val written = Using.resource(Files.walk(caseDir))(_.filter(p => !Files.isDirectory(p)).toArray.toSeq)
        .map(_.asInstanceOf[Path]).filterNot(_.getFileName.toString.endsWith(".crc"))
      written.foreach { p =>
        assert(p.startsWith(into.resolve("m")), s"case $i (seed $seed) wrote $p for entries ${entries.map(_._1)}")
      }
    }
    assert(accepted > 0 && refusedCount > 0, s"accepted $accepted, refused $refusedCount")
  }

  test("the private directory a model is unpacked into is the owner's alone (0700)") {
    val dir = PrivateDirectory.create("sparkdl-test-")
    try assert(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)) == "rwx------")
    finally Files.delete(dir)
  }
}
