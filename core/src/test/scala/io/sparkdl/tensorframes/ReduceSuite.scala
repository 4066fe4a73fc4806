package io.sparkdl.tensorframes

import java.nio.{ByteBuffer, ByteOrder}

import scala.util.Using

import org.apache.spark.ml.linalg.{SQLDataTypes, Vectors}
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.functions.{array, col, lit, max, sum}
import org.apache.spark.sql.types._

import io.sparkdl.tf.{DType, Graph, Shape}

/** reduce_rows, reduce_blocks and aggregate. */
class ReduceSuite extends SparkSessionSuite {
  import TestGraphs._

  private def doubles(n: Int, partitions: Int): DataFrame =
    spark.range(0, n, 1, partitions).select(col("id").cast("double").as("x"))

  /** Fetch `x` = reduce_sum(`x_input`) over axis 0 of a block of `dtype` cells of shape `cell`. */
  private def blockSum(dtype: DType = DType.Float64, cell: Shape = Shape.scalar): Array[Byte] =
    sumGraph("x", "x_input", dtype, cell.prepend(-1))

  /** Fetch `name` = `name_1` + `name_2`, placeholders of `dtype` and `shape`. */
  private def pairSum(g: Graph, name: String, dtype: DType, shape: Shape): Unit =
    binary(g, "AddV2", name, placeholder(g, s"${name}_1", dtype, shape), placeholder(g, s"${name}_2", dtype, shape))

  private def refused(action: => Any): String = intercept[IllegalArgumentException](action).getMessage

  // ---- reduce_rows ---------------------------------------------------------------------------

  for (partitions <- Seq(1, 2, 3, 7)) {
    test(s"reduceRows: x_1 + x_2 over 0..4 is 10 ($partitions partitions)") {
      val df = doubles(5, partitions)
      val row = Using.resource(Graph()) { g =>
        val x1 = TensorFrames.row(g, df, "x", "x_1")
        val x2 = TensorFrames.row(g, df, "x", "x_2")
        TensorFrames.reduceRows(df, Seq(binary(g, "AddV2", "x", x1, x2)))
      }
      assert(row == Row(10.0))
    }
  }

  test("reduceRows over long and array columns, as rows and as tensor values") {
    val df = spark.range(0, 5, 1, 2).select(col("id").as("x"), array(col("id"), col("id") * 10).as("y"))
    val gd = graphDef { g =>
      pairSum(g, "x", DType.Int64, Shape.scalar)
      pairSum(g, "y", DType.Int64, Shape(-1))
    }
    assert(TensorFrames.reduceRows(df, gd, Seq("x", "y")) == Row(10L, Seq(10L, 100L)))
    val tensors = TensorFrames.reduceRowsTensors(df, gd, Seq("x", "y:0"))
    assert(tensors.length == 2)
    val (x, y) = (tensors(0), tensors(1))
    assert(x.dtype == DType.Int64 && x.shape == Shape.scalar)
    assert(ByteBuffer.wrap(x.rawBytes).order(ByteOrder.LITTLE_ENDIAN).getLong == 10L)
    assert(y.dtype == DType.Int64 && y.shape == Shape(2))
    val yb = ByteBuffer.wrap(y.rawBytes).order(ByteOrder.LITTLE_ENDIAN)
    assert(Seq(yb.getLong, yb.getLong) == Seq(10L, 100L))
  }

  // ---- reduce_blocks -------------------------------------------------------------------------

  for (partitions <- Seq(1, 2, 3, 7); blockSize <- Seq(1, 2, 3, 1024)) {
    test(s"reduceBlocks: reduce_sum(x_input) over 0..4 is 10 ($partitions partitions, blocks of $blockSize)") {
      assert(TensorFrames.reduceBlocks(doubles(5, partitions), blockSum(), Seq("x"), blockSize) == Row(10.0))
    }
  }

  test("reduceBlocks over many rows, blocks and partitions collapses partials") {
    val df = doubles(10000, 7)
    for (blockSize <- Seq(2, 10, 1024)) {
      assert(TensorFrames.reduceBlocks(df, blockSum(), Seq("x:0"), blockSize) == Row(49995000.0))
    }
  }

