package io.sparkdl.ml

import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.types.{Metadata, StructField, StructType}

import io.sparkdl.ml.param.OutputMode
import io.sparkdl.model.{BindingNames, ColumnNames, FeedMode, Plan, TFModel}
import io.sparkdl.runtime.ComputeMode
import io.sparkdl.tensorframes.TensorFrames
import io.sparkdl.tf.Graph

/**
 * A stage's model bound to DataFrame columns: `inputs` (column -> model input) and `outputs`
 * (model output -> column). The stage's own checks (its params, missing and existing columns)
 * come first; the model layer's one resolver ([[Plan]]) does the rest — names, dtypes and the
 * cast policy, shapes — over the same graph, so a transform imports the model's graph once.
 * Errors start with `stage` ("TFTransformer tft_1a2b") and name the param (`inputParam`,
 * `outputParam`) whose value is wrong, what was expected and what was found.
 */
private[ml] final class ModelBinding(
    stage: String,
    model: TFModel,
    inputs: Seq[(String, String)],
    outputs: Seq[(String, String)],
    inputParam: String,
    outputParam: String,
    outputMode: String
) {
  // Output columns are appended in sorted order of their names.
  private val sortedOutputs = outputs.sortBy(_._2)

  /** The input schema with the model's output columns appended; fails on any mismatch. */
  def outputSchema(schema: StructType): StructType = StructType(schema.fields ++ fields(resolve(schema)))

  /** Runs the model over `df` in batches of `batchSize` rows. */
  def transform(df: DataFrame, batchSize: Int, handleInvalid: String, compute: ComputeMode): DataFrame = {
    val plan = resolve(df.schema)
    fields(plan) // the output mode's checks
    val mapped = TensorFrames.mapPlanned(df, plan, trim = false, batchSize, handleInvalid, operation = stage,
      compute = Some(compute))
    if (outputMode == OutputMode.Vector) {
      mapped.withColumns(plan.fetches.zip(sortedOutputs).map { case (fetch, (_, column)) =>
        column -> VectorOutput(col(ColumnNames.quote(column)), fetch.cell.rank)
      }.toMap)
    } else mapped
  }

  /** The plan of the model over `schema`, after the stage's own checks. */
  def resolve(schema: StructType): Plan = {
    checkColumns(schema)
    model.source.withGraph { graph =>
      val keyOf = inputs.map { case (column, in) => placeholderOf(graph, column, in) -> in }.toMap
      val names = StageNames(stage, model, keyOf, inputs, sortedOutputs, inputParam, outputParam)
      val program = model.program(inputs, sortedOutputs)
      Plan(schema, program, FeedMode.Block, names, graph = Some(graph))
    }
  }

  private def fields(plan: Plan): Seq[StructField] =
    plan.fetches.zip(sortedOutputs).map { case (fetch, (out, column)) =>
      if (outputMode == OutputMode.Vector) {
        if (!VectorOutput.accepts(fetch.dtype)) {
          fail(s"outputMode 'vector' needs numeric outputs, but model output '$out' (${fetch.tensor}) has " +
            s"${fetch.dtype} cells of shape ${fetch.cell}; expected a numeric output, or use outputMode 'array'")
        }
        StructField(column, VectorType, nullable = true, Metadata.empty)
      } else fetch.field
    }

  private def checkColumns(schema: StructType): Unit = {
    val columns = schema.fieldNames.mkString(", ")
    inputs.groupBy(_._2).collect { case (in, cs) if cs.size > 1 => (in, cs.map(_._1).sorted) }.foreach {
      case (in, cs) =>
        fail(s"$inputParam maps columns ${cs.map(c => s"'$c'").mkString(", ")} to the same model input " +
          s"'$in'; expected one column per model input")
    }
    sortedOutputs.groupBy(_._2).collect { case (c, os) if os.size > 1 => (c, os.map(_._1).sorted) }.foreach {
      case (c, os) =>
        fail(s"$outputParam maps model outputs ${os.map(o => s"'$o'").mkString(", ")} to the same column " +
          s"'$c'; expected one column per model output")
    }
    inputs.map(_._1).filterNot(schema.fieldNames.contains).foreach { c =>
      fail(s"$inputParam names input column '$c', which the DataFrame lacks; expected one of its columns: $columns")
    }
    sortedOutputs.map(_._2).filter(schema.fieldNames.contains).foreach { c =>
      fail(s"$outputParam names output column '$c', which already exists; expected a new column name " +
        s"(existing columns: $columns)")
    }
  }

  // The placeholder (op name) a model input names: a signature key or a tensor name.
  private def placeholderOf(graph: Graph, column: String, in: String): String =
    Plan.placeholderOf(graph, model.inputTensor(in)).getOrElse {
      fail(s"$inputParam maps column '$column' to model input '$in', which is not an input of the model; " +
        s"expected ${model.expectedInputs(graph)}")
    }

  private def fail(message: String): Nothing = throw new IllegalArgumentException(s"$stage: $message")
}

/**
 * A stage's words for the model layer's errors: its params and the model's input and output
 * keys. Tasks carry it to explain bad rows; the model itself stays on the driver.
 */
private final case class StageNames(
    op: String,
    @transient model: TFModel,
    keyOf: Map[String, String], // placeholder op -> the model input key the stage maps
    inputs: Seq[(String, String)],
    outputs: Seq[(String, String)],
    inputParam: String,
    outputParam: String
) extends BindingNames {
  // Tensor name ("op:0", as plans name fetches) -> the output key the stage maps.
  private val outputKey = outputs.map { case (out, _) =>
    val tensor = model.outputTensor(out)
    (if (tensor.contains(':')) tensor else s"$tensor:0") -> out
  }.toMap
  private val byTensorOp = model.signature.toSeq.flatMap(_.inputs.toSeq)
    .map { case (k, t) => t.name.takeWhile(_ != ':') -> k }.toMap

  override def column(name: String): String = s"$inputParam column '$name'"

  override def input(placeholder: String): String = keyOf.get(placeholder) match {
    case Some(key) => s"model input '$key'"
    case None => byTensorOp.get(placeholder).fold(s"'$placeholder'")(k => s"'$k' (tensor $placeholder)")
  }

  override def output(tensor: String): String = s"model output '${outputKey.getOrElse(tensor, tensor)}' ($tensor)"

  // A stage has no trim: its outputs are columns of the input rows.
  override def rowCountHint: String =
    "the stage appends one output per input row, so each model output of " +
      s"$outputParam needs the batch's row count as its first dimension (a model that " +
      "reduces over rows cannot run in a stage; use sparkdl.tensorframes.map_blocks with trim=True)"

  override def unfed(placeholders: Seq[String], types: Seq[String], columns: Seq[String]): String =
    s"the model outputs of $outputParam (${outputs.map(o => s"'${o._1}'").mkString(", ")}) need " +
      s"model input(s) ${placeholders.sorted.map(input).mkString(", ")}, which $inputParam does not feed; " +
      s"expected a column mapped to each (mapped: ${inputs.map { case (c, i) => s"$c -> $i" }.mkString(", ")})"

  override def unknownOutput(tensor: String, graph: Graph, why: String): String = {
    val out = outputKey.getOrElse(tensor, outputKey.getOrElse(s"$tensor:0", tensor))
    val column = outputs.find(_._1 == out).map(_._2).getOrElse("?")
    s"$outputParam maps model output '$out' to column '$column', but the model has no such output; " +
      s"expected ${model.expectedOutputs(graph)}"
  }
}
