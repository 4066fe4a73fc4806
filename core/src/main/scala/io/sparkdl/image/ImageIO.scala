package io.sparkdl.image

import org.apache.spark.sql.{classic, Column, DataFrame, Row, SparkSession}
import org.apache.spark.sql.functions.{coalesce, col, lit}
import org.apache.spark.sql.sparkdl.UdfShim
import org.apache.spark.sql.types.{StringType, StructField, StructType}

import io.sparkdl.execution.SparkdlPlanner

/** Reading image files into DataFrames of Spark's image struct, decoded on the executors. */
object ImageIO {

  /** The Spark conf bounding the pixels (width x height) of an image `readImages` decodes. */
  val MaxPixelsConf = "spark.sparkdl.image.maxPixels"
  val DefaultMaxPixels: Long = 89478485L

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
   * [[ImageDecoder]] for the channels each kind of file gets and the files it refuses). JPEG,
   * PNG, GIF (its first frame) and BMP are decoded by TF's own decoders, the same pixels as
   * Pillow's; whatever else `javax.imageio` reads is decoded by it. A file
   * that is not a readable image gets a null `image`, or no row with `dropInvalid`; it never
   * fails the job. So does an image whose header declares more than `spark.sparkdl.image.maxPixels`
   * pixels (width x height; a Spark conf read here, on the driver; Default: 89,478,485, Pillow's
   * `Image.MAX_IMAGE_PIXELS`, past which Pillow warns of a decompression bomb): it is refused
   * before its pixels are decoded.
   *
   * The driver lists the files (see `ImageFiles`: hidden files are skipped, as by Spark's file
   * sources, and so are zero-byte files, by Spark's file scan; each folder is listed once, so
   * link loops end); each listed file is read as that
   * file, whatever glob characters its name holds. Spark's binaryFile source reads them, and they
   * are decoded on the executors, when the DataFrame is computed.
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
  ): DataFrame = readImages(spark, path, numPartitions, recursive, dropInvalid, exifOrientation = false)

  /**
   * [[readImages]], with `exifOrientation`: if true, JPEGs and PNGs are turned upright by their
   * EXIF orientation tag, as Pillow's `ImageOps.exif_transpose` turns them; if false (what the
   * other overload does), the tag is ignored, as by Spark's image source.
   */
  def readImages(
      spark: SparkSession,
      path: String,
      numPartitions: Int,
      recursive: Boolean,
      dropInvalid: Boolean,
      exifOrientation: Boolean
  ): DataFrame = {
    require(path != null && path.nonEmpty, "readImages: path is empty")
    require(
      numPartitions == -1 || numPartitions > 0,
      s"readImages: numPartitions is $numPartitions; expected a positive number, or -1 for " +
        "Spark's default"
    )
    val maxPixels = maxPixelsOf(spark.conf.getOption(MaxPixelsConf))
    val listed = ImageFiles.statuses(path, spark.sparkContext.hadoopConfiguration, recursive)
    val raw = ListedBinaryFiles(spark, listed).select("path", "content")
    val spread = if (numPartitions > 0) raw.repartition(numPartitions) else raw
    // The decode function's own path, so that readImages and decode give the same images.
    // (Spark keeps dropInvalid's filter above the projection: it never decodes an image twice.)
    val image = decodeColumn(col("content"), col("path"), exifOrientation, None, maxPixels, Some(spark))
    // binaryFile declares `path` nullable, though it never is: coalesce makes it as declared.
    val decoded = spread.select(coalesce(col("path"), lit("")).as("origin"), image.as("image"))
    // Already `schema` (no `to(schema)`: it rebuilds the struct, which keeps a model stage's
    // resize from joining the decode, see DecodeResizeFusion).
    if (dropInvalid) decoded.where(col("image").isNotNull) else decoded
  }

  /**
   * A column of image files' bytes (as the `content` column of Spark's `binaryFile` source, in
   * batch or streaming queries) decoded on the executors into Spark's image struct, as
   * [[readImages]] decodes them: null for null bytes and for bytes that are not a readable image
   * (or whose header declares more than `spark.sparkdl.image.maxPixels` pixels, read from the
   * active session when the column is made).
   *
   * @param content binary column of whole files
   * @param origin string column for the struct's `origin` (e.g. `binaryFile`'s `path`); null
   *   origins when not given
   * @param exifOrientation as [[readImages]]' (Default: false)
   */
  def decode(content: Column, origin: Column, exifOrientation: Boolean): Column =
    decodeColumn(content, origin, exifOrientation, None, activeMaxPixels, SparkSession.getActiveSession)

  /**
   * [[decode]], each image then resized to `height x width` with `method` ("area", "bilinear",
   * "bicubic", "nearest"; see [[ImageResize]]) in the same pass: the same pixels as `decode`
   * then [[ImageResize.resize]], without an intermediate column of full-size images.
   */
  def decode(
      content: Column,
      origin: Column,
      exifOrientation: Boolean,
      height: Int,
      width: Int,
      method: String
  ): Column = {
    require(height > 0 && width > 0, s"decode to ${height}x$width: height and width must be positive")
    val size = Some((height, width, ResizeMethod.fromName(method)))
    decodeColumn(content, origin, exifOrientation, size, activeMaxPixels, SparkSession.getActiveSession)
  }

  private def decodeColumn(
      content: Column,
      origin: Column,
      exifOrientation: Boolean,
      size: Option[(Int, Int, ResizeMethod)],
      maxPixels: Long,
      session: Option[SparkSession]
  ): Column = {
    // The plans of `session` get DecodeResizeFusion, so that a resize of these images (a model
    // stage's, `resize`) is made by their decode. A Connect client's session has no optimizer
    // here: a server's sessions get the rule from SparkdlExtensions.
    session.foreach {
      case s: classic.SparkSession => SparkdlPlanner.install(s, Seq(DecodeResizeFusion))
      case _ =>
    }
    DecodeFunction(exifOrientation, size, maxPixels).column(content, origin)
  }

  /** [[decode]] with origins from column `origin`, EXIF orientation ignored. */
  def decode(content: Column, origin: Column): Column = decode(content, origin, exifOrientation = false)

  /** [[decode]] with null origins, EXIF orientation ignored. */
  def decode(content: Column): Column = decode(content, lit(null).cast(StringType), exifOrientation = false)

  // decode's bound: the active session's, when the column is made.
  private def activeMaxPixels: Long =
    maxPixelsOf(SparkSession.getActiveSession.flatMap(_.conf.getOption(MaxPixelsConf)))

  /** The bound of `spark.sparkdl.image.maxPixels`, read on the driver. */
  private[image] def maxPixelsOf(value: Option[String]): Long = value match {
    case None => DefaultMaxPixels
    case Some(v) =>
      v.trim.toLongOption.filter(_ > 0).getOrElse {
        throw new IllegalArgumentException(
          s"$MaxPixelsConf is '$v'; expected a positive number of pixels (width x height), " +
            s"such as $DefaultMaxPixels, Pillow's bound and the default"
        )
      }
  }
}

