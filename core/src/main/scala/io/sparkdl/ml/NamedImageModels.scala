package io.sparkdl.ml

import java.nio.charset.StandardCharsets.UTF_8

import scala.util.Using
import scala.util.control.NonFatal

import org.apache.hadoop.fs.Path
import org.json4s.{DefaultFormats, JArray, JString}
import org.json4s.jackson.JsonMethods.parse

import org.apache.spark.ml.param.Param
import org.apache.spark.sql.{DataFrame, SparkSession}
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.types.{StructField, StructType}

import io.sparkdl.image.ResizeMethod
import io.sparkdl.ml.param.{ChoiceParam, HasBatchSize, HasComputeMode, HasHandleInvalid, HasOutputCol}
import io.sparkdl.model.{ColumnNames, TFModel}

/**
 * The named ImageNet models of [[DeepImageFeaturizer]] and [[DeepImagePredictor]], as the model
 * store holds them (written by `python -m sparkdl.models prepare <Name>`):
 * `<root>/<Name>/saved_model/` (signature `serving_default`: input `image`, float32
 * `[N, H, W, 3]` RGB values 0..255, preprocessing inside the graph; outputs `features` and
 * `predictions`) and `<root>/<Name>/model.json` (its input size and output sizes).
 *
 * The root is Spark conf `spark.sparkdl.modelStore`, else environment variable
 * `SPARKDL_MODEL_STORE`, else `~/.cache/sparkdl/models`; any Hadoop filesystem path the
 * executors can read too: each executor reads the model's files from the store itself
 * ([[io.sparkdl.model.SavedModelReference]]); the driver reads only model.json and saved_model.pb.
 */
