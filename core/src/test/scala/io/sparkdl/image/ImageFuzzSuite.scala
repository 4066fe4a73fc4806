package io.sparkdl.image

import java.io.IOException
import java.nio.ByteBuffer
import java.nio.file.{FileSystemLoopException, FileVisitOption, FileVisitResult, Files, Path, SimpleFileVisitor}
import java.nio.file.attribute.BasicFileAttributes
import java.util.EnumSet

import scala.collection.mutable
import scala.jdk.CollectionConverters._
import scala.util.Random

import io.sparkdl.tensorframes.SparkSessionSuite

/**
 * Seeded fuzzing of what `readImages` reads (issue 21): mutated image files for the decoder, and
 * random folders with glob characters in names and links (loops, dangling, to files) for the
 * listing and the read. Seed: -Dsparkdl.fuzz.seed (default 20261207); the failure message names
 * the case.
 */
class ImageFuzzSuite extends SparkSessionSuite {
  import ImageFixtures._

  private val seed = sys.props.get("sparkdl.fuzz.seed").map(_.toLong).getOrElse(20261207L)

  // Every fixture file, and headers declaring too many pixels (decoded, these would be GBs).
  private lazy val originals: Seq[(String, Array[Byte])] = {
    val files = Seq("read_formats", "read_mixed", "read_refused").flatMap { d =>
      Files.list(path(d)).iterator.asScala.filter(Files.isRegularFile(_)).toSeq
    }
    files.map(f => f.getFileName.toString -> Files.readAllBytes(f)).sortBy(_._1) ++
      Seq("bomb_rgb.png" -> pngBomb(12000, 12000, colorType = 2),
        "bomb_gray.png" -> pngBomb(100000, 100000, colorType = 0),
        "small.png" -> pngBomb(40, 30, colorType = 2, rows = 30))
  }

  // Small enough that no case can hold much of the test JVM's heap.
  private val maxPixels = 1L << 22

  test("mutated image files decode to a consistent image struct or to None, never an error") {
    val random = new Random(seed)
    val outcomes = mutable.TreeMap.empty[String, Int]
    for (i <- 0 until 3000) {
      val caseSeed = random.nextLong()
      val r = new Random(caseSeed)
      val (name, original) = originals(r.nextInt(originals.length))
      val (how, bytes) = mutate(original, r)
      val label = s"case $i ($how of $name), case seed $caseSeed (run seed $seed)"
      val decoded =
        try ImageDecoder.decode(name, bytes, maxPixels)
        catch { case e: Throwable => fail(s"$label threw ${e.getClass.getName}: ${e.getMessage}", e) }
      decoded.foreach { row =>
        val (h, w, c) = (row.getInt(1), row.getInt(2), row.getInt(3))
        assert(h > 0 && w > 0 && h.toLong * w <= maxPixels && Set(1, 3, 4)(c), label)
        assert(row.getAs[Array[Byte]](5).length == h * w * c, label)
        assert(row.getInt(4) == ImageFormat.mode(c, isFloat = false), label)
      }
      val key = s"$how/${if (decoded.isDefined) "image" else "None"}"
      outcomes(key) = outcomes.getOrElse(key, 0) + 1
    }
    println(s"image fuzz outcomes: ${outcomes.mkString(", ")}")
    assert(outcomes.keys.exists(_.endsWith("/image")) && outcomes.keys.exists(_.endsWith("/None")))
  }

  private def mutate(bytes: Array[Byte], r: Random): (String, Array[Byte]) = {
    val b = bytes.clone()
    r.nextInt(6) match {
      case 0 => "truncate" -> b.take(r.nextInt(b.length))
      case 1 =>
        (0 to r.nextInt(8)).foreach(_ => b(r.nextInt(b.length)) = r.nextInt(256).toByte)
        "flip" -> b
      case 2 =>
        val at = r.nextInt(b.length)
        "insert" -> (b.take(at) ++ Array.fill(1 + r.nextInt(64))(r.nextInt(256).toByte) ++ b.drop(at))
      case 3 =>
        val at = r.nextInt(b.length)
        "duplicate" -> (b.take(at) ++ b.slice(at, at + 1 + r.nextInt(256)) ++ b.drop(at))
      case _ => "size" -> declaredSize(b, r) // width and height in the header
    }
  }

