package io.sparkdl.ml

import org.apache.spark.ml.Transformer
import org.apache.spark.ml.image.ImageSchema
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.ml.param.{IntArrayParam, Param, ParamMap}
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader}
import org.apache.spark.sql.{Column, DataFrame, Dataset}
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.types.{DataType, StructField, StructType}

import io.sparkdl.image.{ChannelOrder, ModelChannels, ModelImages, ResizeMethod}
import io.sparkdl.ml.param.{ChoiceParam, HasOutputCol, HasOutputMode, OutputMode}
import io.sparkdl.model.{BindingNames, ColumnNames, FeedMode, GraphProgram, Plan, TFModel}
import io.sparkdl.tensorframes.TensorFrames

/** Params of [[TFImageTransformer]]. */
trait TFImageTransformerParams extends ModelStageParams with HasImageInputCol with HasOutputCol with HasOutputMode {

  override protected def outputColDoc: String =
    "The output column: the model output as an ML vector, or an image struct with outputMode 'image'. Required."

  override protected def outputModes: Seq[String] = Seq(OutputMode.Vector, OutputMode.Image)

  /** The model input the images feed. Default: the model's only input. */
  final val inputTensor: Param[String] = new Param[String](
    this,
    "inputTensor",
    "The model input the images feed: a signature input key, or a placeholder's tensor name. " +
      "Default: the model's only input."
  )

  /** The model output to return. Default: the model's only output. */
  final val outputTensor: Param[String] = new Param[String](
    this,
    "outputTensor",
    "The model output to return: a signature output key, or a tensor name. Default: the model's " +
      "only signature output (a frozen graph has none: name it)."
  )

  /** The channel order the model takes its images in. */
  final val channelOrder: Param[String] = new ChoiceParam(
    this,
    "channelOrder",
    "The channel order the model takes its images in: 'RGB', 'BGR' (as image structs store them) " +
      "or 'L' (gray). Images of other channel counts are converted. Default: 'RGB'.",
    ChannelOrder.all.map(_.name)
  )

  /** The [height, width] images are resized to. */
  final val imageSize: IntArrayParam = new IntArrayParam(
    this,
    "imageSize",
    "The [height, width] images are resized to before the model sees them. Default: the model " +
      "input's static size where it has one; otherwise images keep their sizes (one batch per size).",
    (v: Array[Int]) => v.length == 2 && v.forall(_ > 0)
  )

  /** How images are resized. */
  final val resizeMethod: Param[String] = new ChoiceParam(
    this,
    "resizeMethod",
    "How images are resized: 'area' (averaging), 'bilinear', 'bicubic' or 'nearest'. Default: 'area'.",
    ResizeMethod.all.map(_.name)
  )

  setDefault(channelOrder -> ChannelOrder.RGB.name, resizeMethod -> "area")

  final def getInputTensor: String = $(inputTensor)
  final def getOutputTensor: String = $(outputTensor)
  final def getChannelOrder: String = $(channelOrder)
  final def getImageSize: Array[Int] = $(imageSize)
  final def getResizeMethod: String = $(resizeMethod)
}

/**
 * Runs a TF image model over a column of images (Spark's image struct, as `readImages` and
 * `spark.read.format("image")` give them): each image is resized to the model's input size
 * (`imageSize`, by default the model input's static size) with `resizeMethod`, put in the
 * model's `channelOrder`, and fed as float32 pixel values; images of one size go through the
 * model as one `[N, H, W, C]` batch of up to `batchSize` images. The model output becomes an ML
 * vector (`outputMode` 'vector') or an image (`outputMode` 'image'). Null images fail the
 * transform, or are dropped with `handleInvalid` 'skip'.
 *
 * {{{
 * new TFImageTransformer()
 *   .setModel(TFModel.fromSavedModel("/models/cnn"))
 *   .setInputCol("image").setOutputCol("features")
 *   .transform(readImages(spark, "/data/images"))
 * }}}
 */
