package io.sparkdl.ml

import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.ml.linalg.Vector
import org.apache.spark.sql.types.{ArrayType, FloatType}

import io.sparkdl.tf.Fixtures

/** KerasTransformer over Keras models exported as SavedModels, against model.predict. */
class KerasTransformerSuite extends StageFixtures {

  private def dense10Stage = new KerasTransformer().setModel(dense10).setInputCol("x").setOutputCol("y")

  test("params: defaults, field names equal param names") {
    val k = new KerasTransformer()
    assert(k.getBatchSize == 1024 && k.getHandleInvalid == "error" && k.getOutputMode == "array")
    k.params.foreach(p => assert(k.getClass.getMethod(p.name).invoke(k) eq p, p.name))
    assert(k.params.map(_.name).toSet ==
      Set("model", "inputCol", "outputCol", "batchSize", "handleInvalid", "outputMode", "graphOptimization", "precision"))
    val s = dense10Stage.setBatchSize(4)
    assert(s.getInputCol == "x" && s.getOutputCol == "y" && s.getBatchSize == 4 && s.getModel == dense10)
  }

  test("Dense(10, relu) -> Dense(1, sigmoid) on 20 rows matches model.predict") {
    val stage = dense10Stage.setBatchSize(6)
    val df = dense10Input
    val out = stage.transform(df)
    assert(out.schema("y").dataType == ArrayType(FloatType, containsNull = false))
    assert(out.schema == stage.transformSchema(df.schema))
    assert(out.count() == 20)
    assertClose(flatFloats(out, "y"), dense10Expected, 1e-5)
  }

  test("outputMode vector: the prediction as an ML vector") {
    val stage = dense10Stage.setOutputMode("vector")
    val out = stage.transform(dense10Input)
    assert(out.schema("y").dataType == VectorType)
    assert(out.schema == stage.transformSchema(dense10Input.schema))
    val vectors = out.orderBy("i").collect().map(_.getAs[Vector]("y"))
    assert(vectors.forall(_.size == 1))
    assertClose(vectors.map(_(0).toFloat), dense10Expected, 1e-5)
  }

  test("an ML vector column feeds the float32 Keras input") {
    val out = new KerasTransformer().setModel(dense10).setInputCol("features").setOutputCol("y")
      .transform(dense10Vectors)
    assert(out.columns.toSeq == Seq("i", "features", "y"))
    assertClose(flatFloats(out, "y"), dense10Expected, 1e-5)
  }

  test("Reshape([2, 3]) over 3x2 cells: array<array<float>> out, values as Keras") {
    val cells = floatRows("keras_reshape_x.npy", 6).map(_.grouped(2).toSeq)
    val df = spark.createDataFrame(cells.zipWithIndex.map { case (x, i) => (i, x) }).toDF("i", "x").repartition(2)
    val out = new KerasTransformer().setModel(reshape).setInputCol("x").setOutputCol("y").transform(df)
    assert(out.schema("y").dataType == ArrayType(ArrayType(FloatType, containsNull = false), containsNull = false))
    val first = out.orderBy("i").head().getSeq[scala.collection.Seq[Float]](2)
    assert(first.length == 2 && first.forall(_.length == 3))
    assertClose(flatFloats(out, "y"), Fixtures.npy("keras_reshape_y.npy").floats, 1e-5)
  }
}