/**
 * The decode function of [[ImageIO.decode]] and `readImages`: file bytes and origin to an image
 * struct, resized to `size` if given, then put in a model's channel `order` if given (the struct
 * is BGR(A) otherwise). A value of its own (not a lambda), so that [[DecodeResizeFusion]] can
 * find it in a plan and hand it the work of the resize or model preparation over it.
 */
private[image] final case class DecodeFunction(
    exifOrientation: Boolean,
    size: Option[(Int, Int, ResizeMethod)],
    maxPixels: Long,
    order: Option[ChannelOrder] = None
) extends ((Array[Byte], String) => Row) {

  def apply(bytes: Array[Byte], origin: String): Row =
    if (bytes == null) null
    else {
      val decoded = ImageDecoder.decode(origin, bytes, maxPixels, exifOrientation)
      val sized = size.fold(decoded) { case (h, w, m) => decoded.map(ImageResize.resizeStruct(_, h, w, m, "decoded image")) }
      order.fold(sized)(o => sized.map(ModelImages.inOrder(_, o))).orNull
    }

  def name: String =
    size.fold("decode_image") { case (h, w, m) => s"decode_image_${m.name}_${h}x$w" } + order.fold("")("_" + _.name)

  def column(content: Column, origin: Column): Column =
    UdfShim.of(this, 2, ImageFormat.columnSchema, name)(content, origin)
}
