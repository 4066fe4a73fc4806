package io.sparkdl.python

import org.apache.spark.sql.{DataFrame, SparkSession}

import io.sparkdl.image.ImageIO

/** [[ImageIO]] shaped for py4j (no Scala defaults). Used by `sparkdl.image`. */
object PythonImages {

  /** [[ImageIO.readImages]]: numPartitions -1 for Spark's default. */
  def readImages(
      spark: SparkSession,
      path: String,
      numPartitions: Int,
      recursive: Boolean,
      dropInvalid: Boolean
  ): DataFrame = ImageIO.readImages(spark, path, numPartitions, recursive, dropInvalid)
}
