package io.sparkdl.examples

import org.apache.spark.sql.SparkSession

import io.sparkdl.tensorframes.TensorFrames
import io.sparkdl.tf._

/** TensorFrames from Scala (docs/guide/tensorframes.md): a graph built on a column's placeholder,
 * mapped over blocks, then a reduction. */
object TensorFramesExample {
  def main(args: Array[String]): Unit = {
    val spark = SparkSession.builder().master("local[2]").appName("TensorFramesExample").getOrCreate()
    import spark.implicits._
    try {
      val df = (0 until 10).map(_.toDouble).toDF("x")

      val g = Graph()
      val x = TensorFrames.block(g, df, "x")             // float64[?], named after the column
      val z = Graphs.affine(g, x, 1.0, 3.0, "z")         // z = x + 3
      val mapped = TensorFrames.mapBlocks(df, Seq(z)).orderBy("x").collect().map(_.getDouble(1))
      require(mapped.sameElements((0 until 10).map(_ + 3.0)), mapped.mkString(","))

      val r = Graph()
      val input = r.opBuilder("Placeholder", "x_input").setAttr("dtype", DType.Float64)
        .setAttr("shape", Shape(-1)).build().output(0)
      val axis = scala.util.Using.resource(Tensor.ofInts(Array(0), Shape(1))) { t =>
        r.opBuilder("Const", "axis").setAttr("dtype", DType.Int32).setAttr("value", t).build().output(0)
      }
      val sum = r.opBuilder("Sum", "x").addInput(input).addInput(axis).build().output(0)
      val total = TensorFrames.reduceBlocks(df, Seq(sum)).getDouble(0)
      require(total == 45.0, s"sum $total")
      println(s"TensorFramesExample: mapBlocks z = x + 3 over 10 rows; reduceBlocks sum = $total")
    } finally spark.stop()
  }
}
