package io.sparkdl.tensorframes

import scala.util.Using

import org.apache.spark.SparkException
import org.apache.spark.ml.linalg.{SQLDataTypes, Vectors}
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.functions.{array, col}
import org.apache.spark.sql.types._

import io.sparkdl.model._
import io.sparkdl.runtime._
import io.sparkdl.tf.{DType, Graph, Shape, TfException}

/** Invalid data, graphs that do not fit the DataFrame, bad arguments: each error says what and where. */
class ErrorSuite extends SparkSessionSuite {
  import TestGraphs._

  private def doubles(n: Int, partitions: Int = 2): DataFrame =
    spark.range(0, n, 1, partitions).select(col("id").cast("double").as("x"))

  /** `z = identity(x)` over a placeholder (by default `x`, float64) of `shape`. */
  private def identityOf(shape: Shape, name: String = "x", dtype: DType = DType.Float64): GraphProgram =
    GraphProgram(graphDef(g => identity(g, "z", placeholder(g, name, dtype, shape))), Seq("z"))

  private val blockIdentity = identityOf(Shape(-1))
  private val rowIdentity = identityOf(Shape.scalar)

  /** The root cause of the task failure `action` raises. */
  private def taskFailure(action: => Any): Throwable = rootCause(intercept[SparkException](action))

  private def refused(action: => Any): IllegalArgumentException = intercept[IllegalArgumentException](action)

  private def assertMentions(e: Throwable, parts: String*): Unit = parts.foreach { p =>
    assert(e.getMessage != null && e.getMessage.contains(p), s"'$p' is not in: ${e.getMessage}")
  }

  // ---- invalid cells -------------------------------------------------------------------------

  private val withNull =
    frame(StructType(Seq(StructField("x", DoubleType))), Seq(Row(1.0), Row(null), Row(3.0)), 1)

  test("a null cell fails map_blocks with handleInvalid 'error' and is dropped with 'skip'") {
    val e = taskFailure(TensorFrames.mapBlocks(withNull, blockIdentity).collect())
    assert(e.isInstanceOf[IllegalArgumentException], e)
    assertMentions(e, "map_blocks", "column 'x'", "null", "handleInvalid")
    val skipped = TensorFrames.mapBlocks(withNull, blockIdentity, handleInvalid = "skip")
    assert(skipped.collect().toSeq == Seq(Row(1.0, 1.0), Row(3.0, 3.0)))
  }

  test("a null cell fails map_rows with handleInvalid 'error' and is dropped with 'skip'") {
    val e = taskFailure(TensorFrames.mapRows(withNull, rowIdentity).collect())
    assertMentions(e, "map_rows", "column 'x'", "null")
    val skipped = TensorFrames.mapRows(withNull, rowIdentity, handleInvalid = HandleInvalid.Skip)
    assert(skipped.collect().toSeq == Seq(Row(1.0, 1.0), Row(3.0, 3.0)))
  }

