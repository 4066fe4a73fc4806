package io.sparkdl.ml

import org.apache.spark.SparkException
import org.apache.spark.ml.functions.vector_to_array
import org.apache.spark.ml.linalg.Vector
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.sql.Row
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.types._

import io.sparkdl.tf.Fixtures

/** TFTransformer over frozen graphs and SavedModels, checked against TF's outputs. */
class TFTransformerSuite extends StageFixtures {

  private val dtypes = Seq("int32", "int64", "float32", "float64")

  /** reduce_max.pb's 100 input rows: (i, x_int32, x_int64, x_float32, x_float64). */
  private lazy val reduceMaxInput = {
    val cells = dtypes.map { d =>
      val n = Fixtures.npy(s"reduce_max_x_$d.npy")
      val values: Seq[Any] = d match {
        case "int32" => n.ints.toSeq
        case "int64" => n.longs.toSeq
        case "float32" => n.floats.toSeq
        case "float64" => n.doubles.toSeq
      }
      values.grouped(7).toSeq
    }
    val rows = (0 until 100).map(i => Row.fromSeq(i +: cells.map(_(i))))
    val schema = schemaOf(
      ("i" -> IntegerType) +: dtypes.zip(Seq(IntegerType, LongType, FloatType, DoubleType)).map {
        case (d, t) => s"x_$d" -> arrayOf(t)
      }: _*
    )
    frame(schema, rows, partitions = 3)
  }

  private def reduceMaxStage = new TFTransformer()
    .setModel(reduceMax)
    .setInputMapping(dtypes.map(d => s"x_$d" -> s"x_$d").toMap)
    .setOutputMapping(dtypes.map(d => s"max_$d:0" -> s"max_$d").toMap)

  test("params: defaults, setters, field names equal param names, copy") {
    val t = new TFTransformer()
    assert(t.getBatchSize == 1024 && t.getHandleInvalid == "error" && t.getOutputMode == "array")
    assert(!t.isDefined(t.model) && !t.isDefined(t.inputMapping) && !t.isDefined(t.outputMapping))
    t.params.foreach { p =>
      val field = t.getClass.getMethod(p.name).invoke(t)
      assert(field eq p, s"param ${p.name} is not the field of the same name")
    }
    val s = reduceMaxStage.setBatchSize(7).setHandleInvalid("skip").setOutputMode("vector")
    assert(s.getModel == reduceMax && s.getBatchSize == 7 && s.getHandleInvalid == "skip")
    assert(s.getInputMapping("x_int32") == "x_int32" && s.getOutputMapping("max_int64:0") == "max_int64")
    val c = s.copy(org.apache.spark.ml.param.ParamMap(s.batchSize -> 3))
    assert(c.uid == s.uid && c.getBatchSize == 3 && c.getModel == reduceMax && s.getBatchSize == 7)
    intercept[IllegalArgumentException](t.setBatchSize(0))
    intercept[IllegalArgumentException](t.setHandleInvalid("drop"))
    intercept[IllegalArgumentException](t.setOutputMode("tensor"))
    intercept[IllegalArgumentException](t.setOutputMapping(Map.empty))
  }

  test("reduce_max over arrays of int32, int64, float32 and float64 matches TF") {
    val out = reduceMaxStage.setBatchSize(9).transform(reduceMaxInput)
    assert(out.columns.toSeq == reduceMaxInput.columns.toSeq ++ dtypes.map(d => s"max_$d").sorted)
    assert(out.schema == reduceMaxStage.transformSchema(reduceMaxInput.schema))
    val rows = out.orderBy("i").collect()
    assert(rows.length == 100)
    assert(rows.map(_.getAs[Int]("max_int32")).toSeq == Fixtures.npy("reduce_max_y_int32.npy").ints.toSeq)
    assert(rows.map(_.getAs[Long]("max_int64")).toSeq == Fixtures.npy("reduce_max_y_int64.npy").longs.toSeq)
    assertClose(rows.map(_.getAs[Float]("max_float32")), Fixtures.npy("reduce_max_y_float32.npy").floats, 1e-5)
    val worst = rows.map(_.getAs[Double]("max_float64")).zip(Fixtures.npy("reduce_max_y_float64.npy").doubles)
      .map { case (a, b) => math.abs(a - b) }.max
    assert(worst <= 1e-5)
  }

