package io.sparkdl.ml.udf

import java.util.concurrent.ConcurrentHashMap

import org.apache.spark.sql.catalyst.expressions.Expression
import org.apache.spark.sql.types._

import io.sparkdl.ml.TFModel
import io.sparkdl.tensorframes.{FeedMode, Plan, TensorColumn}
import io.sparkdl.tf.{DType, Shape}

/**
 * A TF model registered as a SQL function: argument i feeds model input `inputs(i)`; the function
 * returns output `outputs(0)`, or a struct with one field per output (named by the output) when
 * there are several; `batchSize` rows go through the model per run.
 *
 * Built by [[io.sparkdl.ml.ModelFunctions.register]], which checks the inputs and outputs
 * against the model. Calls are typed on the driver against their argument types (memoized).
 */
final class ModelFunction private[ml] (
    val name: String,
    val model: TFModel,
    val inputs: Seq[String],
    val outputs: Seq[String],
    val batchSize: Int
) extends Serializable {
  import ModelFunction.Typing

  /** The model input of each argument: its dtype and the shape of a block (leading row dim). */
  @transient private lazy val inputSpecs: Seq[(DType, Shape)] = model.source.withGraph { graph =>
    inputs.map { input =>
      val out = graph.output(model.inputTensor(input))
      val known = model.signature.flatMap(_.inputs.get(input)).map(_.shape).filter(_.hasKnownRank)
      (out.dtype, known.getOrElse(out.shape))
    }
  }

  @transient private lazy val typings = new ConcurrentHashMap[Seq[DataType], Typing]()

  /** Whether calls return a struct (several outputs) rather than the one output's value. */
  def returnsStruct: Boolean = outputs.length > 1

  /** A call of this function on `args` (analysis: checks the number of arguments). */
  def call(args: Seq[Expression]): ModelCall = {
    if (args.length != inputs.length) {
      throw new IllegalArgumentException(
        s"SQL function $name takes ${inputs.length} argument(s) (${inputs.mkString(", ")}), got " +
          s"${args.length}"
      )
    }
    val call = ModelCall(this, args)
    // Type it now when possible, so bad arguments fail the query's analysis, not a task.
    if (call.childrenResolved) call.dataType
    call
  }

  /** How calls on arguments of `argTypes` run: the casts, the plan and the result type. */
  private[sparkdl] def typing(argTypes: Seq[DataType]): Typing = {
    val cached = typings.get(argTypes)
    if (cached != null) cached
    else {
      val t = computeTyping(argTypes)
      typings.putIfAbsent(argTypes, t)
      t
    }
  }

  /** The argument types the model inputs take as they are (no casts): arrays one level short
   * of each input's block rank. None when an input's rank is unknown. */
  def naturalArgTypes: Option[Seq[DataType]] = {
    val types = inputSpecs.map { case (dtype, shape) =>
      if (!shape.hasKnownRank || shape.rank < 1) None
      else Some(TensorColumn.sparkType(dtype, shape.rank - 1))
    }
    if (types.forall(_.isDefined)) Some(types.flatten) else None
  }

  /** How arguments are named inside plans and in error messages. */
  private[udf] val argumentNames: ArgumentNames = ArgumentNames(name, inputs)

  private def computeTyping(argTypes: Seq[DataType]): Typing = {
    val targets = argTypes.zip(inputSpecs).zipWithIndex.map { case ((t, (dtype, shape)), i) =>
      castTarget(t, dtype).getOrElse {
        throw new IllegalArgumentException(
          s"SQL function $name: ${argumentNames.describe(i)} takes $dtype$shape, but the argument " +
            s"has type ${t.simpleString}; expected " +
            (if (isNumeric(dtype)) "numbers or (nested) arrays of numbers"
             else s"values of ${TensorColumn.sparkType(dtype, 0).simpleString}")
        )
      }
    }
    val columns = inputs.indices.map(argumentNames.column)
    val schema = StructType(columns.zip(targets).map { case (c, t) => StructField(c, t) })
    val program = model.program(columns.zip(inputs), outputs.map(o => o -> o))
    val plan =
      try Plan(schema, program, FeedMode.Block, s"SQL function $name")
      catch {
        case e: IllegalArgumentException =>
          throw new IllegalArgumentException(argumentNames.explain(e.getMessage), e)
      }
    val dataType =
      if (plan.fetches.length == 1) plan.fetches.head.field.dataType
      else StructType(plan.fetches.map(f => StructField(f.column, f.field.dataType, false)))
    Typing(targets, plan, dataType)
  }

  // Numbers are cast to the model input's dtype (a float64 column into a float32 model works);
  // other types must already match (the plan checks them). None: the type cannot feed `dtype`.
  private def castTarget(t: DataType, dtype: DType): Option[DataType] = t match {
    case NullType => None
    case ArrayType(element, nulls) => castTarget(element, dtype).map(ArrayType(_, nulls))
    case _: NumericType => if (isNumeric(dtype)) Some(TensorColumn.sparkType(dtype, 0)) else None
    case StringType | BinaryType => if (dtype == DType.TString) Some(t) else None
    case BooleanType => if (dtype == DType.Bool) Some(t) else None
    case other => Some(other)
  }

  private def isNumeric(dtype: DType): Boolean =
    dtype != DType.Bool && dtype != DType.TString && dtype != DType.UInt8

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

  override def toString: String = s"ModelFunction($signature -> ${outputs.mkString(", ")})"
}

object ModelFunction {

  /** A function's calls on some argument types: each argument's type after its cast, the plan
   * over the arguments (named by [[ArgumentNames.column]]) and the result type. */
  private[sparkdl] final case class Typing(argTypes: Seq[DataType], plan: Plan, dataType: DataType)
}
