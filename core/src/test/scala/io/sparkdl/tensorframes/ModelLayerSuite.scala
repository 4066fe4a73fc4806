package io.sparkdl.tensorframes

import org.apache.spark.SparkException
import org.apache.spark.ml.linalg.{SparseVector, SQLDataTypes, Vectors}
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.types._

import io.sparkdl.model.{GraphProgram, ModelSource, TFModel}
import io.sparkdl.ml.TFTransformer
import io.sparkdl.sql.registerModelUDF
import io.sparkdl.tf.{DType, Fixtures, Shape}

/**
 * Defects of the old layers, each fixed once in the model layer or the runtime, for every entry
 * point: results whose run-time shape breaks the declared one, malformed sparse vectors, model
 * UDFs named like built-ins, ambiguous columns, and the one cast rule.
 */
class ModelLayerSuite extends SparkSessionSuite {
  import TestGraphs._

  private def taskFailure(action: => Any): Throwable = rootCause(intercept[SparkException](action))

  private def assertMentions(e: Throwable, parts: String*): Unit = parts.foreach { p =>
    assert(e.getMessage != null && e.getMessage.contains(p), s"'$p' is not in: ${e.getMessage}")
  }

  // ---- a result's run-time shape against the declared one ---------------------------------------

  /**
   * `y = PlaceholderWithDefault(reshape(x, flatten(s)), shape)`: the run-time rank of y is the
   * length of the row's `s`, whatever `shape` declares (TF does not check it at run time).
   */
  private def reshaped(declared: Shape): Array[Byte] = graphDef { g =>
    val x = placeholder(g, "x", DType.Float64, Shape(-1, -1))
    val s = placeholder(g, "s", DType.Int32, Shape(-1, -1))
    val flat = g.opBuilder("Reshape", "flat").addInput(s).addInput(int32s(g, "minus_one", -1)).build().output(0)
    val dyn = g.opBuilder("Reshape", "dyn").addInput(x).addInput(flat).build().output(0)
    g.opBuilder("PlaceholderWithDefault", "y").addInput(dyn).setAttr("dtype", DType.Float64)
      .setAttr("shape", declared).build()
  }

  private def reshapeInput(s: Seq[Int]): DataFrame = frame(
    StructType(Seq(StructField("x", ArrayType(DoubleType, false), false), StructField("s", ArrayType(IntegerType, false), false))),
    Seq(Row(Seq(1.0, 2.0, 3.0, 4.0), s)),
    1
  )

  test("a fetch whose run-time rank is below its declared rank fails naming it (it crashed the JVM)") {
    val program = GraphProgram(reshaped(Shape(-1, -1, -1)), Seq("y"))
    val e = taskFailure(TensorFrames.mapBlocks(reshapeInput(Seq(4)), program).collect())
    assert(e.isInstanceOf[IllegalArgumentException], e)
    assertMentions(e, "map_blocks", "fetch 'y:0'", "shape [4]", "declares float64[?,?,?]")
  }

  test("a fetch whose run-time rank is above its declared rank fails naming it") {
    val program = GraphProgram(reshaped(Shape(-1, -1)), Seq("y"))
    val e = taskFailure(TensorFrames.mapBlocks(reshapeInput(Seq(1, 2, 2)), program).collect())
    assertMentions(e, "fetch 'y:0'", "shape [1,2,2]", "declares float64[?,?]")
    // The same check guards the stages and model UDFs, which read results the same way.
    val stage = new TFTransformer().setModel(TFModel.fromGraphDef(reshaped(Shape(-1, -1))))
      .setInputMapping(Map("x" -> "x", "s" -> "s")).setOutputMapping(Map("y" -> "out"))
    assertMentions(taskFailure(stage.transform(reshapeInput(Seq(1, 2, 2))).collect()), "model output 'y'", "[1,2,2]")
    registerModelUDF(spark, "reshaped", TFModel.fromGraphDef(reshaped(Shape(-1, -1))), Seq("x", "s"), Seq("y"))
    reshapeInput(Seq(1, 2, 2)).createOrReplaceTempView("reshape_in")
    assertMentions(taskFailure(spark.sql("SELECT reshaped(x, s) FROM reshape_in").collect()),
      "SQL function reshaped", "[1,2,2]")
  }

  // ---- malformed ML vectors ----------------------------------------------------------------------

  private def vectors(vs: SparseVector*): DataFrame =
    frame(StructType(Seq(StructField("v", SQLDataTypes.VectorType))), vs.map(Row(_)), 1)

  // A SparseVector checks its indices when made; its arrays can be changed afterwards.
  private def corrupt(index: Int): SparseVector = {
    val v = new SparseVector(4, Array(1), Array(5.0))
    v.indices(0) = index
    v
  }

