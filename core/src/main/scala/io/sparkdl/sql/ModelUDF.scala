package io.sparkdl.sql

import java.util.concurrent.ConcurrentHashMap

import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.catalyst.expressions.Expression
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanHelper
import org.apache.spark.sql.types._

import io.sparkdl.execution.ModelBlocksExec
import io.sparkdl.model.{FeedMode, Plan, TensorColumn, TFModel}
import io.sparkdl.runtime.ModelShipment
import io.sparkdl.tf.{DType, Shape}

/**
 * A TF model registered as a SQL function (by [[registerModelUDF]], which checks the inputs and
 * outputs against the model): argument i feeds model input `inputs(i)`; the function returns
 * output `outputs(0)`, or a struct with one field per output (named by the output) when there
 * are several; `batchSize` rows go through the model per run. Calls are planned on the driver
 * against their argument types (memoized), by the model layer's one resolver: arguments feed the
 * model as columns feed map_blocks and the ML stages, under the same cast rule;
 * `prepareArguments` may rewrite them first (an image function resizes its images).
 */
final class ModelUDF private[sql] (
    val name: String,
    val model: TFModel,
    val inputs: Seq[String],
    val outputs: Seq[String],
    val batchSize: Int,
    @transient private val prepareArguments: Seq[Expression] => Seq[Expression] = identity
) extends Serializable {
  import ModelUDF.Typing

  /** The model input of each argument: its dtype and the shape of a block (leading row dim). */
  @transient private lazy val inputSpecs: Seq[(DType, Shape)] = model.source.withGraph { graph =>
    inputs.map { input =>
      val out = graph.output(model.inputTensor(input))
      (out.dtype, model.source.staticShape(out))
    }
  }

  @transient private lazy val typings = new ConcurrentHashMap[Seq[DataType], Typing]()

  /** The model's broadcast, made at the first query that runs it. */
  @transient private[sql] lazy val shipment: ModelShipment = new ModelShipment(model.source)

  /** Whether calls return a struct (several outputs) rather than the one output's value. */
  def returnsStruct: Boolean = outputs.length > 1

  /** A call of this function on `args` (analysis: checks the number of arguments). */
  def call(args: Seq[Expression]): ModelUDFCall = {
    if (args.length != inputs.length) {
      throw new IllegalArgumentException(
        s"SQL function $name takes ${inputs.length} argument(s) (${inputs.mkString(", ")}), got " +
          s"${args.length}"
      )
    }
    val call = ModelUDFCall(this, prepareArguments(args))
    // Type it now when possible, so bad arguments fail the query's analysis, not a task.
    if (call.childrenResolved) call.dataType
    call
  }

  /** How calls on arguments of `argTypes` run: the argument types fed, the plan, the result type. */
  private[sparkdl] def typing(argTypes: Seq[DataType]): Typing = {
    val cached = typings.get(argTypes)
    if (cached != null) cached
    else {
      val t = computeTyping(argTypes)
      typings.putIfAbsent(argTypes, t)
      t
    }
  }

  /** The argument types the model inputs take as they are: arrays one level short of each
   * input's block rank. None when an input's rank is unknown. */
  def naturalArgTypes: Option[Seq[DataType]] = {
    val types = inputSpecs.map { case (dtype, shape) =>
      if (!shape.hasKnownRank || shape.rank < 1) None
      else Some(TensorColumn.sparkType(dtype, shape.rank - 1))
    }
    if (types.forall(_.isDefined)) Some(types.flatten) else None
  }

  /** How arguments are named inside plans and in error messages. */
  private[sql] val argumentNames: ArgumentNames = ArgumentNames(name, inputs)

  private def computeTyping(argTypes: Seq[DataType]): Typing = {
    val fed = argTypes.map(ModelUDF.withoutDecimals)
    val columns = inputs.indices.map(argumentNames.column)
    val schema = StructType(columns.zip(fed).map { case (c, t) => StructField(c, t) })
    val program = model.program(columns.zip(inputs), outputs.map(o => o -> o))
    val plan = Plan(schema, program, FeedMode.Block, argumentNames)
    val dataType =
      if (plan.fetches.length == 1) plan.fetches.head.field.dataType
      else StructType(plan.fetches.map(f => StructField(f.column, f.field.dataType, false)))
    Typing(fed, plan, dataType)
  }

  /** `name(input, ...)`: the function's SQL signature. */
  def signature: String = s"$name(${inputs.mkString(", ")})"

  /** The usage line shown by `DESCRIBE FUNCTION` and `spark.catalog.listFunctions()`. */
  def usage: String = {
    val returns = naturalArgTypes.flatMap(t => scala.util.Try(typing(t).dataType).toOption) match {
      case Some(t) => t.simpleString
      case None => if (outputs.length == 1) outputs.head else outputs.mkString("struct<", ", ", ">")
    }
    s"$signature - runs ${model.describe} on batches of up to $batchSize rows; returns $returns " +
      s"(model output${if (outputs.length > 1) "s" else ""} ${outputs.mkString(", ")})."
  }

  override def toString: String = s"ModelUDF($signature -> ${outputs.mkString(", ")})"
}

object ModelUDF extends AdaptiveSparkPlanHelper {
  val DefaultBatchSize = 1024

  /**
   * The model runs of `df`'s query so far, summed over its model UDF operators (the SQL metric
   * "number of model runs" the Spark UI shows): read it after an action on this very DataFrame.
   */
  def modelRuns(df: DataFrame): Long =
    collect(df.queryExecution.executedPlan) { case e @ ModelBlocksExec(_, _: ModelUDFEvaluation, _, _) => e }
      .map(_.metrics("modelRuns").value).sum

  /** A function's calls on some argument types: each argument's type as fed (decimals, which
   * no tensor holds, as doubles), the plan over the arguments and the result type. */
  private[sparkdl] final case class Typing(argTypes: Seq[DataType], plan: Plan, dataType: DataType)

  // SQL literals such as 0.5 are decimals: they feed the model as the doubles they denote.
  private def withoutDecimals(t: DataType): DataType = t match {
    case _: DecimalType => DoubleType
    case ArrayType(element, nulls) => ArrayType(withoutDecimals(element), nulls)
    case other => other
  }
}
