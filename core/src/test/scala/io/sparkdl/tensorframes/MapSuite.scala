package io.sparkdl.tensorframes

import java.nio.charset.StandardCharsets.UTF_8

import scala.util.Using

import org.apache.spark.SparkEnv
import org.apache.spark.ml.linalg.{SQLDataTypes, Vectors}
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.functions.{col, sum}
import org.apache.spark.sql.types._

import io.sparkdl.model._
import io.sparkdl.runtime._
import io.sparkdl.tf.{DType, Fixtures, Graph, Output, Shape, Tensor, TolerantAssertions}

/** map_blocks and map_rows: values, dtypes, trimming, cell kinds, laziness and the session cache. */
class MapSuite extends SparkSessionSuite with TolerantAssertions {
  import TestGraphs._

  /** Column `x`: 0.0 until n, in `partitions` partitions. */
  private def doubles(n: Int, partitions: Int = 2): DataFrame =
    spark.range(0, n, 1, partitions).select(col("id").cast("double").as("x"))

  /** `z = x + 3` over float64 placeholder `name` (a block [?] or a row []). */
  private def plusThree(name: String, shape: Shape): Array[Byte] = graphDef { g =>
    binary(g, "AddV2", "z", placeholder(g, name, DType.Float64, shape), scalar(g, "three", DType.Float64, 3))
  }

  private val blocksPlusThree = GraphProgram(plusThree("x", Shape(-1)), Seq("z"))
  private val rowsPlusThree = GraphProgram(plusThree("x", Shape.scalar), Seq("z"))

  private def pairs(df: DataFrame): Seq[(Double, Double)] =
    df.collect().toSeq.map(r => (r.getDouble(0), r.getDouble(1)))

  private val expectedPlusThree = (0 until 10).map(i => (i.toDouble, i + 3.0))

  private def twice(g: Graph, x: Output): Output = binary(g, "Mul", "z", x, scalar(g, "two", DType.Float64, 2))

  private def strings(r: Row, i: Int): String = new String(r.getAs[Array[Byte]](i), UTF_8)

  // ---- x + 3 ---------------------------------------------------------------------------------

  test("mapBlocks: x + 3 over 10 doubles, graph built with block() and a Const") {
    val df = doubles(10)
    val out = Using.resource(Graph()) { g =>
      val x = TensorFrames.block(g, df, "x")
      assert(x.shape == Shape(-1) && x.dtype == DType.Float64)
      TensorFrames.mapBlocks(df, Seq(binary(g, "AddV2", "z", x, scalar(g, "three", DType.Float64, 3))))
    }
    assert(out.columns.toSeq == Seq("x", "z"))
    assert(out.schema("z").dataType == DoubleType)
    assert(pairs(out) == expectedPlusThree)
  }

  test("mapRows: x + 3 over 10 doubles, graph built with row() and a Const") {
    val df = doubles(10)
    val out = Using.resource(Graph()) { g =>
      val x = TensorFrames.row(g, df, "x")
      assert(x.shape == Shape.scalar)
      TensorFrames.mapRows(df, Seq(binary(g, "AddV2", "z", x, scalar(g, "three", DType.Float64, 3))))
    }
    assert(out.schema("z").dataType == DoubleType)
    assert(pairs(out) == expectedPlusThree)
  }

  test("x + 3 through a GraphProgram whose feedDict maps a differently named placeholder") {
    val df = doubles(10)
    val blocks = GraphProgram(plusThree("input", Shape(-1)), Seq("z:0"), feedDict = Map("input" -> "x"))
    assert(pairs(TensorFrames.mapBlocks(df, blocks)) == expectedPlusThree)
    val rows = GraphProgram(plusThree("value", Shape.scalar), Seq("z"), feedDict = Map("value" -> "x"))
    assert(pairs(TensorFrames.mapRows(df, rows)) == expectedPlusThree)
  }

  test("outputNames rename the fetched columns") {
    val out = TensorFrames.mapBlocks(doubles(10), blocksPlusThree.copy(outputNames = Seq("x_plus_3")))
    assert(out.columns.toSeq == Seq("x", "x_plus_3"))
    assert(pairs(out) == expectedPlusThree)
  }

