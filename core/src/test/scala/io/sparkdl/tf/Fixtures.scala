package io.sparkdl.tf

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path, Paths, StandardCopyOption}

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}

/** The models and TF-computed expectations that dev/make_fixtures.py writes for the tests. */
object Fixtures {
  lazy val dir: Path = {
    val d = Paths.get(sys.props.getOrElse("sparkdl.test.fixtures", "target/fixtures"))
    require(
      Files.isRegularFile(d.resolve(".complete")),
      s"test fixtures are missing in $d: run dev/test, or `.venv/bin/python dev/make_fixtures.py $d`"
    )
    d
  }

  def path(name: String): Path = dir.resolve(name)

  /** A copy of fixture directory `name` at `to`, for tests that damage or change its files. */
  def copyTree(name: String, to: Path): Path = {
    val from = path(name)
    scala.util.Using.resource(Files.walk(from)) { paths =>
      paths.forEach { p =>
        val target = to.resolve(from.relativize(p).toString)
        if (Files.isDirectory(p)) Files.createDirectories(target)
        else Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES)
      }
    }
    to
  }
  def bytes(name: String): Array[Byte] = Files.readAllBytes(path(name))
  def json(name: String): JsonNode = new ObjectMapper().readTree(path(name).toFile)

  /** A little-endian, C-order .npy array: its numpy dtype string ("<f4"), shape and raw bytes. */
  final case class Npy(descr: String, shape: Shape, data: Array[Byte]) {
    private def buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)
    def floats: Array[Float] = { val a = new Array[Float](data.length / 4); buf.asFloatBuffer().get(a); a }
    def doubles: Array[Double] = { val a = new Array[Double](data.length / 8); buf.asDoubleBuffer().get(a); a }
    def ints: Array[Int] = { val a = new Array[Int](data.length / 4); buf.asIntBuffer().get(a); a }
    def longs: Array[Long] = { val a = new Array[Long](data.length / 8); buf.asLongBuffer().get(a); a }
    def shorts: Array[Short] = { val a = new Array[Short](data.length / 2); buf.asShortBuffer().get(a); a }
    def dtype: DType = descr match {
      case "<f4" => DType.Float32
      case "<f8" => DType.Float64
      case "|i1" => DType.Int8
      case "<i2" => DType.Int16
      case "<i4" => DType.Int32
      case "<i8" => DType.Int64
      case "|u1" => DType.UInt8
      case "|b1" => DType.Bool
      case other => throw new IllegalArgumentException(s"npy dtype $other")
    }
    def toTensor: Tensor = Tensor.fromRawBytes(dtype, shape, data)
  }

  def npy(name: String): Npy = {
    val all = bytes(name)
    require(all.take(6).sameElements("\u0093NUMPY".getBytes(StandardCharsets.ISO_8859_1)), s"$name is not .npy")
    val major = all(6)
    val (headerLen, headerStart) =
      if (major == 1) ((all(8) & 0xff) | ((all(9) & 0xff) << 8), 10)
      else (ByteBuffer.wrap(all, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt, 12)
    val header = new String(all, headerStart, headerLen, StandardCharsets.ISO_8859_1)
    val descr = """'descr': '([^']+)'""".r.findFirstMatchIn(header).get.group(1)
    require(header.contains("'fortran_order': False"), s"$name is Fortran-ordered")
    val dims = """'shape': \(([^)]*)\)""".r.findFirstMatchIn(header).get.group(1)
      .split(",").map(_.trim).filter(_.nonEmpty).map(_.toLong)
    Npy(descr, Shape.of(dims), all.drop(headerStart + headerLen))
  }
}