class TFImageTransformer(override val uid: String)
    extends Transformer
    with TFImageTransformerParams
    with ModelStageWritable {

  def this() = this(Identifiable.randomUID("TFImageTransformer"))

  def setModel(value: TFModel): this.type = set(model, value)
  def setInputCol(value: String): this.type = set(inputCol, value)
  def setOutputCol(value: String): this.type = set(outputCol, value)
  def setInputTensor(value: String): this.type = set(inputTensor, value)
  def setOutputTensor(value: String): this.type = set(outputTensor, value)
  def setChannelOrder(value: String): this.type = set(channelOrder, value)
  def setOutputMode(value: String): this.type = set(outputMode, value)
  def setImageSize(value: Array[Int]): this.type = set(imageSize, value)
  def setResizeMethod(value: String): this.type = set(resizeMethod, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setHandleInvalid(value: String): this.type = set(handleInvalid, value)

  // The prepared images and the model's output, in columns of the stage's own.
  private def fedColumn: String = s"__sparkdl_${uid}_image"
  private def resultColumn: String = s"__sparkdl_${uid}_out"

  override def transformSchema(schema: StructType): StructType = {
    val (_, outputType, _) = resolve(schema)
    schema.add(StructField($(outputCol), outputType, nullable = true))
  }

  override def transform(dataset: Dataset[_]): DataFrame = {
    val df = dataset.toDF()
    val (plan, _, size) = resolve(df.schema)
    val in = col(ColumnNames.quote($(inputCol)))
    val prepared = df.withColumn(fedColumn, ModelImages.prepare(in, size._1, size._2, $(resizeMethod), $(channelOrder), stageName))
    val mapped = TensorFrames.mapPlanned(prepared, plan, trim = false, $(batchSize), $(handleInvalid),
      operation = stageName, compute = Some(computeMode(df.sparkSession, stageName)))
    val result = col(ColumnNames.quote(resultColumn))
    val output: Column = $(outputMode) match {
      case OutputMode.Image => ModelImages.fromTensorCells(result, in.getField("origin"), $(channelOrder))
      case _ => VectorOutput(result, plan.fetches.head.cell.rank)
    }
    mapped.withColumn($(outputCol), output).drop(fedColumn, resultColumn)
  }

  override def copy(extra: ParamMap): TFImageTransformer = defaultCopy(extra)

  // The plan over the schema with the prepared column, the output type and the size images are
  // resized to (-1: kept). Checks params, columns and the model before any data moves.
  private def resolve(schema: StructType): (Plan, DataType, (Int, Int)) = {
    val m = required(model, "a TFModel of an image model (TFModel.fromSavedModel(...))")
    val input = required(inputCol, "the name of the image column")
    val output = required(outputCol, "the name of the output column")
    val field = ImageColumns.check(stageName, schema, input, output)
    m.source.withGraph { graph =>
      val inTensor = get(inputTensor).map(m.inputTensor).getOrElse(only(m.signature.map(_.inputs.values.map(_.name).toSeq),
        BindingNames.placeholders(graph), "input", inputTensor.name))
      val outTensor = get(outputTensor).map(m.outputTensor).getOrElse(only(m.signature.map(_.outputs.values.map(_.name).toSeq),
        Nil, "output", outputTensor.name))
      val placeholder = Plan.placeholderOf(graph, inTensor).getOrElse(fail(
        s"inputTensor '${get(inputTensor).getOrElse(inTensor)}' is not an input of the model; expected ${m.expectedInputs(graph)}"
      ))
      val shape = m.source.staticShape(graph.output(inTensor))
      if (shape.hasKnownRank && shape.rank != 4) {
        fail(s"model input '$placeholder' has shape $shape; expected a batch of images, [batch, height, width, channels]")
      }
      val channels = ModelChannels.channels(ChannelOrder.fromName($(channelOrder)))
      if (shape.hasKnownRank && shape(3) >= 0 && shape(3) != channels) {
        fail(s"model input '$placeholder' takes ${shape(3)} channel(s), but channelOrder '${$(channelOrder)}' " +
          s"gives $channels; expected channelOrder ${if (shape(3) == 1) "'L'" else "'RGB' or 'BGR'"}")
      }
      val size = get(imageSize).map(s => (s(0), s(1))).getOrElse(ModelImages.inputSize(shape))
      val fed = StructField(fedColumn, field.dataType, nullable = true)
      val program = GraphProgram(m.source, Seq(outTensor), Seq(resultColumn), Map(placeholder -> fedColumn))
      val names = ImageStageNames(stageName, input, fedColumn)
      val plan = Plan(StructType(schema.fields :+ fed), program, FeedMode.Block, names, graph = Some(graph))
      val cell = plan.fetches.head.cell
      val outputType = $(outputMode) match {
        case OutputMode.Image =>
          if (cell.rank != 3) {
            fail(s"outputMode 'image' needs a model output of shape [batch, height, width, channels]; " +
              s"'$outTensor' has cells of shape $cell")
          }
          ImageSchema.columnSchema
        case _ =>
          if (!VectorOutput.accepts(plan.fetches.head.dtype)) {
            fail(s"outputMode 'vector' needs a numeric model output; '$outTensor' has ${plan.fetches.head.dtype} " +
              "cells; expected a numeric output, or outputMode 'image'")
          }
          VectorType
      }
      (plan, outputType, size)
    }
  }

  private def only(signature: Option[Seq[String]], graphs: Seq[String], what: String, param: String): String = {
    val candidates = signature.getOrElse(graphs)
    if (candidates.length == 1) candidates.head
    else {
      fail(s"param '$param' is not set and the model has ${candidates.length} ${what}s " +
        s"(${candidates.mkString(", ")}); expected $param naming one")
    }
  }

  private def fail(message: String): Nothing = throw new IllegalArgumentException(s"$stageName: $message")
}

/** The image stage's words for the model layer's errors: its input column, not the prepared one. */
private final case class ImageStageNames(op: String, inputCol: String, fedColumn: String) extends BindingNames {
  override def column(name: String): String =
    if (name == fedColumn) s"inputCol column '$inputCol'" else s"column '$name'"
  override def input(placeholder: String): String = s"model input '$placeholder'"
  override def output(tensor: String): String = s"model output '$tensor'"
}

object TFImageTransformer extends MLReadable[TFImageTransformer] {
  override def read: MLReader[TFImageTransformer] = new ModelStageReader[TFImageTransformer]
  override def load(path: String): TFImageTransformer = super.load(path)
}