  test("other columns pass through map_blocks and map_rows untouched") {
    val schema = StructType(Seq(
      StructField("name", StringType),
      StructField("x", DoubleType, nullable = false),
      StructField("tags", ArrayType(StringType))
    ))
    val rows = (0 until 5).map(i => Row(s"r$i", i.toDouble, Seq(s"t$i", null)))
    val df = frame(schema, rows, 2)
    for (out <- Seq(
      TensorFrames.mapBlocks(df, blocksPlusThree, blockSize = 2),
      TensorFrames.mapRows(df, rowsPlusThree)
    )) {
      assert(out.columns.toSeq == Seq("name", "x", "tags", "z"))
      assert(out.collect().toSeq == rows.map(r => Row(r(0), r(1), r(2), r.getDouble(1) + 3)))
    }
  }

  // ---- dtypes ---------------------------------------------------------------------------------

  /** TF dtype name, Spark type of its column. */
  private val numericDTypes = Seq(
    "float64" -> DoubleType, "float32" -> FloatType, "int32" -> IntegerType,
    "int64" -> LongType, "int16" -> ShortType, "int8" -> ByteType
  )

  /** The values of a fixture .npy, boxed as Spark holds them. */
  private def npyValues(name: String): Seq[Any] = {
    val npy = Fixtures.npy(name)
    npy.dtype match {
      case DType.Float32 => npy.floats.toSeq
      case DType.Float64 => npy.doubles.toSeq
      case DType.Int32 => npy.ints.toSeq
      case DType.Int64 => npy.longs.toSeq
      case DType.Int16 => npy.shorts.toSeq
      case DType.Int8 => npy.data.toSeq
      case DType.Bool => npy.data.toSeq.map(_ != 0)
      case other => fail(s"no Spark column holds $other")
    }
  }

  /** Exact equality, also of the boxed class (no cooperative numeric equality between types). */
  private def assertSameValues(actual: Seq[Any], expected: Seq[Any]): Unit = {
    assert(actual.map(_.getClass) == expected.map(_.getClass), s"$actual vs $expected")
    assert(actual == expected)
  }

  private def singleColumn(name: String, t: DataType, values: Seq[Any]): DataFrame =
    frame(schemaOf(name -> t), values.map(Row(_)), 2)

  private def dtypesProgram(fetch: String) = GraphProgram(Fixtures.bytes("dtypes.pb"), Seq(fetch))

  for ((d, sparkType) <- numericDTypes) {
    test(s"dtypes.pb: plus_$d over a ${sparkType.simpleString} column equals TF Python's x + 1") {
      val df = singleColumn(s"x_$d", sparkType, npyValues(s"dtypes_x_$d.npy"))
      val out = TensorFrames.mapBlocks(df, dtypesProgram(s"plus_$d"))
      assert(out.schema(s"plus_$d").dataType == sparkType)
      assertSameValues(out.collect().toSeq.map(_.get(1)), npyValues(s"dtypes_plus_$d.npy"))
    }
  }

  test("dtypes.pb: y_bool and y_string are identities of bool and string columns") {
    val bools = singleColumn("x_bool", BooleanType, npyValues("dtypes_x_bool.npy"))
    val b = TensorFrames.mapBlocks(bools, dtypesProgram("y_bool"))
    assertSameValues(b.collect().toSeq.map(_.get(1)), npyValues("dtypes_x_bool.npy"))
    val s = TensorFrames.mapBlocks(singleColumn("x_string", StringType, Seq("a", "", "ß")), dtypesProgram("y_string"))
    assert(s.collect().toSeq.map(strings(_, 1)) == Seq("a", "", "ß"))
  }

  for ((d, sparkType) <- numericDTypes) {
    test(s"x + 1 built in Scala over ${sparkType.simpleString} equals TF Python's, blocks and rows") {
      val dtype = DType.fromName(d)
      val df = singleColumn("x", sparkType, npyValues(s"dtypes_x_$d.npy"))
      val expected = npyValues(s"dtypes_plus_$d.npy")
      def program(shape: Shape) = GraphProgram(
        graphDef(g => binary(g, "AddV2", "y", placeholder(g, "x", dtype, shape), scalar(g, "one", dtype, 1))),
        Seq("y")
      )
      val blocks = TensorFrames.mapBlocks(df, program(Shape(-1)), blockSize = 2)
      assert(blocks.schema("y").dataType == sparkType)
      assertSameValues(blocks.collect().toSeq.map(_.get(1)), expected)
      val rows = TensorFrames.mapRows(df, program(Shape.scalar))
      assertSameValues(rows.collect().toSeq.map(_.get(1)), expected)
    }
  }