  test("outputMode vector: scalar outputs become size-1 dense vectors") {
    val stage = new TFTransformer().setModel(reduceMax).setOutputMode("vector")
      .setInputMapping(Map("x_float32" -> "x_float32", "x_int64" -> "x_int64"))
      .setOutputMapping(Map("max_float32" -> "m32", "max_int64" -> "m64"))
    val out = stage.transform(reduceMaxInput)
    assert(out.schema("m32").dataType == VectorType && out.schema("m64").dataType == VectorType)
    assert(out.schema == stage.transformSchema(reduceMaxInput.schema))
    val rows = out.orderBy("i").select("m32", "m64").collect()
    assert(rows.forall(r => r.getAs[Vector](0).size == 1))
    assertClose(rows.map(_.getAs[Vector](0)(0).toFloat), Fixtures.npy("reduce_max_y_float32.npy").floats, 1e-5)
    assert(rows.map(_.getAs[Vector](1)(0).toLong).toSeq == Fixtures.npy("reduce_max_y_int64.npy").longs.toSeq)
  }

  test("outputMode vector: outputs of any rank are flattened row-major, as numpy's reshape(-1)") {
    // keras_reshape: Keras Reshape([2, 3]) of 3x2 cells; keras_reshape_y.npy is Keras' [6, 2, 3]
    // output in C order, so row i's vector is y[i].reshape(-1).
    val cells = floatRows("keras_reshape_x.npy", 6).map(_.grouped(2).toSeq)
    val df = spark.createDataFrame(cells.zipWithIndex.map { case (x, i) => (i, x) }).toDF("i", "x").repartition(2)
    val signature = reshape.signature.get
    val stage = new TFTransformer().setModel(reshape).setOutputMode("vector")
      .setInputMapping(Map("x" -> signature.inputs.keys.head))
      .setOutputMapping(Map(signature.outputs.keys.head -> "y"))
    val out = stage.transform(df)
    assert(out.schema("y").dataType == VectorType && out.schema == stage.transformSchema(df.schema))
    val vectors = out.orderBy("i").collect().map(_.getAs[Vector]("y"))
    assert(vectors.length == 6 && vectors.forall(_.size == 6))
    assertClose(vectors.flatMap(_.toArray.map(_.toFloat)), Fixtures.npy("keras_reshape_y.npy").floats, 1e-6)
  }

  test("a two-input frozen graph, reduce_max(x1 - x2), addressed by tensor names") {
    val df = twoInputFrame
    val out = new TFTransformer().setModel(twoInputGraph)
      .setInputMapping(Map("a" -> "x1:0", "b" -> "x2"))
      .setOutputMapping(Map("max_diff:0" -> "d"))
      .transform(df)
    assert(out.schema("d").dataType == FloatType)
    assertClose(out.orderBy("i").collect().map(_.getAs[Float]("d")), Fixtures.npy("two_input_pb_y.npy").floats, 1e-5)
  }

  test("a two-input SavedModel addressed by signature keys, translated to its tensor names") {
    val sig = twoInputSaved.signature.get
    assert(twoInputSaved.inputTensor("x1") == sig.inputs("x1").name && sig.inputs("x1").name != "x1")
    val byKeys = new TFTransformer().setModel(twoInputSaved)
      .setInputMapping(Map("a" -> "x1", "b" -> "x2")).setOutputMapping(Map("max_diff" -> "d"))
    val byTensors = new TFTransformer().setModel(twoInputSaved)
      .setInputMapping(Map("a" -> sig.inputs("x1").name, "b" -> sig.inputs("x2").name))
      .setOutputMapping(Map(sig.outputs("max_diff").name -> "d"))
    val expected = Fixtures.npy("two_input_sm_y.npy").floats
    Seq(byKeys, byTensors).foreach { stage =>
      assertClose(stage.transform(twoInputFrame).orderBy("i").collect().map(_.getAs[Float]("d")), expected, 1e-5)
    }
  }

