package io.sparkdl.examples

import java.nio.file.Files

import org.apache.spark.ml.{Pipeline, PipelineModel}
import org.apache.spark.sql.SparkSession

import io.sparkdl.ml.{TFModel, TFTransformer}

/** ML stages from Scala (docs/guide/ml-stages.md): a TFTransformer in a pipeline, saved and
 * loaded. */
object MLStagesExample {
  def main(args: Array[String]): Unit = {
    val spark = SparkSession.builder().master("local[2]").appName("MLStagesExample").getOrCreate()
    import spark.implicits._
    try {
      val df = (0 until 100).map(i => (i, i.toDouble)).toDF("id", "value")
      val stage = new TFTransformer()
        .setModel(TFModel.fromGraphDef(Graphs.affineGraphDef()))   // y = 2x + 1
        .setInputMapping(Map("value" -> "x:0"))
        .setOutputMapping(Map("y:0" -> "y"))
      val dir = Files.createTempDirectory("sparkdl-example").resolve("pipeline").toString
      new Pipeline().setStages(Array(stage)).fit(df).write.overwrite().save(dir)
      val loaded = PipelineModel.load(dir)
      val ys = loaded.transform(df).orderBy("id").select("y").as[Double].collect()
      require(ys.sameElements((0 until 100).map(2.0 * _ + 1)), ys.take(5).mkString(","))
      println(s"MLStagesExample: a saved and loaded pipeline's TFTransformer computed y = 2x + 1 for ${ys.length} rows")
    } finally spark.stop()
  }
}