  test("uint8 fetches widen to int columns without sign errors, as scalars and arrays") {
    val df = frame(
      schemaOf("x" -> IntegerType, "y" -> arrayOf(IntegerType)),
      Seq(Row(0, Seq(200, 5)), Row(1, Seq(255, 128)), Row(200, Seq(0, 1)), Row(255, Seq(127, 129))),
      2
    )
    val gd = graphDef { g =>
      val x = placeholder(g, "x", DType.Int32, Shape(-1))
      val y = placeholder(g, "y", DType.Int32, Shape(-1, -1))
      g.opBuilder("Cast", "bx").addInput(x).setAttr("DstT", DType.UInt8).build()
      g.opBuilder("Cast", "by").addInput(y).setAttr("DstT", DType.UInt8).build()
    }
    val out = TensorFrames.mapBlocks(df, GraphProgram(gd, Seq("bx", "by")))
    assert(out.schema("bx").dataType == IntegerType)
    assert(out.schema("by").dataType == arrayOf(IntegerType))
    val result = out.collect().toSeq
    assert(result.map(_.getInt(2)) == Seq(0, 1, 200, 255))
    assert(result.map(_.getSeq[Int](3)) == Seq(Seq(200, 5), Seq(255, 128), Seq(0, 1), Seq(127, 129)))
  }

  // ---- frozen graphs from TF Python ----------------------------------------------------------

  for (partitions <- Seq(1, 2, 5); blockSize <- Seq(1, 2, 1024)) {
    test(s"dense.pb equals TF Python's within 1e-5 ($partitions partitions, blocks of $blockSize)") {
      val x = Fixtures.npy("dense_x.npy")
      val rows = x.floats.grouped(x.shape(1).toInt).zipWithIndex.map { case (v, i) => Row(i, v.toSeq) }.toSeq
      val df = frame(schemaOf("id" -> IntegerType, "x" -> arrayOf(FloatType)), rows, partitions)
      val out = TensorFrames.mapBlocks(df, GraphProgram(Fixtures.bytes("dense.pb"), Seq("out")), blockSize = blockSize)
      assert(out.schema("out").dataType == arrayOf(FloatType))
      val result = out.collect().sortBy(_.getInt(0))
      assert(result.map(_.getInt(0)).toSeq == rows.indices)
      val expected = Fixtures.npy("dense_out.npy")
      assert(result.forall(_.getSeq[Float](2).length == expected.shape(1)))
      assertClose(result.flatMap(_.getSeq[Float](2)), expected.floats, 1e-5)
    }
  }

  test("add.pb: two array<float> columns feed two placeholders, equal to TF Python's a + b") {
    val a = Fixtures.npy("add_a.npy").floats.grouped(3).toSeq
    val b = Fixtures.npy("add_b.npy").floats.grouped(3).toSeq
    val df = frame(
      schemaOf("a" -> arrayOf(FloatType), "b" -> arrayOf(FloatType)),
      a.zip(b).map { case (x, y) => Row(x.toSeq, y.toSeq) },
      2
    )
    val out = TensorFrames.mapBlocks(df, GraphProgram(Fixtures.bytes("add.pb"), Seq("z")), blockSize = 3)
    assertClose(out.collect().flatMap(_.getSeq[Float](2)), Fixtures.npy("add_z.npy").floats, 1e-6)
  }

  test("one column may feed several placeholders through feedDict") {
    val gd = graphDef { g =>
      val a = placeholder(g, "a", DType.Float64, Shape(-1))
      binary(g, "AddV2", "z", a, placeholder(g, "b", DType.Float64, Shape(-1)))
    }
    val out = TensorFrames.mapBlocks(doubles(10), GraphProgram(gd, Seq("z"), feedDict = Map("a" -> "x", "b" -> "x")))
    assert(pairs(out) == (0 until 10).map(i => (i.toDouble, 2.0 * i)))
  }

  // ---- trimming ------------------------------------------------------------------------------

