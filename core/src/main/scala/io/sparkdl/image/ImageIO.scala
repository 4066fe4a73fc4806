package io.sparkdl.image

import org.apache.hadoop.fs.{FileStatus, Path}

import org.apache.spark.sql.{DataFrame, Encoders, Row, SparkSession}
import org.apache.spark.sql.types.{BinaryType, StringType, StructField, StructType}

/** Reading image files into DataFrames of Spark's image struct, decoded on the executors. */
object ImageIO {

  /** `readImages`' columns: `origin` (the file's URI, never null), `image` (null if unreadable). */
  val schema: StructType = StructType(
    Seq(
      StructField("origin", StringType, nullable = false),
      StructField("image", ImageFormat.columnSchema, nullable = true)
    )
  )

  /**
   * One row per file under `path` (a file, a folder or a glob, on any Hadoop filesystem): its URI
   * as `origin`, and the decoded `image` (Spark's image struct, 8-bit BGR(A) or gray, see
   * [[ImageDecoder]] for the channels each kind of file gets). PNG, JPEG, BMP and GIF (its first
   * frame) are read, and whatever else `javax.imageio` reads. A file that is not a readable image
   * gets a null `image`, or no row with `dropInvalid`; it never fails the job. Hidden files (names
   * starting with "." or "_") are skipped, as by Spark's file sources.
   *
   * Files are read and decoded on the executors when the DataFrame is computed.
   *
   * @param numPartitions partitions of the result; -1 (the default) leaves Spark's file source
   *   to split the files (by size, `spark.sql.files.maxPartitionBytes`); a positive number
   *   redistributes the undecoded files over that many partitions
   * @param recursive read the files of sub-folders too; if false, only the files directly in
   *   `path` (Default: true)
   * @param dropInvalid leave out files that are not readable images (Default: false)
   */
  def readImages(
      spark: SparkSession,
      path: String,
      numPartitions: Int = -1,
      recursive: Boolean = true,
      dropInvalid: Boolean = false
  ): DataFrame = {
    require(path != null && path.nonEmpty, "readImages: path is empty")
    require(
      numPartitions == -1 || numPartitions > 0,
      s"readImages: numPartitions is $numPartitions; expected a positive number, or -1 for " +
        "Spark's default"
    )
    val reader = spark.read.format("binaryFile")
    val files =
      if (recursive) reader.option("recursiveFileLookup", "true").load(path)
      else {
        // Spark's file sources descend into sub-folders (as partitions) whatever the options;
        // listing the top folder here is the one way to read it alone.
        val top = topLevelFiles(spark, path)
        if (top.nonEmpty) reader.load(top: _*)
        else spark.createDataFrame(spark.sparkContext.emptyRDD[Row], filesSchema)
      }
    val raw = files.select("path", "content")
    val spread = if (numPartitions > 0) raw.repartition(numPartitions) else raw
    spread.mapPartitions { rows =>
      rows.flatMap { row =>
        val origin = row.getString(0)
        ImageDecoder.decode(origin, row.getAs[Array[Byte]](1)) match {
          case Some(image) => Some(Row(origin, image))
          case None if dropInvalid => None
          case None => Some(Row(origin, null))
        }
      }
    }(Encoders.row(schema))
  }

  private val filesSchema =
    StructType(Seq(StructField("path", StringType), StructField("content", BinaryType)))

  // The visible files directly in `path` (or matching it, for a glob), as qualified URIs.
  private def topLevelFiles(spark: SparkSession, path: String): Seq[String] = {
    val p = new Path(path)
    val fs = p.getFileSystem(spark.sparkContext.hadoopConfiguration)
    val matched = Option(fs.globStatus(p)).map(_.toSeq).getOrElse(Nil)
    if (matched.isEmpty) {
      throw new IllegalArgumentException(s"readImages: path '$path' does not exist")
    }
    def visible(s: FileStatus) = !Seq(".", "_").exists(s.getPath.getName.startsWith)
    matched
      .flatMap(s => if (s.isDirectory) fs.listStatus(s.getPath).toSeq else Seq(s))
      .filter(s => s.isFile && visible(s))
      .map(_.getPath.toString)
      .sorted
  }
}