  test("sparse vectors with indices outside their size fail naming the column (they crashed the JVM)") {
    val identity = GraphProgram(graphDef(g => TestGraphs.identity(g, "z", placeholder(g, "v", DType.Float64, Shape(-1, -1)))), Seq("z"))
    Seq(50000000, -1, 4).foreach { index =>
      val e = taskFailure(TensorFrames.mapBlocks(vectors(corrupt(index)), identity).collect())
      assertMentions(e, "column 'v'", "sparse vector of size 4", s"index $index", "[0, 4)")
    }
    val fine = Vectors.sparse(4, Array(3), Array(1.0)).toSparse
    val kept = TensorFrames.mapBlocks(vectors(corrupt(50000000), fine, corrupt(-1)), identity, handleInvalid = "skip")
    assert(kept.collect().toSeq.map(_.getSeq[Double](1)) == Seq(Seq(0.0, 0.0, 0.0, 1.0)))
  }

  // ---- model UDF names -----------------------------------------------------------------------------

  test("a model UDF may not take a built-in function's name (the built-in would run instead)") {
    val model = TFModel.fromGraphDef(Fixtures.bytes("add.pb"))
    Seq("abs", "sqrt", "sum", "count", "array", "ABS").foreach { name =>
      val e = intercept[IllegalArgumentException](registerModelUDF(spark, name, model, outputs = Seq("z")))
      assertMentions(e, s"registerModelUDF('$name')", "built-in")
    }
    assert(!spark.catalog.functionExists("abs") || spark.sql("SELECT abs(-1)").head().getInt(0) == 1)
  }

  // ---- ambiguous columns ---------------------------------------------------------------------------

  test("duplicate column names are refused, as Spark refuses an ambiguous reference") {
    val a = spark.range(2).selectExpr("cast(id AS double) AS x")
    val b = spark.range(2).selectExpr("cast(id + 10 AS double) AS x")
    val joined = a.crossJoin(b)
    val program = GraphProgram(graphDef(g => TestGraphs.identity(g, "z", placeholder(g, "x", DType.Float64, Shape(-1)))), Seq("z"))
    val e = intercept[IllegalArgumentException](TensorFrames.mapBlocks(joined, program))
    assertMentions(e, "map_blocks", "column 'x' is ambiguous", "2 columns")
  }

  // ---- the one cast rule, everywhere ---------------------------------------------------------------

  /** `z = x * 2` over a placeholder `x` of `dtype`, shape [?]. */
  private def doubling(dtype: DType): Array[Byte] = graphDef { g =>
    val x = placeholder(g, "x", dtype, Shape(-1))
    binary(g, "Mul", "z", x, scalar(g, "two", dtype, 2))
  }

  private val columnTypes: Seq[DataType] = Seq(ByteType, ShortType, IntegerType, LongType, FloatType, DoubleType)
  private val modelTypes: Seq[DType] = Seq(DType.Int8, DType.Int16, DType.Int32, DType.Int64, DType.Float32, DType.Float64)

  private def allowed(column: DataType, model: DType): Boolean =
    Seq(FloatType, DoubleType).contains(column) == false || model == DType.Float32 || model == DType.Float64

  test("the cast table (column type x model dtype) is the same for map_blocks, stages and model UDFs") {
    val source = spark.range(1, 4, 1, 1).selectExpr("id")
    columnTypes.foreach { ct =>
      val df = source.select(source("id").cast(ct).as("x"))
      df.createOrReplaceTempView("cast_in")
      modelTypes.foreach { dt =>
        val model = TFModel.fromGraphDef(doubling(dt))
        val what = s"${ct.simpleString} -> $dt"
        def viaMap = TensorFrames.mapBlocks(df, GraphProgram(doubling(dt), Seq("z"))).select("z")
        def viaStage = new TFTransformer().setModel(model).setInputMapping(Map("x" -> "x"))
          .setOutputMapping(Map("z" -> "z")).transform(df).select("z")
        def viaUdf = {
          registerModelUDF(spark, "doubling", model, Seq("x"), Seq("z"))
          spark.sql("SELECT doubling(x) AS z FROM cast_in")
        }
        Seq("map_blocks" -> (() => viaMap), "stage" -> (() => viaStage), "udf" -> (() => viaUdf)).foreach {
          case (entry, run) =>
            if (allowed(ct, dt)) {
              val out = run().collect().map(r => r.get(0).asInstanceOf[Number].doubleValue).toSeq
              assert(out == Seq(2.0, 4.0, 6.0), s"$entry $what")
            } else {
              val e = intercept[IllegalArgumentException](run().collect())
              assertMentions(e, "not cast to integers", dt.name)
              if (entry == "udf") assertMentions(e, "SQL function doubling", "argument 1 (model input 'x')")
            }
        }
      }
    }
  }

  // ---- planning once ----------------------------------------------------------------------------------

  test("a TFTransformer.transform imports the model's graph once on the driver") {
    val df = spark.range(3).selectExpr("cast(id AS double) AS x")
    val stage = new TFTransformer().setModel(TFModel.fromGraphDef(doubling(DType.Float64)))
      .setInputMapping(Map("x" -> "x")).setOutputMapping(Map("z" -> "z"))
    val before = ModelSource.graphImports.get()
    val out = stage.transform(df)
    assert(ModelSource.graphImports.get() - before == 1)
    assert(out.collect().map(_.getDouble(1)).toSeq == Seq(0.0, 2.0, 4.0))
  }
}
