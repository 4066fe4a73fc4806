package io.sparkdl.model

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets.UTF_8

/**
 * What `java.util.zip` does not tell: which entries of a zip archive are symbolic links (a Unix
 * mode of type S_IFLNK in the central directory's external attributes, as `zip --symlinks`
 * writes them). Read from the central directory (APPNOTE.TXT 4.3.12, 4.3.16).
 */
private[model] object ZipEntries {
  private val EndOfCentralDirectory = 0x06054b50
  private val CentralHeader = 0x02014b50
  private val UnixHost = 3

  /** The names of the archive's symbolic link entries (none when it has no central directory). */
  def symbolicLinks(archive: Array[Byte]): Seq[String] = {
    val buf = ByteBuffer.wrap(archive).order(ByteOrder.LITTLE_ENDIAN)
    // The end record is the last 22 bytes plus a comment of up to 65,535 bytes.
    val end = (archive.length - 22 to math.max(0, archive.length - 22 - 65535) by -1)
      .find(i => i >= 0 && buf.getInt(i) == EndOfCentralDirectory)
    end.toSeq.flatMap { e =>
      val count = buf.getShort(e + 10) & 0xffff
      var at = buf.getInt(e + 16).toLong & 0xffffffffL
      val links = Seq.newBuilder[String]
      var i = 0
      while (i < count && at + 46 <= archive.length && buf.getInt(at.toInt) == CentralHeader) {
        val p = at.toInt
        val host = (buf.getShort(p + 4) & 0xffff) >>> 8
        val nameLength = buf.getShort(p + 28) & 0xffff
        val extraLength = buf.getShort(p + 30) & 0xffff
        val commentLength = buf.getShort(p + 32) & 0xffff
        val mode = buf.getInt(p + 38) >>> 16
        if (host == UnixHost && (mode & 0xf000) == 0xa000 && p + 46 + nameLength <= archive.length) {
          links += new String(archive, p + 46, nameLength, UTF_8)
        }
        at += 46L + nameLength + extraLength + commentLength
        i += 1
      }
      links.result()
    }
  }
}