  test("trimmed mapBlocks may return fewer rows: one sum (keep_dims) per block") {
    val program = GraphProgram(sumGraph("s", "x", keepDims = true), Seq("s"))
    // Partitions 0..4 and 5..9 in blocks of 3: [0,1,2] [3,4] [5,6,7] [8,9].
    val out = TensorFrames.mapBlocks(doubles(10), program, trim = true, blockSize = 3)
    assert(out.columns.toSeq == Seq("s"))
    assert(out.schema("s").dataType == DoubleType)
    assert(out.collect().map(_.getDouble(0)).toSeq == Seq(3.0, 7.0, 18.0, 17.0))
  }

  test("trimmed mapBlocks may return more rows: x concatenated with x") {
    val gd = graphDef { g =>
      val x = placeholder(g, "x", DType.Float64, Shape(-1))
      concat(g, "y", Seq(x, x), 0)
    }
    val out = TensorFrames.mapBlocks(doubles(10), GraphProgram(gd, Seq("y")), trim = true, blockSize = 4)
    assert(out.columns.toSeq == Seq("y"))
    val values = out.collect().map(_.getDouble(0)).toSeq
    assert(values.length == 20)
    assert(values.sorted == (0 until 10).flatMap(i => Seq(i.toDouble, i.toDouble)))
    // Within each block, the block then itself again: [0,1,2,3,0,1,2,3] [4,4] ...
    assert(values.take(8) == Seq(0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0))
  }

  test("the Scala trim overload over built outputs") {
    val df = doubles(6, 1)
    val out = Using.resource(Graph()) { g =>
      val m = reduce(g, "Max", "m", TensorFrames.block(g, df, "x"), Seq(0), keepDims = true)
      TensorFrames.mapBlocks(df, Seq(m), trim = true)
    }
    assert(out.collect().toSeq == Seq(Row(5.0)))
  }

  // ---- cell kinds ----------------------------------------------------------------------------

  private val matrices = (0 until 5).map(r => Seq.tabulate(3, 2)((i, j) => r * 100.0 + i * 10 + j))
  private def matrixFrame(partitions: Int): DataFrame =
    frame(schemaOf("m" -> arrayOf(DoubleType, 2)), matrices.map(Row(_)), partitions)

  test("2-D 3x2 cells round-trip through identity, with and without analyzed shapes") {
    for (df <- Seq(matrixFrame(2), TensorFrames.analyze(matrixFrame(2)))) {
      val out = Using.resource(Graph()) { g =>
        TensorFrames.mapBlocks(df, Seq(identity(g, "m2", TensorFrames.block(g, df, "m"))))
      }
      assert(out.schema("m2").dataType == arrayOf(DoubleType, 2))
      assert(out.collect().toSeq.map(_.getSeq[Seq[Double]](1)) == matrices)
      val rows = Using.resource(Graph()) { g =>
        TensorFrames.mapRows(df, Seq(identity(g, "m2", TensorFrames.row(g, df, "m"))))
      }
      assert(rows.collect().toSeq.map(_.getSeq[Seq[Double]](1)) == matrices)
    }
    val analyzed = TensorFrames.analyze(matrixFrame(3))
    Using.resource(Graph())(g => assert(TensorFrames.block(g, analyzed, "m").shape == Shape(-1, 3, 2)))
  }

  test("3-D int cells round-trip through identity") {
    val cells = (0 until 4).map(r => Seq.tabulate(2, 3, 2)((i, j, k) => r * 1000 + i * 100 + j * 10 + k))
    val df = TensorFrames.analyze(frame(schemaOf("c" -> arrayOf(IntegerType, 3)), cells.map(Row(_)), 2))
    assert(TensorFrames.explain(df) == "c: array<array<array<int>>> int32[?,2,3,2]")
    val blocks = Using.resource(Graph()) { g =>
      TensorFrames.mapBlocks(df, Seq(identity(g, "d", TensorFrames.block(g, df, "c"))))
    }
    val rows = Using.resource(Graph()) { g =>
      TensorFrames.mapRows(df, Seq(identity(g, "d", TensorFrames.row(g, df, "c"))))
    }
    for (out <- Seq(blocks, rows)) {
      assert(out.schema("d").dataType == arrayOf(IntegerType, 3))
      assert(out.collect().toSeq.map(_.getSeq[Seq[Seq[Int]]](1)) == cells)
    }
  }

