package io.sparkdl.sql

import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.execution.SparkPlan
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanHelper
import org.apache.spark.sql.functions.{col, expr}
import org.apache.spark.sql.types._


import io.sparkdl.model._
import io.sparkdl.runtime._
import io.sparkdl.tensorframes.SparkSessionSuite
import io.sparkdl.tf.{Fixtures, TolerantAssertions}

/** TF models as SQL functions: registration, results against TF/Keras, batching, errors. */
class ModelUDFSuite extends SparkSessionSuite with TolerantAssertions with AdaptiveSparkPlanHelper {

  private lazy val keras = TFModel.fromSavedModel(Fixtures.path("keras_mlp").toString, signatureKey = "serve")
  private lazy val twoSigs = TFModel.fromSavedModel(Fixtures.path("saved_model_two_sigs").toString, signatureKey = "sum")

  private lazy val kerasX: Seq[Array[Float]] = Fixtures.npy("keras_x.npy").floats.grouped(10).toSeq
  private lazy val kerasY: Array[Float] = Fixtures.npy("keras_y.npy").floats

  /** keras_x as a table `mlp_in` (i int, x array<float>, xd array<double>) in 3 partitions. */
  private lazy val mlpIn: DataFrame = {
    val rows = kerasX.zipWithIndex.map { case (x, i) => Row(i, x.toSeq, x.map(_.toDouble).toSeq) }
    val df = frame(schemaOf("i" -> IntegerType, "x" -> arrayOf(FloatType), "xd" -> arrayOf(DoubleType)), rows, 3)
    df.createOrReplaceTempView("mlp_in")
    df
  }

  /** sm_a, sm_b as a table `sums_in` (i int, a float, b float, k int) in 2 partitions. */
  private lazy val sumsIn: DataFrame = {
    val a = Fixtures.npy("sm_a.npy").floats
    val b = Fixtures.npy("sm_b.npy").floats
    val rows = a.indices.map(i => Row(i, a(i), b(i), i % 2))
    val df = frame(schemaOf("i" -> IntegerType, "a" -> FloatType, "b" -> FloatType, "k" -> IntegerType), rows, 2)
    df.createOrReplaceTempView("sums_in")
    df
  }

  override def beforeAll(): Unit = {
    super.beforeAll()
    registerModelUDF(spark, "mlp", keras)
    registerModelUDF(spark, "sums", twoSigs)
    mlpIn
    sumsIn
  }

  private def floats(df: DataFrame, column: Int = 0): Array[Float] =
    df.collect().map(_.get(column).asInstanceOf[Number].floatValue)

  private def refused(action: => Any): IllegalArgumentException = intercept[IllegalArgumentException](action)

  private def assertMentions(e: Throwable, parts: String*): Unit = parts.foreach { p =>
    assert(e.getMessage != null && e.getMessage.contains(p), s"'$p' is not in: ${e.getMessage}")
  }

  /** The model runs the query's ModelUDFEvalExecs made (their SQL metric), after it ran. */
  // ---- registration --------------------------------------------------------------------------

  test("registered functions are listed as temporary functions and described") {
    val listed = spark.catalog.listFunctions().collect().filter(f => Set("mlp", "sums").contains(f.name))
    assert(listed.map(_.name).sorted.toSeq == Seq("mlp", "sums"))
    assert(listed.forall(_.isTemporary))
    val mlp = listed.find(_.name == "mlp").get
    assertMentions(new Exception(mlp.description), "mlp(x)", "SavedModel", "array<float>", "output_0", "1024")
    val sums = listed.find(_.name == "sums").get
    assertMentions(new Exception(sums.description), "sums(a, b)", "struct<diff:float,total:float>")
    val described = spark.sql("DESCRIBE FUNCTION sums").collect().map(_.getString(0)).mkString("\n")
    assertMentions(new Exception(described), "sums", "sums(a, b) - runs SavedModel")
  }

