package io.sparkdl.python

import org.apache.spark.sql.{Column, DataFrame, SparkSession}

import io.sparkdl.image.{ImageIO, ImageResize}

/** [[ImageIO]] and [[ImageResize]] shaped for py4j (no Scala defaults). Used by `sparkdl.image`. */
object PythonImages {

  /** [[ImageIO.readImages]]: numPartitions -1 for Spark's default. */
  def readImages(
      spark: SparkSession,
      path: String,
      numPartitions: Int,
      recursive: Boolean,
      dropInvalid: Boolean,
      exifOrientation: Boolean
  ): DataFrame = ImageIO.readImages(spark, path, numPartitions, recursive, dropInvalid, exifOrientation)

  /** [[ImageIO.decode]]: `origin` null for null origins. */
  def decode(content: Column, origin: Column, exifOrientation: Boolean): Column =
    ImageIO.decode(content, originOrNull(origin), exifOrientation)

  /** [[ImageIO.decode]] with a resize: height and width positive. */
  def decode(
      content: Column,
      origin: Column,
      exifOrientation: Boolean,
      height: Int,
      width: Int,
      method: String
  ): Column = ImageIO.decode(content, originOrNull(origin), exifOrientation, height, width, method)

  private def originOrNull(origin: Column): Column =
    if (origin == null) org.apache.spark.sql.functions.lit(null).cast("string") else origin

  /** [[ImageResize.resize]]: method "area", "bilinear", "bicubic" or "nearest". */
  def resize(image: Column, height: Int, width: Int, method: String): Column =
    ImageResize.resize(image, height, width, method)
}