  test("numeric columns of another dtype are cast to the model input's: vectors, array<double>, int arrays") {
    val stage = new TFTransformer().setModel(dense10)
      .setInputMapping(Map("features" -> "x")).setOutputMapping(Map("output_0" -> "y"))
    val fromVectors = stage.transform(dense10Vectors)
    assert(fromVectors.columns.toSeq == Seq("i", "features", "y"), "the temporary cast column is dropped")
    assert(fromVectors.schema("features").dataType == VectorType, "the input column is left as it was")
    assertClose(flatFloats(fromVectors, "y"), dense10Expected, 1e-5)

    val doubles = dense10Vectors.select(col("i"), vector_to_array(col("features")).as("features"))
    assert(doubles.schema("features").dataType == ArrayType(DoubleType, containsNull = false))
    assertClose(flatFloats(stage.transform(doubles), "y"), dense10Expected, 1e-5)

    // float64 -> float32 (exact for these float32 values), and int32 -> float32.
    val mixed = twoInputFrame.selectExpr("i", "CAST(a AS ARRAY<DOUBLE>) AS a", "b")
    val out = new TFTransformer().setModel(twoInputGraph).setInputMapping(Map("a" -> "x1", "b" -> "x2"))
      .setOutputMapping(Map("max_diff" -> "d")).transform(mixed)
    assertClose(out.orderBy("i").collect().map(_.getAs[Float]("d")), Fixtures.npy("two_input_pb_y.npy").floats, 1e-5)
    val intsAsFloats = new TFTransformer().setModel(reduceMax)
      .setInputMapping(Map("x_int32" -> "x_float32")).setOutputMapping(Map("max_float32" -> "m"))
      .transform(reduceMaxInput)
    assert(intsAsFloats.schema("x_int32").dataType == ArrayType(IntegerType, containsNull = false))
    assertClose(
      intsAsFloats.orderBy("i").collect().map(_.getAs[Float]("m")),
      Fixtures.npy("reduce_max_y_int32.npy").ints.map(_.toFloat),
      1e-5
    )
  }

  test("handleInvalid: null cells fail naming the column, or are skipped") {
    val schema = StructType(Seq(StructField("i", IntegerType), StructField("x_float32", ArrayType(FloatType))))
    val df = frame(schema, Seq(Row(0, Seq(1f, 5f)), Row(1, null), Row(2, Seq(-1f, -2f))))
    val stage = new TFTransformer().setModel(reduceMax)
      .setInputMapping(Map("x_float32" -> "x_float32")).setOutputMapping(Map("max_float32" -> "m"))
    val e = intercept[SparkException](stage.transform(df).collect())
    assert(rootCause(e).getMessage.contains("x_float32") && rootCause(e).getMessage.contains("null"), rootCause(e).getMessage)
    val kept = stage.setHandleInvalid("skip").transform(df).orderBy("i").collect()
    assert(kept.map(r => (r.getInt(0), r.getFloat(2))).toSeq == Seq((0, 5f), (2, -1f)))
  }

  /** two_input's 30 rows: (i, a: array<float>, b: array<float>), in 2 partitions. */
  private def twoInputFrame = {
    val rows = floatRows("two_input_x1.npy", 4).zip(floatRows("two_input_x2.npy", 4)).zipWithIndex
      .map { case ((a, b), i) => (i, a, b) }
    spark.createDataFrame(rows).toDF("i", "a", "b").repartition(2)
  }
}