  test("registration checks the name, inputs, outputs and batch size") {
    assertMentions(refused(registerModelUDF(spark, "my model", keras)), "registerModelUDF('my model')", "name")
    assertMentions(
      refused(registerModelUDF(spark, "m", keras, inputs = Seq("features"))),
      "'features' is not a model input", "its inputs: x"
    )
    assertMentions(
      refused(registerModelUDF(spark, "m", keras, outputs = Seq("probs"))),
      "'probs' is not a model output", "its outputs: output_0"
    )
    val dense = TFModel.fromGraphDef(Fixtures.bytes("dense.pb"))
    assertMentions(refused(registerModelUDF(spark, "m", dense)), "frozen GraphDef", "name the outputs")
    assertMentions(refused(registerModelUDF(spark, "m", keras, batchSize = 0)), "batchSize must be positive")
    assertMentions(refused(registerModelUDF(spark, "m", twoSigs, Seq("a", "a"))), "model input 'a' is named twice")
    assert(!spark.catalog.functionExists("m"))
  }

  // ---- results -------------------------------------------------------------------------------

  test("a Keras model in SQL and in expr() matches model.predict") {
    val sql = spark.sql("SELECT mlp(x) AS y FROM mlp_in ORDER BY i")
    assert(sql.schema("y").dataType == ArrayType(FloatType, containsNull = false))
    assertClose(sql.collect().flatMap(_.getSeq[Float](0)), kerasY, 1e-5)
    val api = mlpIn.select(col("i"), expr("mlp(x)").as("y")).orderBy("i")
    assertClose(api.collect().flatMap(_.getSeq[Float](1)), kerasY, 1e-5)
    // Its default column name reads as the call.
    assert(mlpIn.select(expr("mlp(x)")).columns.toSeq == Seq("mlp(x)"))
  }

  test("numeric arguments are cast to the model input's dtype") {
    val out = spark.sql("SELECT mlp(xd)[0] FROM mlp_in ORDER BY i")
    assertClose(floats(out), kerasY, 1e-5)
    // Literals too: an array of decimals and integers into a float32 model.
    val literal = spark.sql(s"SELECT mlp(array(${kerasX(0).map(v => f"$v%.9f").mkString(", ")}))[0]")
    assertClose(floats(literal), kerasY.take(1), 1e-5)
  }

  test("a two-input model returns a struct with a field per output") {
    val out = spark.sql("SELECT sums(a, b) AS s FROM sums_in ORDER BY i")
    assert(
      out.schema("s").dataType == StructType(Seq(
        StructField("diff", FloatType, nullable = false), StructField("total", FloatType, nullable = false)
      ))
    )
    val rows = out.collect().map(_.getStruct(0))
    assertClose(rows.map(_.getAs[Float]("total")), Fixtures.npy("sm_total.npy").floats, 1e-6)
    assertClose(rows.map(_.getAs[Float]("diff")), Fixtures.npy("sm_diff.npy").floats, 1e-6)
    val fields = sumsIn.select(expr("sums(a, b).total"), expr("sums(b, a).diff")).collect()
    assertClose(fields.map(_.getFloat(0)), Fixtures.npy("sm_total.npy").floats, 1e-6)
    assertClose(fields.map(_.getFloat(1)), Fixtures.npy("sm_diff.npy").floats.map(-_), 1e-6)
  }

  test("rows held across blocks keep their own values: strings of varying length pass through") {
    registerModelUDF(spark, "sums_small", twoSigs, batchSize = 3)
    // total = a + b in float32 (saved_model_two_sigs' "sum"): exact, so Scala's sum is TF's.
    val n = 200
    val a = Array.tabulate(n)(i => i * 0.25f)
    val b = Array.tabulate(n)(i => 1000f - i)
    // Row sizes grow and shrink from block to block, so reused row buffers must resize correctly.
    def text(i: Int) = "s" * ((i * 7) % 23)
    val rows = (0 until n).map(i => Row(i, text(i), a(i), b(i)))
    frame(schemaOf("i" -> IntegerType, "s" -> StringType, "a" -> FloatType, "b" -> FloatType), rows, 2)
      .createOrReplaceTempView("sums_strings")
    val out = spark.sql("SELECT i, s, sums_small(a, b).total AS t FROM sums_strings ORDER BY i").collect()
    assert(out.map(_.getString(1)).toSeq == (0 until n).map(text))
    assert(out.map(_.getFloat(2)).toSeq == (0 until n).map(i => a(i) + b(i)))
  }