  test("reduceBlocks with the Scala overload and several fetches of different reductions") {
    val df = spark.range(0, 5, 1, 3).select(col("id").cast("double").as("x"), (col("id") * 10).cast("int").as("y"))
    val row = Using.resource(Graph()) { g =>
      val x = TensorFrames.block(g, df, "x", "x_input")
      val y = TensorFrames.block(g, df, "y", "y_input")
      TensorFrames.reduceBlocks(df, Seq(
        reduce(g, "Sum", "x", x, Seq(0), keepDims = false),
        reduce(g, "Max", "y", y, Seq(0), keepDims = false)
      ))
    }
    assert(row == Row(10.0, 40))
  }

  test("reduceBlocks over array and vector columns sums elementwise") {
    val arrays = frame(schemaOf("x" -> arrayOf(FloatType)), (0 until 6).map(i => Row(Seq(i.toFloat, -i.toFloat, 1f))), 3)
    val floatSum = blockSum(DType.Float32, Shape(3))
    assert(TensorFrames.reduceBlocks(arrays, floatSum, Seq("x"), 4) == Row(Seq(15f, -15f, 6f)))
    val vectors = frame(
      schemaOf("x" -> SQLDataTypes.VectorType),
      Seq(Vectors.dense(1, 2, 3), Vectors.sparse(3, Array(2), Array(10.0)), Vectors.dense(0.5, 0, 0)).map(Row(_)),
      2
    )
    assert(TensorFrames.reduceBlocks(vectors, blockSum(cell = Shape(-1)), Seq("x")) == Row(Seq(1.5, 2.0, 13.0)))
    val t = TensorFrames.reduceBlocksTensors(vectors, blockSum(cell = Shape(3)), Seq("x")).head
    assert(t.dtype == DType.Float64 && t.shape == Shape(3))
  }

  test("reductions of an empty DataFrame fail with a clear message") {
    val empty = doubles(0, 2)
    val e = refused(TensorFrames.reduceBlocks(empty, blockSum(), Seq("x")))
    assert(e.contains("reduce_blocks") && e.contains("no rows"), e)
    val pair = graphDef(g => pairSum(g, "x", DType.Float64, Shape.scalar))
    val e2 = refused(TensorFrames.reduceRows(empty, pair, Seq("x")))
    assert(e2.contains("reduce_rows") && e2.contains("no rows"), e2)
  }

  test("reductions that break the naming convention or the dtype fail on the driver") {
    val df = doubles(5, 2)
    // Fetch 'x' reads placeholder 'v': neither 'x_input' (blocks) nor 'x_1'/'x_2' (rows).
    val plain = sumGraph("x", "v")
    val e = refused(TensorFrames.reduceBlocks(df, plain, Seq("x")))
    assert(e.contains("reduce_blocks") && e.contains("placeholder 'v'") && e.contains("'x_input'"), e)
    val e2 = refused(TensorFrames.reduceRows(df, plain, Seq("x")))
    assert(e2.contains("reduce_rows") && e2.contains("'x_1' and 'x_2'"), e2)
    // A fetch needs a column of its own name.
    val e3 = refused(TensorFrames.reduceBlocks(df, sumGraph("s", "s_input"), Seq("s")))
    assert(e3.contains("'s'") && e3.contains("x"), e3)
    val cast = graphDef { g =>
      val s = reduce(g, "Sum", "s", placeholder(g, "x_input", DType.Float64, Shape(-1)), Seq(0), keepDims = false)
      g.opBuilder("Cast", "x").addInput(s).setAttr("DstT", DType.Float32).build()
    }
    val e4 = refused(TensorFrames.reduceBlocks(df, cast, Seq("x")))
    assert(e4.contains("float32") && e4.contains("float64") && e4.contains("keep the dtype"), e4)
  }

  // ---- aggregate -----------------------------------------------------------------------------

  test("aggregate: reduce_sum of x grouped by x % 2") {
    val df = doubles(10, 2).withColumn("key", (col("x") % 2).cast("int"))
    val out = TensorFrames.aggregate(df.groupBy("key"), blockSum(), Seq("x"))
    assert(out.columns.toSeq == Seq("key", "x"))
    assert(out.schema("x").dataType == DoubleType)
    assert(out.collect().map(r => r.getInt(0) -> r.getDouble(1)).toMap == Map(0 -> 20.0, 1 -> 25.0))
  }