private[sparkdl] object NamedImageModels {

  val Names: Seq[String] = Seq(
    "InceptionV3", "Xception", "ResNet50", "VGG16", "VGG19", "MobileNetV2", "EfficientNetB0",
    "DenseNet121", "ResNet50V2", "ConvNeXtTiny"
  )

  /**
   * The height and width (equal) of the images each model takes: what `prepare` builds it at and
   * writes to its model.json (Python reads them from the generated contract).
   */
  val InputSizes: Map[String, Int] = Names.map {
    case n @ ("InceptionV3" | "Xception") => n -> 299
    case n => n -> 224
  }.toMap

  val StoreConf = "spark.sparkdl.modelStore"
  val StoreEnv = "SPARKDL_MODEL_STORE"
  val DefaultStoreRoot = "~/.cache/sparkdl/models"

  /** A class list of the user's own instead of the one shipped in sparkdl's jar. */
  val ClassesConf = "spark.sparkdl.imagenetClasses"
  val ClassesResource = "io/sparkdl/models/imagenet_classes.json"

  val InputKey = "image"
  val FeaturesKey = "features"
  val FlattenedKey = "flattened"
  val PredictionsKey = "predictions"

  /** model.json's integer fields, as [[entry]] reads them into an [[Entry]]. */
  val ModelJsonFields: Seq[String] = Seq("inputHeight", "inputWidth", "featureDim", "numClasses")
  /** model.json's optional integer field: the `flattened` output's width. */
  val FlattenedDimField = "flattenedDim"

  /**
   * A model of the store, as its model.json describes it; `flattenedDim` is None for models
   * prepared before the store had the `flattened` output.
   */
  final case class Entry(
      name: String, dir: Path, height: Int, width: Int, featureDim: Int, numClasses: Int,
      flattenedDim: Option[Int] = None) {
    def savedModel: Path = new Path(dir, "saved_model")
  }

  /** The store's root: the session's conf, else the environment, else the user's cache. */
  def root(spark: Option[SparkSession]): String = {
    val configured = spark.flatMap(_.conf.getOption(StoreConf)).orElse(sys.env.get(StoreEnv)).filter(_.nonEmpty)
    expandHome(configured.getOrElse(DefaultStoreRoot), System.getProperty("user.home"))
  }

  /** `~` alone or before `/` is the user's home; nothing else (`~user`, `$HOME`) is expanded.
   * Python's store root follows the generated copy of this rule (sparkdl._gen.contract). */
  def expandHome(path: String, home: String): String =
    if (path == "~" || path.startsWith("~/")) home + path.drop(1) else path

  /**
   * The store's entry for model `name` (one of [[Names]]), read from its model.json; `who` (the
   * stage) starts the error, which names the path looked in and the command that fills it.
   */
  def entry(name: String, spark: Option[SparkSession], who: String): Entry = {
    val dir = new Path(root(spark), name)
    val meta = new Path(dir, "model.json")
    val hadoopConf = spark.map(_.sparkContext.hadoopConfiguration).getOrElse(new org.apache.hadoop.conf.Configuration())
    val fs = dir.getFileSystem(hadoopConf)
    if (!fs.exists(meta) || !fs.exists(new Path(dir, "saved_model"))) {
      throw new IllegalArgumentException(
        s"$who: model '$name' is not in the model store: no $meta with its saved_model/ beside it " +
          s"(store root from Spark conf $StoreConf, else $$$StoreEnv, else $DefaultStoreRoot); " +
          s"prepare it with `python -m sparkdl.models prepare $name` (with the same store root)"
      )
    }
    implicit val formats: DefaultFormats.type = DefaultFormats
    try {
      val json = parse(new String(Using.resource(fs.open(meta))(_.readAllBytes()), UTF_8))
      def int(field: String): Int = (json \ field).extract[Int]
      val fields = ModelJsonFields.map(int) // inputHeight, inputWidth, featureDim, numClasses
      Entry(name, dir, fields(0), fields(1), fields(2), fields(3), (json \ FlattenedDimField).extractOpt[Int])
    } catch {
      case NonFatal(e) => throw new IllegalArgumentException(
          s"$who: $meta is not a model store entry (expected integer fields " +
            s"${ModelJsonFields.mkString(", ")}): ${e.getMessage}; prepare it again with " +
            s"`python -m sparkdl.models prepare $name`",
          e
        )
    }
  }

  /**
   * The entry's SavedModel, read by each executor from the store (named models are hundreds of
   * MB: VGG16's 530 MB would not fit a driver's memory to broadcast); the driver reads only its
   * `saved_model.pb`.
   */
  def load(entry: Entry, spark: SparkSession, who: String): TFModel = {
    val model = TFModel.fromSavedModelPath(entry.savedModel.toString, hadoopConf = spark.sparkContext.hadoopConfiguration)
    checkInputSize(entry, model, who)
    model
  }

  /**
   * model.json's input size is what images are resized to: one that is not the SavedModel's
   * would fail every row in the model's run, where the error could only blame the images.
   */
  private def checkInputSize(entry: Entry, model: TFModel, who: String): Unit =
    model.signature.flatMap(_.inputs.get(InputKey)).map(_.shape).filter(_.rank == 4).foreach { shape =>
      val (height, width) = (shape(1), shape(2))
      if ((height >= 0 && height != entry.height) || (width >= 0 && width != entry.width)) {
        def dim(d: Long) = if (d < 0) "?" else d.toString
        throw new IllegalArgumentException(
          s"$who: the model store's ${new Path(entry.dir, "model.json")} disagrees with its SavedModel: " +
            s"model.json gives inputHeight ${entry.height} and inputWidth ${entry.width}, the SavedModel's " +
            s"input '$InputKey' takes ${dim(height)}x${dim(width)} images (shape $shape); the store's entry " +
            s"is damaged: prepare it again with `python -m sparkdl.models prepare ${entry.name} --overwrite`"
        )
      }
    }

  /**
   * ImageNet's classes as (wnid, name), in the models' output order: the file of Spark conf
   * [[ClassesConf]] if set, else the list shipped in sparkdl's jar ([[ClassesResource]], copied at
   * build time from `python/sparkdl/models/imagenet_classes.json`).
   */
  def classes(spark: SparkSession, who: String): IndexedSeq[(String, String)] = {
    val (text, where) = spark.conf.getOption(ClassesConf).filter(_.nonEmpty) match {
      case Some(file) =>
        val p = new Path(file)
        val fs = p.getFileSystem(spark.sparkContext.hadoopConfiguration)
        (new String(Using.resource(fs.open(p))(_.readAllBytes()), UTF_8), file)
      case None =>
        val stream = Option(getClass.getClassLoader.getResourceAsStream(ClassesResource)).getOrElse {
          throw new IllegalArgumentException(
            s"$who: decodePredictions needs ImageNet's class names, and this sparkdl build lacks " +
              s"them (resource $ClassesResource, copied from python/sparkdl/models/imagenet_classes.json " +
              s"when the jar is built); build sparkdl with that file, or set Spark conf $ClassesConf " +
              "to a JSON file of [wnid, name] pairs"
          )
        }
        (new String(Using.resource(stream)(_.readAllBytes()), UTF_8), ClassesResource)
    }
    parse(text) match {
      case JArray(items) => items.toIndexedSeq.map {
          case JArray(List(JString(wnid), JString(label))) => (wnid, label)
          case other => throw new IllegalArgumentException(
              s"$who: $where holds $other; expected a JSON list of [wnid, name] pairs")
        }
      case _ => throw new IllegalArgumentException(s"$who: $where is not a JSON list of [wnid, name] pairs")
    }
  }

  /**
   * java.awt's scale hints, the original featurizer's `scaleHint`, as the resize methods that do
   * what `Image.getScaledInstance` did with them: SMOOTH and AREA_AVERAGING chose the
   * `AreaAveragingScaleFilter` (area averaging), DEFAULT, FAST and REPLICATE the
   * `ReplicateScaleFilter` (pixel replication, nearest neighbour).
   */
  val ScaleHints: Map[String, ResizeMethod] = Map(
    "SCALE_AREA_AVERAGING" -> ResizeMethod.Area,
    "SCALE_SMOOTH" -> ResizeMethod.Area,
    "SCALE_DEFAULT" -> ResizeMethod.Nearest,
    "SCALE_FAST" -> ResizeMethod.Nearest,
    "SCALE_REPLICATE" -> ResizeMethod.Nearest
  )
}

