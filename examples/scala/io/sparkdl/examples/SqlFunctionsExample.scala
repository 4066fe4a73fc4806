package io.sparkdl.examples

import org.apache.spark.sql.SparkSession

import io.sparkdl.ml._

/** Models as SQL functions from Scala (docs/guide/sql-functions.md). */
object SqlFunctionsExample {
  def main(args: Array[String]): Unit = {
    val spark = SparkSession.builder().master("local[2]").appName("SqlFunctionsExample").getOrCreate()
    import spark.implicits._
    try {
      (0 until 50).map(i => (i, i.toDouble)).toDF("id", "value").createOrReplaceTempView("t")
      registerModelUDF(spark, "affine", TFModel.fromGraphDef(Graphs.affineGraphDef()),
        inputs = Seq("x:0"), outputs = Seq("y:0"))
      val big = spark.sql("SELECT id, affine(value) AS y FROM t WHERE affine(value) > 90 ORDER BY id")
        .as[(Int, Double)].collect()
      require(big.toSeq == (45 until 50).map(i => (i, 2.0 * i + 1)), big.mkString(","))
      println(s"SqlFunctionsExample: SELECT affine(value) ... WHERE affine(value) > 90 kept ${big.length} rows")
    } finally spark.stop()
  }
}