  private def idAndX = spark.range(0, 10, 1, 3).select(col("id").as("id"), col("id").cast("double").as("x"))

  test("aggregate grouped by an unnamed expression names the key like Spark's groupBy") {
    val df = idAndX
    val byExpr = TensorFrames.aggregate(df.groupBy(col("id") % 2), blockSum(), Seq("x"))
    assert(byExpr.columns.toSeq == df.groupBy(col("id") % 2).agg(sum("x")).columns.toSeq.take(1) :+ "x")
    assert(byExpr.collect().map(r => r.getLong(0) -> r.getDouble(1)).toMap == Map(0L -> 20.0, 1L -> 25.0))
  }

  test("aggregate grouped by two aliased expressions") {
    val grouped = idAndX.groupBy((col("id") % 2).as("a"), (col("id") % 3).as("b"))
    val two = TensorFrames.aggregate(grouped, blockSum(), Seq("x"))
    val expected = (0 until 10).groupBy(i => (i % 2L, i % 3L)).map { case (k, v) => k -> v.sum.toDouble }
    assert(two.collect().map(r => (r.getLong(0), r.getLong(1)) -> r.getDouble(2)).toMap == expected)
  }

  for (partitions <- Seq(1, 3, 7); blockSize <- Seq(1, 2, 1024)) {
    test(s"aggregate equals Spark's sum per key ($partitions partitions, blocks of $blockSize)") {
      val id = col("id")
      val df = spark.range(0, 500, 1, partitions)
        .select((id % 7).as("key"), id.cast("double").as("x"), (id % 5).cast("int").as("y"))
      val gd = graphDef { g =>
        reduce(g, "Sum", "x", placeholder(g, "x_input", DType.Float64, Shape(-1)), Seq(0), keepDims = false)
        reduce(g, "Max", "y", placeholder(g, "y_input", DType.Int32, Shape(-1)), Seq(0), keepDims = false)
      }
      val out = TensorFrames.aggregate(df.groupBy("key"), gd, Seq("x", "y"), blockSize)
      def byKey(rows: Array[Row]) = rows.map(r => r.getLong(0) -> (r.getDouble(1), r.getInt(2))).toMap
      assert(byKey(out.collect()) == byKey(df.groupBy("key").agg(sum("x"), max("y")).collect()))
    }
  }

  test("aggregate of array cells per key") {
    val df = spark.range(0, 6, 1, 2).select((col("id") % 2).as("k"), array(col("id").cast("double"), lit(1.0)).as("x"))
    val out = TensorFrames.aggregate(df.groupBy("k"), blockSum(cell = Shape(2)), Seq("x"))
    assert(out.collect().map(r => r.getLong(0) -> r.getSeq[Double](1)).toMap ==
      Map(0L -> Seq(6.0, 3.0), 1L -> Seq(9.0, 3.0)))
  }

  test("aggregate keeps a group for null keys and handles string keys") {
    val schema = StructType(Seq(StructField("k", StringType), StructField("x", DoubleType, nullable = false)))
    val keys = Seq("a", null, "b", null, "a", "b", null)
    val rows = keys.zipWithIndex.map { case (k, i) => Row(k, i + 1.0) }
    for (partitions <- Seq(1, 3)) {
      val out = TensorFrames.aggregate(frame(schema, rows, partitions).groupBy("k"), blockSum(), Seq("x"), blockSize = 2)
      assert(out.collect().map(r => Option(r.getString(0)) -> r.getDouble(1)).toMap ==
        Map(Some("a") -> 6.0, Some("b") -> 9.0, None -> 13.0))
    }
  }

  test("aggregate of an empty DataFrame is empty") {
    val grouped = doubles(0, 2).withColumn("k", col("x")).groupBy("k")
    assert(TensorFrames.aggregate(grouped, blockSum(), Seq("x")).collect().isEmpty)
  }

  test("aggregate refuses a fetch named like a grouping column") {
    val df = doubles(4, 1).withColumn("k", col("x") % 2)
    val e = refused(TensorFrames.aggregate(df.groupBy("x"), blockSum(), Seq("x")))
    assert(e.contains("'x'") && e.contains("grouping column"), e)
  }
}