/** Params of the named image model stages, and what they share: checks, the store, the run. */
private[ml] trait NamedImageParams
    extends StageParams with HasBatchSize with HasHandleInvalid with HasComputeMode with HasImageInputCol
    with HasOutputCol {
  import NamedImageModels._

  /** The named model, read from the model store. */
  final val modelName: Param[String] = new Param[String](
    this,
    "modelName",
    s"The ImageNet model, read from the model store (`python -m sparkdl.models prepare <name>` " +
      s"fills it): one of ${Names.mkString(", ")}. Required.",
    (name: String) => Names.contains(name) || unknownModel(name)
  )

  /** How images are resized to the model's input size, in the original's java.awt names. */
  final val scaleHint: Param[String] = new ChoiceParam(
    this,
    "scaleHint",
    "How images are resized to the model's input size, as java.awt's scale hints did: " +
      "'SCALE_AREA_AVERAGING' and 'SCALE_SMOOTH' average areas (resize method 'area'), " +
      "'SCALE_DEFAULT', 'SCALE_FAST' and 'SCALE_REPLICATE' replicate pixels (resize method " +
      "'nearest'). Default: 'SCALE_AREA_AVERAGING'.",
    ScaleHints.keys.toSeq.sorted
  )

  setDefault(scaleHint -> "SCALE_AREA_AVERAGING")

  final def getModelName: String = $(modelName)
  final def getScaleHint: String = $(scaleHint)

  private def unknownModel(name: String): Nothing =
    fail(s"param 'modelName' is '$name', which is not a known model; expected one of ${Names.mkString(", ")}")

  protected def fail(message: String): Nothing = throw new IllegalArgumentException(s"$stageName: $message")

  /**
   * Checks params and columns (no store access): the schema with `outputType` appended as
   * `outputCol`.
   */
  protected def checkedSchema(schema: StructType, outputType: org.apache.spark.sql.types.DataType): StructType = {
    required(modelName, s"one of ${Names.mkString(", ")}")
    val input = required(inputCol, "the name of the image column")
    val output = required(outputCol, "the name of the output column")
    ImageColumns.check(stageName, schema, input, output)
    schema.add(StructField(output, outputType, nullable = true))
  }

  /** The store's entry of the model, checked to exist (on the driver, before any job). */
  protected def storeEntry(spark: Option[SparkSession]): Entry = entry($(modelName), spark, stageName)

  /**
   * `df` with model output `outputKey` of the stage's model over its images, as an ML vector in
   * column `column`: a [[TFImageTransformer]] of the store's SavedModel, at the size model.json
   * gives, images in RGB.
   */
  protected def runModel(df: DataFrame, entry: Entry, outputKey: String, column: String): DataFrame = {
    val inner = new TFImageTransformer(uid)
      .setModel(load(entry, df.sparkSession, stageName))
      .setInputCol($(inputCol))
      .setOutputCol(column)
      .setInputTensor(InputKey)
      .setOutputTensor(outputKey)
      .setChannelOrder("RGB")
      .setImageSize(Array(entry.height, entry.width))
      .setResizeMethod(ScaleHints($(scaleHint)).name)
      .setBatchSize($(batchSize))
      .setHandleInvalid($(handleInvalid))
    copyComputeModeTo(inner).transform(df)
  }

  protected def quoted(name: String): org.apache.spark.sql.Column = col(ColumnNames.quote(name))
}
