package io.sparkdl.ml

import org.apache.spark.sql.{classic, SparkSession}
import org.apache.spark.sql.sparkdl.FunctionRegistryShim

import io.sparkdl.ml.udf.{
  ModelCall, ModelCallBlocks, ModelCallExtraction, ModelEvalStrategy, ModelFunction
}
import io.sparkdl.tf.TfException

/**
 * TF models as SQL functions. After
 * {{{
 * val model = TFModel.fromSavedModel("/models/mlp", signatureKey = "serve")
 * ModelFunctions.register(spark, "mlp", model)
 * }}}
 * `SELECT mlp(features) FROM t` works in Spark SQL and `expr("mlp(features)")` in the DataFrame
 * API. Calls run batched: the rows of a partition go through the model in blocks of `batchSize`,
 * on sessions each executor keeps across tasks and queries.
 */
object ModelFunctions {
  val DefaultBatchSize = 1024

  private val Name = "[A-Za-z_][A-Za-z0-9_]*".r

  /**
   * Registers `model` as the temporary SQL function `name` of `spark`'s session (replacing any
   * temporary function of that name). Argument i feeds model input `inputs(i)`; the function
   * returns output `outputs(0)` as its column type, or, for several outputs, a struct with one
   * field per output named after it. Numeric arguments are cast to the model inputs' dtypes.
   * A null argument, or array arguments of a shape the model input cannot take, fail the query
   * with an error naming the function and the argument.
   *
   * @param inputs    model inputs (signature keys or tensor names) in argument order.
   *                  Default: the signature's input keys sorted, or the graph's placeholders.
   * @param outputs   model outputs (signature keys or tensor names). Default: the signature's
   *                  output keys sorted (a frozen graph has none: name them).
   * @param batchSize rows per model run. Default: 1024.
   * @return the registered function
   */
  def register(
      spark: SparkSession,
      name: String,
      model: TFModel,
      inputs: Seq[String] = Nil,
      outputs: Seq[String] = Nil,
      batchSize: Int = DefaultBatchSize
  ): ModelFunction = {
    val session = classicSession(spark)
    val function = define(name, model, inputs, outputs, batchSize)
    installRules(session)
    FunctionRegistryShim.registerTempFunction(
      session, name, classOf[ModelCall].getName, function.usage, function.call
    )
    function
  }

  /** How many model runs SQL functions made in this JVM so far (for tests and metrics). */
  def runCount: Long = ModelCallBlocks.runs.get()

  private def define(
      name: String,
      model: TFModel,
      inputs: Seq[String],
      outputs: Seq[String],
      batchSize: Int
  ): ModelFunction = {
    def fail(problem: String): Nothing =
      throw new IllegalArgumentException(s"registerModelUDF('$name'): $problem")
    if (name == null || !Name.matches(name)) {
      fail("a function name is letters, digits and '_', not starting with a digit")
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
    val function = new ModelFunction(name, model, ins, outs, batchSize)
    // Plans the model over the arguments it takes as they are: a bad model fails here, not later.
    function.naturalArgTypes.foreach(function.typing)
    function
  }

  // The rule and strategy that run model calls in batches, once per session.
  private def installRules(session: classic.SparkSession): Unit = synchronized {
    val experimental = session.experimental
    if (!experimental.extraOptimizations.contains(ModelCallExtraction)) {
      experimental.extraOptimizations = experimental.extraOptimizations :+ ModelCallExtraction
    }
    if (!experimental.extraStrategies.contains(ModelEvalStrategy)) {
      experimental.extraStrategies = experimental.extraStrategies :+ ModelEvalStrategy
    }
  }

  private def classicSession(spark: SparkSession): classic.SparkSession = spark match {
    case s: classic.SparkSession => s
    case null => throw new IllegalArgumentException("registerModelUDF: spark is null")
    case other =>
      throw new UnsupportedOperationException(
        s"registerModelUDF needs a classic SparkSession, not ${other.getClass.getName}"
      )
  }
}