  test("a frozen graph with named inputs and outputs, called on expressions and on its own result") {
    val dense = TFModel.fromGraphDef(Fixtures.bytes("dense.pb"))
    registerModelUDF(spark, "dense", dense, inputs = Seq("x"), outputs = Seq("out"))
    val x = Fixtures.npy("dense_x.npy").floats.grouped(4).toSeq
    frame(schemaOf("i" -> IntegerType, "x" -> arrayOf(FloatType)), x.zipWithIndex.map { case (r, i) => Row(i, r.toSeq) }, 2)
      .createOrReplaceTempView("dense_in")
    val out = spark.sql("SELECT dense(x) FROM dense_in ORDER BY i")
    assertClose(out.collect().flatMap(_.getSeq[Float](0)), Fixtures.npy("dense_out.npy").floats, 1e-5)

    registerModelUDF(spark, "add3", TFModel.fromGraphDef(Fixtures.bytes("add.pb")), outputs = Seq("z"))
    val a = Fixtures.npy("add_a.npy").floats.grouped(3).toSeq
    val b = Fixtures.npy("add_b.npy").floats.grouped(3).toSeq
    frame(schemaOf("i" -> IntegerType, "a" -> arrayOf(FloatType), "b" -> arrayOf(FloatType)),
      a.indices.map(i => Row(i, a(i).toSeq, b(i).toSeq)), 2).createOrReplaceTempView("add_in")
    // add3(a, add3(a, b)) = 2a + b: the inner call's result feeds the outer one.
    val nested = spark.sql("SELECT add3(a, add3(a, b)) FROM add_in ORDER BY i").collect().flatMap(_.getSeq[Float](0))
    val expected = a.indices.flatMap(i => a(i).indices.map(j => 2 * a(i)(j) + b(i)(j))).toArray
    assertClose(nested, expected, 1e-5)
    assertClose(
      spark.sql("SELECT add3(a, b) FROM add_in ORDER BY i").collect().flatMap(_.getSeq[Float](0)),
      Fixtures.npy("add_z.npy").floats, 1e-6
    )
  }

  test("calls in WHERE, in other expressions, in aggregates and grouping keys") {
    // Halfway between two outputs, so that no output sits on the boundary.
    val sorted = kerasY.sorted.map(_.toDouble)
    val threshold = (sorted(kerasY.length / 2 - 1) + sorted(kerasY.length / 2)) / 2
    val where = spark.sql(s"SELECT i FROM mlp_in WHERE mlp(x)[0] >= $threshold ORDER BY i").collect().map(_.getInt(0))
    assert(where.toSeq == kerasY.indices.filter(i => kerasY(i).toDouble >= threshold))
    assert(where.nonEmpty && where.length < kerasY.length)

    val arithmetic = spark.sql("SELECT i, 2 * mlp(x)[0] + 1 AS z FROM mlp_in ORDER BY i")
    assertClose(floats(arithmetic, 1), kerasY.map(2 * _ + 1), 1e-5)

    val total = spark.sql("SELECT sum(mlp(x)[0]) FROM mlp_in").collect().head.getDouble(0)
    assert(math.abs(total - kerasY.map(_.toDouble).sum) < 1e-4)

    val grouped = spark.sql(
      s"SELECT mlp(x)[0] >= $threshold AS high, count(*) AS n FROM mlp_in GROUP BY mlp(x)[0] >= $threshold"
    ).collect().map(r => r.getBoolean(0) -> r.getLong(1)).toMap
    assert(grouped(true) == where.length && grouped(false) == kerasY.length - where.length)

    // A call over aggregates runs after the aggregate: sums(sum(a), max(b)) per k.
    val a = Fixtures.npy("sm_a.npy").floats
    val b = Fixtures.npy("sm_b.npy").floats
    val perKey = spark.sql("SELECT k, sums(sum(a), max(b)).total FROM sums_in GROUP BY k ORDER BY k").collect()
    val expected = Seq(0, 1).map { k =>
      val idx = a.indices.filter(_ % 2 == k)
      (idx.map(a(_).toDouble).sum.toFloat + idx.map(b(_)).max)
    }
    assertClose(perKey.map(_.getFloat(1)), expected.toArray, 1e-5)
  }

  // ---- batching ------------------------------------------------------------------------------