  // A PNG's IHDR or a JPEG's SOF given random dimensions, from 0 to the format's largest.
  private def declaredSize(b: Array[Byte], r: Random): Array[Byte] = {
    def dim(max: Int) = r.nextInt(4) match {
      case 0 => 0
      case 1 => max
      case 2 => 1 + r.nextInt(64)
      case _ => r.nextInt(max)
    }
    if (b.length > 24 && b(1) == 'P'.toByte) {
      ByteBuffer.wrap(b).putInt(16, dim(Int.MaxValue)).putInt(20, dim(Int.MaxValue))
    } else if (b.length > 4 && (b(0) & 0xff) == 0xff && (b(1) & 0xff) == 0xd8) {
      val sof = (2 until b.length - 8).find { i =>
        (b(i) & 0xff) == 0xff && Set(0xc0, 0xc1, 0xc2)((b(i + 1) & 0xff))
      }
      sof.foreach(i => ByteBuffer.wrap(b).putShort(i + 5, dim(65535).toShort).putShort(i + 7, dim(65535).toShort))
    }
    b
  }

  test("random folders of glob-character names and links: every reachable file read once") {
    val random = new Random(seed)
    val png = pngBomb(3, 2, colorType = 2, rows = 2) // a valid 3 x 2 image
    for (i <- 0 until 25) {
      val caseSeed = random.nextLong()
      val root = Files.createTempDirectory("image-fuzz")
      randomTree(root, new Random(caseSeed), png)
      val label = s"case $i, case seed $caseSeed (run seed $seed), in $root"
      val hadoopConf = spark.sparkContext.hadoopConfiguration
      for (recursive <- Seq(true, false)) {
        val listed = ImageFiles.statuses(root.toString, hadoopConf, recursive).map(_.getPath.toString)
        val reached = listed.map(f => Path.of(new org.apache.hadoop.fs.Path(f).toUri).toRealPath()).toSet
        assert(reached == reachable(root, recursive), s"$label, recursive = $recursive: $listed")
        val origins = ImageIO.readImages(spark, root.toString, recursive = recursive)
          .collect().map(_.getString(0)).toSeq.sorted
        assert(origins == listed, s"$label, recursive = $recursive")
      }
      deleteTree(root)
    }
  }

  private val nameChars = "ab1[]{}?*,\\- "

  private def randomTree(root: Path, r: Random, png: Array[Byte]): Unit = {
    def name() = {
      val n = (1 to 1 + r.nextInt(6)).map(_ => nameChars(r.nextInt(nameChars.length))).mkString
      if (r.nextInt(10) == 0) s"_$n" else n
    }
    val dirs = mutable.ArrayBuffer(root)
    val files = mutable.ArrayBuffer[Path]()
    for (_ <- 0 until 4 + r.nextInt(12)) {
      val parent = dirs(r.nextInt(dirs.length))
      val target = parent.resolve(name())
      if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        r.nextInt(5) match {
          case 0 | 1 => Files.write(target, png); files += target
          case 2 => Files.createDirectory(target); dirs += target
          case 3 => // a link to a folder: itself, an ancestor, any other
            Files.createSymbolicLink(target, parent.relativize(dirs(r.nextInt(dirs.length))) match {
              case p if p.toString.isEmpty => Path.of(".")
              case p => p
            })
          case _ => // a link to a file, or to nothing
            val to =
              if (files.nonEmpty && r.nextBoolean()) files(r.nextInt(files.length))
              else parent.resolve("gone")
            Files.createSymbolicLink(target, to)
        }
      }
    }
  }

  // The real files under root, by java.nio's walk (which follows links, stops at loops and skips
  // names starting with "." or "_"): an independent account of what readImages must read.
  private def reachable(root: Path, recursive: Boolean): Set[Path] = {
    val found = mutable.Set[Path]()
    def hidden(p: Path) = p != root && Seq(".", "_").exists(p.getFileName.toString.startsWith)
    Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), if (recursive) Int.MaxValue else 1,
      new SimpleFileVisitor[Path] {
        override def preVisitDirectory(d: Path, a: BasicFileAttributes): FileVisitResult =
          if (hidden(d)) FileVisitResult.SKIP_SUBTREE else FileVisitResult.CONTINUE
        override def visitFile(f: Path, a: BasicFileAttributes): FileVisitResult = {
          if (a.isRegularFile && !hidden(f)) found += f.toRealPath()
          FileVisitResult.CONTINUE
        }
        override def visitFileFailed(f: Path, e: IOException): FileVisitResult = e match {
          case _: FileSystemLoopException => FileVisitResult.CONTINUE
          case _ => throw e
        }
      })
    found.toSet
  }
}