  test("zero-length arrays go through blocks and rows") {
    val df = frame(schemaOf("x" -> arrayOf(DoubleType)), Seq(Row(Seq.empty[Double]), Row(Seq.empty[Double])), 1)
    def program(shape: Shape) =
      GraphProgram(graphDef(g => identity(g, "z", placeholder(g, "x", DType.Float64, shape))), Seq("z"))
    val blocks = TensorFrames.mapBlocks(df, program(Shape(-1, -1)))
    assert(blocks.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Nil, Nil))
    val rows = TensorFrames.mapRows(df, program(Shape(-1)))
    assert(rows.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Nil, Nil))
  }

  private val vectors = Seq(
    Vectors.dense(1.0, 2.0, 3.0),
    Vectors.sparse(3, Array(1), Array(5.0)),
    Vectors.sparse(3, Array.emptyIntArray, Array.emptyDoubleArray),
    Vectors.dense(-1.0, 0.0, 0.5),
    Vectors.sparse(3, Array(0, 2), Array(-2.0, 7.5))
  )

  for (partitions <- Seq(1, 2)) {
    test(s"ML vectors, dense and sparse, feed float64 blocks and rows as dense values ($partitions partitions)") {
      val df = frame(schemaOf("v" -> SQLDataTypes.VectorType), vectors.map(Row(_)), partitions)
      val dense = vectors.map(_.toArray.toSeq)
      def check(out: DataFrame): Unit = {
        assert(out.schema("y").dataType == arrayOf(DoubleType))
        val result = out.collect().toSeq
        assert(result.map(_.getSeq[Double](1)) == dense)
        assert(result.map(_.getSeq[Double](2)) == dense.map(_.map(_ * 2)))
      }
      check(Using.resource(Graph()) { g =>
        val v = TensorFrames.block(g, df, "v")
        assert(v.dtype == DType.Float64 && v.shape == Shape(-1, -1))
        TensorFrames.mapBlocks(df, Seq(identity(g, "y", v), twice(g, v)))
      })
      check(Using.resource(Graph()) { g =>
        val v = TensorFrames.row(g, df, "v")
        TensorFrames.mapRows(df, Seq(identity(g, "y", v), twice(g, v)))
      })
    }
  }

  test("string and binary columns go through identity and come back as binary") {
    val texts = Seq("hello", "", "ünïcødé ✓", "nul\u0000inside")
    val binaries = Seq(Array[Byte](0, 1, 2, -1), Array.emptyByteArray, Array.fill[Byte](1000)(7), Array[Byte](-128))
    val df = frame(
      schemaOf("s" -> StringType, "b" -> BinaryType),
      texts.zip(binaries).map { case (s, b) => Row(s, b) },
      2
    )
    def check(out: DataFrame): Unit = {
      assert(out.schema("s2").dataType == BinaryType && out.schema("b2").dataType == BinaryType)
      val result = out.collect().toSeq
      assert(result.map(strings(_, 2)) == texts)
      assert(result.map(_.getAs[Array[Byte]](3).toSeq) == binaries.map(_.toSeq))
    }
    check(Using.resource(Graph()) { g =>
      val s = TensorFrames.block(g, df, "s")
      assert(s.dtype == DType.TString)
      TensorFrames.mapBlocks(df, Seq(identity(g, "s2", s), identity(g, "b2", TensorFrames.block(g, df, "b"))))
    })
    check(Using.resource(Graph()) { g =>
      val s = TensorFrames.row(g, df, "s")
      TensorFrames.mapRows(df, Seq(identity(g, "s2", s), identity(g, "b2", TensorFrames.row(g, df, "b"))))
    })
  }

  test("string tensors of rank 1 come back as arrays of binary") {
    val words = Seq("a", "bc", "", "déf")
    val df = frame(schemaOf("s" -> StringType), words.map(Row(_)), 2)
    val gd = graphDef { g =>
      val s = placeholder(g, "s", DType.TString, Shape(-1))
      g.opBuilder("Pack", "pair").addInputList(Seq(s, s)).setAttr("axis", 1L).build()
    }
    val out = TensorFrames.mapBlocks(df, GraphProgram(gd, Seq("pair")))
    assert(out.schema("pair").dataType == ArrayType(BinaryType, containsNull = false))
    val result = out.collect().toSeq.map(_.getSeq[Array[Byte]](1).map(new String(_, UTF_8)))
    assert(result == words.map(w => Seq(w, w)))
  }

  test("boolean outputs and output column metadata carry through chained map_blocks") {
    val df = TensorFrames.analyze(frame(schemaOf("y" -> arrayOf(DoubleType)), Seq(Row(Seq(1.0, 2.0)), Row(Seq(3.0, 4.0))), 2))
    val first = Using.resource(Graph()) { g =>
      TensorFrames.mapBlocks(df, Seq(twice(g, TensorFrames.block(g, df, "y"))))
    }
    assert(TensorFrames.explain(first).split("\n").toSeq ==
      Seq("y: array<double> double[?,2]", "z: array<double> double[?,2]"))
    val second = Using.resource(Graph()) { g =>
      val z = TensorFrames.block(g, first, "z")
      assert(z.shape == Shape(-1, 2))
      TensorFrames.mapBlocks(first, Seq(binary(g, "Greater", "big", z, scalar(g, "three", DType.Float64, 3))))
    }
    assert(second.columns.toSeq == Seq("y", "z", "big"))
    assert(second.schema("big").dataType == arrayOf(BooleanType))
    assert(second.collect().toSeq.map(_.getSeq[Boolean](2)) == Seq(Seq(false, true), Seq(true, true)))
  }

  test("several outputs of one op become columns with outputNames") {
    val df = TensorFrames.analyze(frame(schemaOf("x" -> arrayOf(DoubleType)), Seq(Row(Seq(1.0, 2.0)), Row(Seq(3.0, 4.0))), 1))
    val gd = graphDef { g =>
      g.opBuilder("Unpack", "u").addInput(placeholder(g, "x", DType.Float64, Shape(-1, 2)))
        .setAttr("num", 2L).setAttr("axis", 1L).build()
    }
    val out = TensorFrames.mapBlocks(df, GraphProgram(gd, Seq("u:0", "u:1"), outputNames = Seq("first", "second")))
    assert(out.columns.toSeq == Seq("x", "first", "second"))
    assert(out.collect().toSeq.map(r => (r.getDouble(1), r.getDouble(2))) == Seq((1.0, 2.0), (3.0, 4.0)))
  }

  test("a placeholder of unknown rank takes cells of any rank") {
    val df = frame(schemaOf("x" -> arrayOf(DoubleType)), Seq(Row(Seq(1.0, 2.0)), Row(Seq(3.0, 4.0))), 1)
    val gd = graphDef { g =>
      val x = g.opBuilder("Placeholder", "x").setAttr("dtype", DType.Float64).build().output(0)
      assert(!x.shape.hasKnownRank)
      g.opBuilder("Reshape", "z").addInput(x).addInput(int32s(g, "shape", -1, 2)).build()
    }
    val out = TensorFrames.mapBlocks(df, GraphProgram(gd, Seq("z")))
    assert(out.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Seq(1.0, 2.0), Seq(3.0, 4.0)))
  }

  test("column names with dots and backticks work through analyze, feedDict and reductions") {
    val id = col("id").cast("double")
    val df = spark.range(0, 5, 1, 2).select(id.as("a.b"), id.as("we`ird"))
    val analyzed = TensorFrames.analyze(df)
    assert(TensorFrames.explain(analyzed) == "a.b: double double[?]\nwe`ird: double double[?]")
    val gd = graphDef { g =>
      val ab = placeholder(g, "a.b", DType.Float64, Shape(-1))
      binary(g, "AddV2", "z", ab, placeholder(g, "w", DType.Float64, Shape(-1)))
    }
    val out = TensorFrames.mapBlocks(analyzed, GraphProgram(gd, Seq("z"), feedDict = Map("w" -> "we`ird")))
    assert(out.collect().toSeq.map(_.getDouble(2)) == (0 until 5).map(2.0 * _))
    assert(TensorFrames.reduceBlocks(df, sumGraph("a.b", "a.b_input"), Seq("a.b")) == Row(10.0))
  }

  test("explicit TF thread counts and empty DataFrames") {
    val threads = TensorFrames.Threads(intraOp = Some(2), interOp = Some(2))
    assert(pairs(TensorFrames.mapBlocks(doubles(10), blocksPlusThree, threads = threads)) == expectedPlusThree)
    assert(pairs(TensorFrames.mapRows(doubles(10), rowsPlusThree, threads = threads)) == expectedPlusThree)
    assert(TensorFrames.mapBlocks(doubles(0, 3), blocksPlusThree).collect().isEmpty)
    assert(TensorFrames.mapRows(doubles(0, 3), rowsPlusThree).collect().isEmpty)
  }

  // ---- laziness, partitioning, session cache -------------------------------------------------

  /** Asserts that `build` starts no Spark job, and that collecting what it built does. */
  private def assertLazy(what: String)(build: => DataFrame): Unit = {
    val (built, jobs) = countJobs(build)
    assert(jobs == 0, s"$what: $jobs Spark job(s) ran before any action")
    val (_, actionJobs) = countJobs(built.collect())
    assert(actionJobs >= 1, "the job counter saw no jobs: the test cannot detect eager work")
  }

  test("mapBlocks and mapRows start no Spark job before an action") {
    assertLazy("mapBlocks")(TensorFrames.mapBlocks(doubles(10, 3), blocksPlusThree))
    assertLazy("mapBlocks(trim)")(TensorFrames.mapBlocks(doubles(10, 3), blocksPlusThree, trim = true))
    assertLazy("mapRows")(TensorFrames.mapRows(doubles(10, 3), rowsPlusThree))
  }

  test("aggregate starts no Spark job before an action") {
    val grouped = doubles(10, 3).withColumn("k", col("x") % 2).groupBy("k")
    assertLazy("aggregate")(TensorFrames.aggregate(grouped, sumGraph("x", "x_input"), Seq("x")))
  }

  test("mapBlocks and mapRows over a shuffled DataFrame start no Spark job before an action") {
    val shuffled = doubles(10, 3).repartition(4, col("x"))
    assertLazy("mapBlocks")(TensorFrames.mapBlocks(shuffled, blocksPlusThree))
    assertLazy("mapRows")(TensorFrames.mapRows(shuffled, rowsPlusThree))
  }

  test("results do not depend on partitioning (1, 3 and 7 partitions, several block sizes)") {
    val n = 100
    val expected = (0 until n).map(i => (i.toDouble, i + 3.0))
    for (partitions <- Seq(1, 3, 7); blockSize <- Seq(1, 8, 1024)) {
      val df = doubles(n, partitions)
      val blocks = TensorFrames.mapBlocks(df, blocksPlusThree, blockSize = blockSize)
      assert(blocks.rdd.getNumPartitions == partitions)
      assert(pairs(blocks) == expected, s"mapBlocks, $partitions partitions, blocks of $blockSize")
      val shuffled = TensorFrames.mapBlocks(df.repartition(partitions, col("x")), blocksPlusThree, blockSize = blockSize)
      assert(pairs(shuffled).sorted == expected)
    }
    for (partitions <- Seq(1, 3, 7)) {
      assert(pairs(TensorFrames.mapRows(doubles(n, partitions), rowsPlusThree)) == expected)
    }
  }

  test("pass-through cells of varying sizes and nulls survive small blocks, skipped rows and any consumer") {
    // Blocks of 3 reuse their row buffers many times; rows grow and shrink from block to block.
    val n = 60
    def text(i: Int): String = if (i % 7 == 3) null else s"row $i " + "ü" * Seq(0, 2000, 3, 500, 1)(i % 5)
    def bytes(i: Int): Array[Byte] = if (i % 9 == 2) null else Array.tabulate((i * 53) % 400)(j => (i + j).toByte)
    def array(i: Int): Seq[Double] = if (i % 11 == 5) null else Seq.tabulate((i * 31) % 200)(_ + 0.25 * i)
    def x(i: Int): Any = if (i % 8 == 6) null else i.toDouble
    val schema = StructType(Seq(
      StructField("id", LongType, nullable = false),
      StructField("s", StringType),
      StructField("b", BinaryType),
      StructField("a", ArrayType(DoubleType, containsNull = false)),
      StructField("x", DoubleType)
    ))
    val df = frame(schema, (0 until n).map(i => Row(i.toLong, text(i), bytes(i), array(i), x(i))), 2)
    val kept = (0 until n).filter(x(_) != null)
    def check(rows: Seq[Row], what: String): Unit = {
      assert(rows.map(_.getLong(0)) == kept.map(_.toLong), what)
      rows.foreach { r =>
        val i = r.getLong(0).toInt
        assert(r.getString(1) == text(i), s"$what: s of row $i")
        assert(Option(r.getAs[Array[Byte]](2)).map(_.toSeq) == Option(bytes(i)).map(_.toSeq), s"$what: b of row $i")
        assert(Option(r.getSeq[Double](3)) == Option(array(i)), s"$what: a of row $i")
        assert(r.getDouble(4) == i.toDouble && r.getDouble(5) == i + 3.0, s"$what: x, z of row $i")
      }
    }
    val blocks = TensorFrames.mapBlocks(df, blocksPlusThree, blockSize = 3, handleInvalid = HandleInvalid.Skip)
    val rows = TensorFrames.mapRows(df, rowsPlusThree, handleInvalid = HandleInvalid.Skip)
    for ((out, op) <- Seq(blocks -> "mapBlocks", rows -> "mapRows")) {
      check(out.collect().toSeq, s"$op collect")
      check(out.orderBy(col("id").desc).collect().toSeq.reverse, s"$op sorted")
      check(out.rdd.collect().toSeq, s"$op rdd")
      val cached = out.cache()
      try check(cached.collect().toSeq, s"$op cached") finally cached.unpersist()
      spark.conf.set("spark.sql.codegen.wholeStage", "false")
      try check(out.collect().toSeq, s"$op without whole-stage codegen")
      finally spark.conf.unset("spark.sql.codegen.wholeStage")
    }
    val trimmed = TensorFrames.mapBlocks(df, blocksPlusThree, trim = true, blockSize = 3, handleInvalid = "skip")
    assert(trimmed.collect().toSeq.map(_.getDouble(0)) == kept.map(_ + 3.0))
  }

  test("tasks do not carry the graph: a 1 MB graph stays out of the serialized RDD") {
    val big = 131072 // float64 zeros: 1 MB of constant
    val gd = graphDef { g =>
      val zeros = const(g, "zeros", Tensor.ofDoubles(new Array[Double](big), Shape(big.toLong)))
      val x = placeholder(g, "x", DType.Float64, Shape(-1))
      binary(g, "AddV2", "z", x, reduce(g, "Sum", "total", zeros, Seq(0), keepDims = false))
    }
    assert(gd.length > big * 8)
    val df = doubles(10)
    val rowGd = graphDef { g =>
      val zeros = const(g, "zeros", Tensor.ofDoubles(new Array[Double](big), Shape(big.toLong)))
      binary(g, "AddV2", "z", placeholder(g, "x", DType.Float64, Shape.scalar), reduce(g, "Sum", "total", zeros, Seq(0), keepDims = false))
    }
    val outs = Seq(
      "mapBlocks" -> TensorFrames.mapBlocks(df, GraphProgram(gd, Seq("z"))),
      "mapRows" -> TensorFrames.mapRows(df, GraphProgram(rowGd, Seq("z")))
    )
    for ((op, out) <- outs) {
      val rdd = out.queryExecution.toRdd
      val size = SparkEnv.get.closureSerializer.newInstance().serialize(rdd).limit()
      assert(size < 100000, s"$op: the RDD of its tasks serializes to $size bytes")
      assert(pairs(out) == (0 until 10).map(i => (i.toDouble, i.toDouble)), op)
    }
  }

  test("the session cache loads a graph once for many actions over many partitions") {
    // A graph no other test uses, so that its first load happens here.
    val unique = graphDef { g =>
      val c = scalar(g, "c", DType.Float64, 0.123456789)
      binary(g, "AddV2", "z", placeholder(g, "x", DType.Float64, Shape(-1)), c)
    }
    val df = doubles(1600, 16)
    val before = SessionCache.loadCount
    for (blockSize <- Seq(7, 64, 1024)) {
      val out = TensorFrames.mapBlocks(df, GraphProgram(unique, Seq("z")), blockSize = blockSize)
      val total = out.agg(sum("z")).head().getDouble(0)
      assert(math.abs(total - (0 until 1600).map(_ + 0.123456789).sum) < 1e-6, total)
    }
    val grown = SessionCache.loadCount - before
    assert(grown <= 1, s"the graph was loaded $grown times")
    assert(grown == 1, "the executor never loaded the graph through the cache")
  }
}
