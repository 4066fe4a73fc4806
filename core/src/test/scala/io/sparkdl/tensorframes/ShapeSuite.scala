package io.sparkdl.tensorframes

import scala.util.Using

import org.apache.spark.ml.linalg.{SQLDataTypes, Vectors}
import org.apache.spark.sql.{DataFrame, Row}
import org.apache.spark.sql.functions.{array, col, current_timestamp}
import org.apache.spark.sql.types._

import io.sparkdl.model._
import io.sparkdl.tf.{Graph, Shape}

/** analyze, appendShape, explain and the placeholders built from them. */
class ShapeSuite extends SparkSessionSuite {

  private def lines(df: DataFrame): Seq[String] = TensorFrames.explain(df).split("\n").toSeq

  private def doubleArrays(cells: Seq[Seq[Double]], partitions: Int): DataFrame = frame(
    schemaOf("y" -> arrayOf(DoubleType)),
    cells.map(Row(_)),
    partitions
  )

  test("analyze gives [?] for scalars over several partitions (some empty)") {
    for (partitions <- Seq(1, 4, 7)) {
      val df = spark.range(0, 3, 1, partitions).select(col("id").cast("double").as("x"), col("id"))
      val analyzed = TensorFrames.analyze(df)
      assert(lines(analyzed) == Seq("x: double double[?]", "id: bigint int64[?]"))
      assert(analyzed.schema("x").metadata.getLongArray(ShapeMetadata.Key).toSeq == Seq(-1L))
      assert(TensorColumnInfo(analyzed, "id").cellShape.isEmpty)
      assert(analyzed.collect().toSeq == df.collect().toSeq)
    }
  }

  test("analyze gives [?,2] for arrays of 2, which explain prints") {
    val id = col("id").cast("double")
    val df = spark.range(0, 10, 1, 3).select(array(id, id * 2).as("y"))
    assert(lines(df) == Seq("y: array<double> double[?,?]"))
    val analyzed = TensorFrames.analyze(df)
    assert(lines(analyzed) == Seq("y: array<double> double[?,2]"))
    assert(TensorColumnInfo(analyzed, "y").blockShape.toSeq == Seq(-1L, 2L))
    Using.resource(Graph()) { g =>
      assert(TensorFrames.block(g, analyzed, "y").shape == Shape(-1, 2))
      assert(TensorFrames.row(g, analyzed, "y", "y_row").shape == Shape(2))
    }
  }

  test("analyze gives [?,3,2] for 2-D 3x2 cells") {
    val cells = (0 until 4).map(r => Seq.tabulate(3, 2)((i, j) => (r + i + j).toDouble))
    val df = frame(
      schemaOf("z" -> arrayOf(DoubleType, 2)),
      cells.map(Row(_)),
      3
    )
    assert(lines(TensorFrames.analyze(df)) == Seq("z: array<array<double>> double[?,3,2]"))
  }

  test("dimensions that vary between rows or partitions stay unknown") {
    val unknown = Seq("y: array<double> double[?,?]")
    assert(lines(TensorFrames.analyze(doubleArrays(Seq(Seq(1.0, 2.0), Seq(1.0, 2.0), Seq(1.0, 2.0, 3.0)), 3))) == unknown)
    assert(lines(TensorFrames.analyze(doubleArrays(Seq(Seq(1.0, 2.0), Seq(3.0)), 1))) == unknown)
    val square = Seq(Seq(1.0, 2.0), Seq(3.0, 4.0))
    val ragged = Seq(square, square, Seq(Seq(1.0), Seq(2.0)))
    val nested = frame(
      schemaOf("z" -> arrayOf(DoubleType, 2)),
      ragged.map(Row(_)),
      2
    )
    assert(lines(TensorFrames.analyze(nested)) == Seq("z: array<array<double>> double[?,2,?]"))
    val inner = frame(nested.schema, Seq(Row(Seq(Seq(1.0, 2.0), Seq(3.0)))), 1)
    assert(lines(TensorFrames.analyze(inner)) == Seq("z: array<array<double>> double[?,2,?]"))
  }

  test("analyze ignores null cells and keeps non-tensor columns") {
    val schema = StructType(Seq(
      StructField("y", arrayOf(DoubleType), nullable = true),
      StructField("s", StringType),
      StructField("t", TimestampType),
      StructField("v", SQLDataTypes.VectorType)
    ))
    val rows = Seq(
      Row(Seq(1.0, 2.0), "a", null, Vectors.dense(1, 2, 3)),
      Row(null, "b", null, Vectors.sparse(3, Array(0), Array(1.0))),
      Row(Seq(3.0, 4.0), null, null, null)
    )
    val analyzed = TensorFrames.analyze(frame(schema, rows, 2).withColumn("t", current_timestamp()))
    assert(lines(analyzed) == Seq(
      "y: array<double> double[?,2]", "s: string string[?]", "t: timestamp", "v: vector double[?,3]"
    ))
  }

  test("a column of only nulls or no rows keeps unknown dimensions") {
    val empty = doubleArrays(Nil, 2)
    assert(lines(TensorFrames.analyze(empty)) == Seq("y: array<double> double[?,?]"))
  }

  test("appendShape records a block shape by hand, checking its rank") {
    val df = doubleArrays(Seq(Seq(1.0, 2.0)), 1)
    val shaped = TensorFrames.appendShape(df, "y", Shape(-1, 2))
    assert(lines(shaped) == Seq("y: array<double> double[?,2]"))
    Using.resource(Graph())(g => assert(TensorFrames.block(g, shaped, "y").shape == Shape(-1, 2)))
    val e = intercept[IllegalArgumentException](TensorFrames.appendShape(df, "y", Shape(2)))
    assert(Seq("'y'", "rank 2", "[2]").forall(e.getMessage.contains), e.getMessage)
    val e2 = intercept[IllegalArgumentException](TensorFrames.appendShape(df, "nope", Shape(-1)))
    assert(e2.getMessage.contains("'nope'") && e2.getMessage.contains("y"), e2.getMessage)
  }
}
