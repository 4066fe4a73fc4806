package io.sparkdl.ml

import org.apache.spark.ml.linalg.{Vector, Vectors}
import org.apache.spark.sql.{DataFrame, Row}

import io.sparkdl.model._
import io.sparkdl.tensorframes.SparkSessionSuite
import io.sparkdl.tf.{Fixtures, TolerantAssertions}

/** The models of dev/make_fixtures.py as TFModels, and DataFrames of their inputs. */
trait StageFixtures extends SparkSessionSuite with TolerantAssertions {

  protected lazy val reduceMax: TFModel = TFModel.fromGraphDefFile(Fixtures.path("reduce_max.pb").toString)
  protected lazy val twoInputGraph: TFModel = TFModel.fromGraphDefFile(Fixtures.path("two_input.pb").toString)
  protected lazy val twoInputSaved: TFModel =
    TFModel.fromSavedModel(Fixtures.path("saved_model_two_input").toString)
  protected lazy val dense10: TFModel = TFModel.fromSavedModel(Fixtures.path("keras_dense10").toString)
  protected lazy val reshape: TFModel = TFModel.fromSavedModel(Fixtures.path("keras_reshape").toString)
  protected lazy val dtypesGraph: TFModel = TFModel.fromGraphDefFile(Fixtures.path("dtypes.pb").toString)
  protected lazy val denseGraph: TFModel = TFModel.fromGraphDefFile(Fixtures.path("dense.pb").toString)

  /** The rows of a .npy array of floats, `width` values each. */
  protected def floatRows(name: String, width: Int): Seq[Seq[Float]] =
    Fixtures.npy(name).floats.grouped(width).map(_.toSeq).toSeq

  /** keras_dense10's 20 input rows as (i, x: array<float>), in 3 partitions. */
  protected def dense10Input: DataFrame =
    spark.createDataFrame(floatRows("keras_dense10_x.npy", 10).zipWithIndex.map { case (x, i) => (i, x) })
      .toDF("i", "x").repartition(3)

  /** keras_dense10's inputs as ML vectors (float64 holds every float32 exactly). */
  protected def dense10Vectors: DataFrame = {
    val rows = floatRows("keras_dense10_x.npy", 10).zipWithIndex.map { case (x, i) =>
      (i, Vectors.dense(x.map(_.toDouble).toArray))
    }
    spark.createDataFrame(rows).toDF("i", "features").repartition(3)
  }

  protected def dense10Expected: Array[Float] = Fixtures.npy("keras_dense10_y.npy").floats

  /** Output column `c` of rows ordered by "i", as floats, whatever its cells (vector or array). */
  protected def flatFloats(df: DataFrame, c: String): Array[Float] =
    df.orderBy("i").select(c).collect().flatMap((r: Row) => flatten(r.get(0)))

  private def flatten(cell: Any): Seq[Float] = cell match {
    case v: Vector => v.toArray.toSeq.map(_.toFloat)
    case s: scala.collection.Seq[_] => s.flatMap(flatten).toSeq
    case f: Float => Seq(f)
    case other => fail(s"unexpected cell $other")
  }
}
