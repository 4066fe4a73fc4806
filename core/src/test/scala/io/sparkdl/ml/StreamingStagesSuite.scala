package io.sparkdl.ml

import java.nio.file.Files

import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.streaming.Trigger

/** Stages on streaming DataFrames: a file source, a Parquet sink with a checkpoint, a restart;
 * the output equals the same rows in batch, and Keras'. */
class StreamingStagesSuite extends StageFixtures {

  /** Streams dense10's 20 rows, written as two files, through `stage` in two runs of one query
   * (the second from the first's checkpoint); returns the sink's rows and the input folder. */
  private def streamTwice(stage: DataFrame => DataFrame): (DataFrame, String) = {
    val dir = Files.createTempDirectory("sparkdl-stages-stream")
    val (source, sink, checkpoint) = (s"$dir/in", s"$dir/out", s"$dir/checkpoint")
    val input = dense10Input
    def run(): Unit = {
      val stream = spark.readStream.schema(input.schema).parquet(source)
      val query = stage(stream).writeStream.format("parquet").option("checkpointLocation", checkpoint)
        .trigger(Trigger.AvailableNow()).start(sink)
      query.awaitTermination()
    }
    input.where("i < 8").coalesce(1).write.parquet(source)
    run()
    input.where("i >= 8").coalesce(1).write.mode("append").parquet(source)
    run()
    (spark.read.parquet(sink), source)
  }

  test("TFTransformer and KerasTransformer on a stream equal batch and Keras, across a restart") {
    val stages: Seq[DataFrame => DataFrame] = Seq(
      df => new TFTransformer().setModel(dense10).setInputMapping(Map("x" -> "x"))
        .setOutputMapping(Map("output_0" -> "y")).transform(df),
      df => new KerasTransformer().setModel(dense10).setInputCol("x").setOutputCol("y").transform(df)
    )
    stages.foreach { stage =>
      val (streamed, source) = streamTwice(stage)
      assert(streamed.count() == 20, "rows lost or written twice")
      val batch = stage(spark.read.parquet(source))
      assert(flatFloats(streamed, "y").toSeq == flatFloats(batch, "y").toSeq)
      assertClose(flatFloats(streamed, "y"), dense10Expected, 1e-5)
    }
  }
}