  test("a null array element fails with 'error' and drops its row with 'skip'") {
    val df = frame(
      schemaOf("x" -> ArrayType(DoubleType, containsNull = true)),
      Seq(Row(Seq(1.0, 2.0)), Row(Seq[Any](3.0, null)), Row(Seq(5.0, 6.0))),
      1
    )
    val e = taskFailure(TensorFrames.mapBlocks(df, identityOf(Shape(-1, 2))).collect())
    assertMentions(e, "map_blocks", "column 'x'", "null array element")
    val skipped = TensorFrames.mapBlocks(df, identityOf(Shape(-1, 2)), handleInvalid = "skip")
    assert(skipped.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Seq(1.0, 2.0), Seq(5.0, 6.0)))
  }

  test("a null element deep in a long nullable array is found") {
    val cells = Seq(
      Seq.tabulate[Any](100)(_.toDouble),
      Seq.tabulate[Any](100)(i => if (i == 70) null else i.toDouble)
    )
    val df = frame(schemaOf("x" -> ArrayType(DoubleType, containsNull = true)), cells.map(Row(_)), 1)
    val e = taskFailure(TensorFrames.mapBlocks(df, identityOf(Shape(-1, 100))).collect())
    assertMentions(e, "column 'x'", "null array element")
    assert(TensorFrames.mapBlocks(df, identityOf(Shape(-1, 100)), handleInvalid = "skip").count() == 1)
  }

  test("a null cell in a reduction fails naming the column") {
    val e = taskFailure(TensorFrames.reduceBlocks(withNull, sumGraph("x", "x_input"), Seq("x")))
    assertMentions(e, "reduce_blocks", "column 'x'", "null")
  }

  private val ragged = frame(
    schemaOf("x" -> arrayOf(DoubleType)),
    Seq(Row(Seq(1.0, 2.0)), Row(Seq(3.0, 4.0, 5.0)), Row(Seq(6.0, 7.0))),
    1
  )

  test("rows whose cells differ in shape run in blocks of their own: all kept, at every block size") {
    Seq(1, 2, 3, 100).foreach { blockSize =>
      val out = TensorFrames.mapBlocks(ragged, identityOf(Shape(-1, -1)), blockSize = blockSize)
      assert(out.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Seq(1.0, 2.0), Seq(3.0, 4.0, 5.0), Seq(6.0, 7.0)))
    }
  }

  test("cells that break a declared dimension are invalid: an error, or skipped at every block size") {
    val e = taskFailure(TensorFrames.mapBlocks(ragged, identityOf(Shape(-1, 2))).collect())
    assertMentions(e, "map_blocks", "column 'x'", "[3]", "[2]", "handleInvalid")
    // The rows of issue 10: [3], [1,2], [4,5,6], [7]; declared [?, 1], only [3] and [7] fit.
    val rows = frame(schemaOf("x" -> arrayOf(DoubleType)),
      Seq(Row(Seq(3.0)), Row(Seq(1.0, 2.0)), Row(Seq(4.0, 5.0, 6.0)), Row(Seq(7.0))), 1)
    Seq(1, 2, 3, 4).foreach { blockSize =>
      val kept = TensorFrames.mapBlocks(rows, identityOf(Shape(-1, 1)), blockSize = blockSize, handleInvalid = "skip")
      assert(kept.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Seq(3.0), Seq(7.0)), s"block size $blockSize")
      // Undeclared, every row is valid: all four are kept, whatever the block size.
      val all = TensorFrames.mapBlocks(rows, identityOf(Shape(-1, -1)), blockSize = blockSize, handleInvalid = "skip")
      assert(all.count() == 4, s"block size $blockSize")
    }
    // A shape recorded on the column (append_shape) declares it as the placeholder would.
    val declared = TensorFrames.appendShape(rows, "x", Shape(-1, 1))
    Seq(1, 3).foreach { blockSize =>
      val kept = TensorFrames.mapBlocks(declared, identityOf(Shape(-1, -1)), blockSize = blockSize, handleInvalid = "skip")
      assert(kept.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Seq(3.0), Seq(7.0)), s"block size $blockSize")
    }
  }

  test("ragged arrays are accepted by map_rows") {
    val gd = graphDef { g =>
      val x = placeholder(g, "x", DType.Float64, Shape(-1))
      identity(g, "z", x)
      reduce(g, "Sum", "s", x, Seq(0), keepDims = false)
    }
    val out = TensorFrames.mapRows(ragged, GraphProgram(gd, Seq("z", "s")))
    assert(out.collect().toSeq.map(r => (r.getSeq[Double](1), r.getDouble(2))) ==
      Seq((Seq(1.0, 2.0), 3.0), (Seq(3.0, 4.0, 5.0), 12.0), (Seq(6.0, 7.0), 13.0)))
  }

  test("a block shape recorded by appendShape that the data contradicts fails in the task") {
    val df = TensorFrames.appendShape(
      frame(schemaOf("x" -> arrayOf(DoubleType)), Seq(Row(Seq(1.0, 2.0))), 1),
      "x",
      Shape(-1, 3)
    )
    Using.resource(Graph()) { g =>
      val x = TensorFrames.block(g, df, "x")
      assert(x.shape == Shape(-1, 3))
      val e = taskFailure(TensorFrames.mapBlocks(df, Seq(identity(g, "z", x))).collect())
      assertMentions(e, "map_blocks", "column 'x'", "[2]", "[3]")
    }
  }

  test("ML vectors of different sizes pass map_blocks (in blocks of their own) and map_rows") {
    val df = frame(
      schemaOf("x" -> SQLDataTypes.VectorType),
      Seq(Row(Vectors.dense(1, 2, 3)), Row(Vectors.sparse(4, Array(3), Array(1.0)))),
      1
    )
    val blocks = TensorFrames.mapBlocks(df, identityOf(Shape(-1, -1)))
    assert(blocks.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Seq(1.0, 2.0, 3.0), Seq(0.0, 0.0, 0.0, 1.0)))
    val rows = TensorFrames.mapRows(df, identityOf(Shape(-1)))
    assert(rows.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Seq(1.0, 2.0, 3.0), Seq(0.0, 0.0, 0.0, 1.0)))
  }

  // ---- graphs that do not fit the DataFrame ---------------------------------------------------

  test("fetches that would give two columns the same name are refused on the driver") {
    val df = TensorFrames.analyze(frame(schemaOf("x" -> arrayOf(DoubleType)), Seq(Row(Seq(1.0, 2.0))), 1))
    val gd = graphDef { g =>
      g.opBuilder("Unpack", "u").addInput(placeholder(g, "x", DType.Float64, Shape(-1, 2)))
        .setAttr("num", 2L).setAttr("axis", 1L).build()
    }
    // Both outputs of 'u' would become column 'u'.
    assertMentions(refused(TensorFrames.mapBlocks(df, GraphProgram(gd, Seq("u:0", "u:1")))), "'u'")
    val same = GraphProgram(rowIdentity.model.graphDef, Seq("z", "x"), outputNames = Seq("same", "same"))
    assertMentions(refused(TensorFrames.mapRows(doubles(3), same)), "'same'")
  }

  test("a placeholder with no column fails on the driver, naming it and the columns") {
    val e = refused(TensorFrames.mapBlocks(doubles(3), identityOf(Shape(-1), "y")))
    assertMentions(e, "map_blocks", "placeholder 'y'", "float64[?]", "matches no column", "x", "feed_dict")
    assertMentions(refused(TensorFrames.mapRows(doubles(3), identityOf(Shape.scalar, "y"))), "map_rows", "'y'")
  }

  test("the cast rule: doubles feed a float32 placeholder, never an integer one") {
    val f32 = TensorFrames.mapBlocks(doubles(3), identityOf(Shape(-1), dtype = DType.Float32))
    assert(f32.schema("z").dataType == FloatType)
    assert(f32.collect().map(_.getFloat(1)).toSeq == Seq(0f, 1f, 2f))
    val e = refused(TensorFrames.mapBlocks(doubles(3), identityOf(Shape(-1), dtype = DType.Int32)))
    assertMentions(e, "map_blocks", "column 'x'", "double", "placeholder 'x'", "int32", "not cast to integers")
    val e2 = refused(TensorFrames.mapRows(doubles(3), identityOf(Shape.scalar, dtype = DType.Int64)))
    assertMentions(e2, "map_rows", "placeholder 'x'", "int64")
  }

  test("a rank mismatch fails on the driver with both ranks") {
    val e = refused(TensorFrames.mapBlocks(doubles(3), identityOf(Shape(-1, 2))))
    assertMentions(e, "map_blocks", "column 'x'", "rank 0", "placeholder 'x'", "[?,2]", "rank 1")
    val e2 = refused(TensorFrames.mapRows(doubles(3), identityOf(Shape(-1))))
    assertMentions(e2, "map_rows", "rank 0", "[?]", "rank 1")
  }

  test("a scalar placeholder cannot take blocks") {
    val e = refused(TensorFrames.mapBlocks(doubles(3), rowIdentity))
    assertMentions(e, "placeholder 'x'", "scalar", "map_rows")
  }

  test("an analyzed dimension that does not fit the placeholder fails on the driver") {
    val df = TensorFrames.analyze(frame(schemaOf("x" -> arrayOf(DoubleType)), Seq(Row(Seq(1.0, 2.0, 3.0))), 1))
    val e = refused(TensorFrames.mapBlocks(df, identityOf(Shape(-1, 2))))
    assertMentions(e, "column 'x'", "[3]", "placeholder 'x'", "[?,2]")
  }

  test("an unsupported column type is named with its type") {
    val times = spark.range(3).select(col("id").cast("timestamp").as("x"))
    assertMentions(refused(TensorFrames.mapBlocks(times, blockIdentity)), "column 'x'", "timestamp")
    val strings = spark.range(3).select(array(col("id").cast("string")).as("x"))
    val e = refused(TensorFrames.mapBlocks(strings, identityOf(Shape(-1, -1), dtype = DType.TString)))
    assertMentions(e, "column 'x'", "array<string>")
  }

  test("an output column that already exists is refused unless trimmed") {
    val df = doubles(3).withColumn("z", col("x"))
    assertMentions(refused(TensorFrames.mapBlocks(df, blockIdentity)), "map_blocks", "output column 'z'", "already exists")
    assertMentions(refused(TensorFrames.mapRows(df, rowIdentity)), "map_rows", "output column 'z'", "already exists")
    val renamed = blockIdentity.copy(outputNames = Seq("x"))
    assertMentions(refused(TensorFrames.mapBlocks(doubles(3), renamed)), "output column 'x'")
    val trimmed = TensorFrames.mapBlocks(df, blockIdentity, trim = true)
    assert(trimmed.collect().toSeq == Seq(Row(0.0), Row(1.0), Row(2.0)))
  }

  test("feedDict naming a non-placeholder fails, listing the placeholders") {
    val input = identityOf(Shape(-1), "input")
    val e = refused(TensorFrames.mapBlocks(doubles(3), input.copy(feedDict = Map("z" -> "x", "input" -> "x"))))
    assertMentions(e, "feed_dict", "'z'", "not a placeholder", "input")
    assertMentions(refused(TensorFrames.mapRows(doubles(3), input.copy(feedDict = Map("nope:0" -> "x")))), "'nope'")
  }

  test("an unknown fetch name fails on the driver, naming the fetch") {
    val e = refused(TensorFrames.mapBlocks(doubles(3), blockIdentity.copy(fetches = Seq("nope"))))
    assertMentions(e, "map_blocks", "fetch 'nope'", "x")
    val e2 = refused(TensorFrames.mapBlocks(doubles(3), blockIdentity.copy(fetches = Seq("z:4"))))
    assertMentions(e2, "'z:4'", "1 output")
  }

  test("fetches whose row count changes need trim") {
    val sums = GraphProgram(sumGraph("z", "x", keepDims = true), Seq("z"))
    val e = taskFailure(TensorFrames.mapBlocks(doubles(6), sums, blockSize = 3).collect())
    assertMentions(e, "map_blocks", "'z:0'", "1 rows", "block of 3", "trim")
    val two = graphDef { g =>
      val x = placeholder(g, "x", DType.Float64, Shape(-1))
      reduce(g, "Sum", "s", x, Seq(0), keepDims = true)
      identity(g, "z", x)
    }
    val both = GraphProgram(two, Seq("s", "z"))
    val e2 = taskFailure(TensorFrames.mapBlocks(doubles(6), both, trim = true, blockSize = 3).collect())
    assertMentions(e2, "different row counts", "s:0: 1", "z:0: 3")
  }

  test("a scalar fetch is refused by map_blocks") {
    val e = refused(TensorFrames.mapBlocks(doubles(3), GraphProgram(sumGraph("z", "x"), Seq("z"))))
    assertMentions(e, "fetch 'z:0'", "scalar", "reduce_blocks")
  }

  test("errors in the graph's own run surface from the task") {
    // Reshape to [?,3] of blocks whose size is not a multiple of 3: TF refuses at run time.
    val gd = graphDef { g =>
      val x = placeholder(g, "x", DType.Float64, Shape(-1))
      g.opBuilder("Reshape", "z").addInput(x).addInput(int32s(g, "shape", -1, 3)).build()
    }
    val e = taskFailure(TensorFrames.mapBlocks(doubles(4, 1), GraphProgram(gd, Seq("z")), trim = true).collect())
    assert(e.isInstanceOf[TfException], e)
    assertMentions(e, "reshape")
    // and say which columns fed that run
    assertMentions(e, "map_blocks: TensorFlow failed running the model", "placeholder 'x' from column 'x'", "fetch 'z:0'")
  }

  // ---- bad arguments -------------------------------------------------------------------------

  test("blockSize 0 and handleInvalid 'bogus' are refused") {
    assertMentions(refused(TensorFrames.mapBlocks(doubles(3), blockIdentity, blockSize = 0)), "blockSize", "0")
    assertMentions(refused(TensorFrames.mapBlocks(doubles(3), blockIdentity, blockSize = -5)), "-5")
    val sum = sumGraph("x", "x_input")
    assertMentions(refused(TensorFrames.reduceBlocks(doubles(3), sum, Seq("x"), blockSize = 0)), "blockSize")
    val e = refused(TensorFrames.mapBlocks(doubles(3), blockIdentity, handleInvalid = "bogus"))
    assertMentions(e, "handleInvalid", "'bogus'", "error", "skip")
    assertMentions(refused(TensorFrames.mapRows(doubles(3), rowIdentity, handleInvalid = "bogus")), "'bogus'")
  }

  test("a GraphProgram needs a graph, fetches and matching output names") {
    val gd = blockIdentity.model.graphDef
    assertMentions(refused(GraphProgram(Array.emptyByteArray, Seq("z"))), "empty")
    assertMentions(refused(GraphProgram(gd, Nil)), "fetch")
    assertMentions(refused(GraphProgram(gd, Seq("z"), Seq("a", "b"))), "2 output names", "1 fetches")
    assertMentions(refused(TensorFrames.mapBlocks(doubles(3), Nil)), "fetch")
  }
}