  test("a 10,000-row query runs the model once per block per partition, on cached sessions") {
    val x = kerasX.head.toSeq
    val df = spark.range(0, 10000, 1, 2).selectExpr("id", s"array(${x.mkString(", ")}) AS x")
    df.createOrReplaceTempView("many")
    spark.sql("SELECT mlp(x) FROM many LIMIT 1").collect() // loads the session once
    val loads = SessionCache.loadCount
    val query = spark.sql("SELECT id, mlp(x)[0] AS y FROM many")
    val rows = query.collect()
    val runs = ModelUDF.modelRuns(query)
    assert(rows.length == 10000)
    assertClose(rows.map(_.getFloat(1)), Array.fill(10000)(kerasY(0)), 1e-5)
    // Two partitions of 5,000 rows in blocks of 1,024: 5 runs each.
    assert(runs == 10, s"$runs model runs")
    assert(SessionCache.loadCount == loads, "the session was loaded again")

    registerModelUDF(spark, "mlp_small", keras, batchSize = 100)
    val small = spark.sql("SELECT mlp_small(x)[0] FROM many")
    small.collect()
    assert(ModelUDF.modelRuns(small) == 100)
  }

  test("the plan evaluates calls in a batched operator, not row by row") {
    val plan: SparkPlan = spark.sql("SELECT mlp(x) FROM mlp_in").queryExecution.executedPlan
    assert(collect(plan) { case e @ io.sparkdl.execution.ModelBlocksExec(_, _: ModelUDFEvaluation, _, _) => e }.size == 1, plan.treeString)
  }

  // ---- errors --------------------------------------------------------------------------------

  /** The root cause of the failure `action` raises (task failures arrive wrapped). */
  private def failure(action: => Any): Throwable = rootCause(intercept[Exception](action))

  test("a wrong number of arguments, or arguments of the wrong type, fail the query's analysis") {
    assertMentions(refused(spark.sql("SELECT mlp(x, x) FROM mlp_in")), "SQL function mlp takes 1 argument(s) (x), got 2")
    assertMentions(refused(spark.sql("SELECT sums(a) FROM sums_in")), "sums takes 2 argument(s) (a, b), got 1")
    assertMentions(
      refused(spark.sql("SELECT mlp(cast(i AS string)) FROM mlp_in")),
      "SQL function mlp", "argument 1 (model input 'x')", "float32[?,10]", "type string", "numbers"
    )
    assertMentions(
      refused(spark.sql("SELECT mlp(i) FROM mlp_in")),
      "SQL function mlp", "argument 1 (model input 'x')", "rank 0", "rank 1"
    )
    assertMentions(refused(spark.sql("SELECT sums(a, NULL) FROM sums_in")), "argument 2 (model input 'b')", "void")
  }

  test("null arguments and arrays of the wrong length fail naming the function and argument") {
    val withNull = frame(
      StructType(Seq(StructField("a", FloatType), StructField("b", FloatType))),
      Seq(Row(1f, 2f), Row(3f, null), Row(5f, 6f)), 1
    )
    withNull.createOrReplaceTempView("with_null")
    val nulls = failure(spark.sql("SELECT sums(a, b) FROM with_null").collect())
    assert(nulls.isInstanceOf[IllegalArgumentException], nulls)
    assertMentions(nulls, "SQL function sums: argument 2 (model input 'b') has a null cell")
    // Conditions without calls are applied first: the model never sees the null.
    val kept = spark.sql("SELECT sums(a, b).total FROM with_null WHERE b IS NOT NULL AND sums(a, b).total > 0")
    assert(kept.collect().map(_.getFloat(0)).toSeq == Seq(3f, 11f))

    val short = failure(spark.sql("SELECT mlp(slice(x, 1, 3)) FROM mlp_in").collect())
    assertMentions(short, "SQL function mlp: argument 1 (model input 'x') has a cell of shape [3] where [10] is declared")
    val ragged = spark.createDataFrame(Seq((1f, Seq(1f, 2f)), (2f, Seq(1f)))).toDF("a", "v")
    registerModelUDF(spark, "add3_any", TFModel.fromGraphDef(Fixtures.bytes("add.pb")), outputs = Seq("z"))
    val mismatch = failure(ragged.selectExpr("add3_any(v, v)").collect())
    assertMentions(mismatch, "SQL function add3_any: argument 1 (model input 'a')", "[3] is declared")
  }
}
