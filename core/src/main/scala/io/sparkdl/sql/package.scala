package io.sparkdl

import org.apache.spark.sql.{classic, SparkSession}
import org.apache.spark.sql.catalyst.FunctionIdentifier
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry
import org.apache.spark.sql.catalyst.expressions.Expression
import org.apache.spark.sql.functions.call_function
import org.apache.spark.sql.sparkdl.FunctionRegistryShim

import io.sparkdl.execution.SparkdlPlanner
import io.sparkdl.image.{ChannelOrder, ModelImages, ResizeMethod}
import io.sparkdl.model.TFModel
import io.sparkdl.tf.TfException

/**
 * TF models as SQL functions ("model UDFs"). After
 * {{{
 * val model = TFModel.fromSavedModel("/models/mlp", signatureKey = "serve")
 * registerModelUDF(spark, "mlp", model)
 * }}}
 * `SELECT mlp(features) FROM t` works in Spark SQL and `expr("mlp(features)")` in the DataFrame
 * API. Calls run batched: the rows of a partition go through the model in blocks of `batchSize`,
 * on sessions each executor keeps across tasks and queries.
 */
package object sql {

  private val Name = "[A-Za-z_][A-Za-z0-9_]*".r

  /**
   * Registers `model` as the temporary SQL function `name` of `spark`'s session (replacing any
   * temporary function of that name). Argument i feeds model input `inputs(i)`; the function
   * returns output `outputs(0)` as its column type, or, for several outputs, a struct with one
   * field per output named after it. Arguments feed the model as columns feed the ML stages
   * (integers to any number, floats to floats, never floats to integers). A null argument, or
   * array arguments of a shape the model input cannot take, fail the query with an error naming
   * the function and the argument.
   *
   * @param name      the function's name: letters, digits and '_'; not a built-in function's.
   * @param inputs    model inputs (signature keys or tensor names) in argument order.
   *                  Default: the signature's input keys sorted, or the graph's placeholders.
   * @param outputs   model outputs (signature keys or tensor names). Default: the signature's
   *                  output keys sorted (a frozen graph has none: name them).
   * @param batchSize rows per model run. Default: 1024.
   * @return the registered function
   */
  def registerModelUDF(
      spark: SparkSession,
      name: String,
      model: TFModel,
      inputs: Seq[String] = Nil,
      outputs: Seq[String] = Nil,
      batchSize: Int = ModelUDF.DefaultBatchSize
  ): ModelUDF = register(spark, name, define(name, model, inputs, outputs, batchSize, identity))

  /**
   * Registers an image model (a Keras model exported as a SavedModel, or any model with one input
   * of shape [batch, height, width, channels] and one output) as the SQL function `name` over an
   * image struct column: `SELECT name(image) FROM images`. Images are resized to the model's input
   * size with `resizeMethod` and put in its `channelOrder` on the executors, then run in batches
   * of `batchSize`, as [[registerModelUDF]]'s functions are.
   *
   * @param channelOrder 'RGB' (Keras' order, the default), 'BGR' or 'L'.
   * @param resizeMethod 'area' (the default), 'bilinear', 'bicubic' or 'nearest'.
   */
  def registerKerasImageUDF(
      spark: SparkSession,
      name: String,
      model: TFModel,
      channelOrder: String = "RGB",
      resizeMethod: String = "area",
      batchSize: Int = ModelUDF.DefaultBatchSize
  ): ModelUDF = {
    val (height, width) = imageInputSize(name, model)
    ChannelOrder.fromName(channelOrder, "channelOrder")
    ResizeMethod.fromName(resizeMethod, "resizeMethod")
    val session = classicSession(spark)
    val prepare = (args: Seq[Expression]) => args.map { a =>
      FunctionRegistryShim.expressionOf(session, ModelImages.prepare(FunctionRegistryShim.columnOf(a), height, width,
        resizeMethod, channelOrder, s"SQL function $name"))
    }
    register(spark, name, define(name, model, Nil, Nil, batchSize, prepare))
  }

  /**
   * Registers an image model as the SQL function `name` whose image argument goes first through
   * the SQL function `preprocess` (image struct in, the image struct the model takes out: Python's
   * `registerKerasImageUDF` registers its preprocessor as one). The user calls `name` only, so
   * every error of the model names `name`, never `preprocess`.
   */
  private[sparkdl] def registerPreprocessedImageUDF(
      spark: SparkSession,
      name: String,
      model: TFModel,
      preprocess: String,
      batchSize: Int
  ): ModelUDF = {
    imageInputSize(name, model)
    val session = classicSession(spark)
    val prepare = (args: Seq[Expression]) => args.map { a =>
      val preprocessed = call_function(preprocess, FunctionRegistryShim.columnOf(a))
      FunctionRegistryShim.expressionOf(session, preprocessed)
    }
    register(spark, name, define(name, model, Nil, Nil, batchSize, prepare))
  }

  // An image model has one input [batch, height, width, channels] and one output: its input's
  // [height, width] (-1s when any size goes).
  private def imageInputSize(name: String, model: TFModel): (Int, Int) = {
    def fail(problem: String): Nothing =
      throw new IllegalArgumentException(s"registerKerasImageUDF('$name'): $problem")
    if (model == null) fail("model is null")
    val signature = model.signature.getOrElse(fail(s"${model.describe} has no signature; " +
      "expected a SavedModel with one image input and one output (a Keras model exported with " +
      "model.export)"))
    if (signature.inputs.size != 1 || signature.outputs.size != 1) {
      val ins = signature.inputs.keys.mkString(", ")
      val outs = signature.outputs.keys.mkString(", ")
      fail(s"signature '${signature.key}' has inputs [$ins] and outputs [$outs]; expected one " +
        "image input and one output")
    }
    ModelImages.inputSize(signature.inputs.values.head.shape)
  }

  private def register(spark: SparkSession, name: String, function: ModelUDF): ModelUDF = {
    val session = classicSession(spark)
    installRules(session)
    FunctionRegistryShim.registerTempFunction(
      session, name, classOf[ModelUDFCall].getName, function.usage, function.call
    )
    function
  }

  private def define(
      name: String,
      model: TFModel,
      inputs: Seq[String],
      outputs: Seq[String],
      batchSize: Int,
      prepare: Seq[Expression] => Seq[Expression]
  ): ModelUDF = {
    def fail(problem: String): Nothing =
      throw new IllegalArgumentException(s"registerModelUDF('$name'): $problem")
    if (name == null || !Name.matches(name)) {
      fail("a function name is letters, digits and '_', not starting with a digit")
    }
    // Spark resolves a built-in before a temporary function: the model would never run.
    if (FunctionRegistry.builtin.functionExists(FunctionIdentifier(name))) {
      fail(s"'$name' is the name of a built-in Spark SQL function, which calls would run instead of " +
        "the model; expected another name")
    }
    if (model == null) fail("model is null")
    if (batchSize <= 0) fail(s"batchSize must be positive, got $batchSize")
    val ins = if (inputs == null || inputs.isEmpty) model.inputNames else inputs
    val outs = if (outputs == null || outputs.isEmpty) model.outputNames else outputs
    if (ins.isEmpty) fail(s"${model.describe} has no inputs")
    if (outs.isEmpty) {
      fail(s"${model.describe} has no signature to take outputs from: name the outputs (e.g. 'out:0')")
    }
    Seq("input" -> ins, "output" -> outs).foreach { case (what, names) =>
      names.diff(names.distinct).distinct.foreach(n => fail(s"model $what '$n' is named twice"))
    }
    model.source.withGraph { graph =>
      def check(what: String, n: String, tensor: String, known: Seq[String]): Unit =
        try graph.output(tensor)
        catch {
          case e: TfException =>
            val hint = if (known.nonEmpty) s"; its ${what}s: ${known.mkString(", ")}" else ""
            fail(s"'$n' is not a model $what of ${model.describe}$hint (${e.getMessage})")
        }
      ins.foreach(i => check("input", i, model.inputTensor(i), model.inputNames))
      outs.foreach(o => check("output", o, model.outputTensor(o), model.outputNames))
    }
    val function = new ModelUDF(name, model, ins, outs, batchSize, prepare)
    // Plans the model over the arguments it takes as they are: a bad model fails here, not later.
    function.naturalArgTypes.foreach(function.typing)
    function
  }

  // The rule that batches model calls, and the plan nodes' strategy, once per session.
  private def installRules(session: classic.SparkSession): Unit =
    SparkdlPlanner.install(session, Seq(ModelUDFExtraction))

  private def classicSession(spark: SparkSession): classic.SparkSession =
    SparkdlPlanner.classicSession(spark, "registerModelUDF")
}
