package io.sparkdl.ml

import org.apache.spark.ml.functions.{array_to_vector, vector_to_array}
import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.sql.{Column, DataFrame}
import org.apache.spark.sql.functions.{array, col}
import org.apache.spark.sql.types.{ArrayType, DataType, DoubleType, Metadata, StructField, StructType}

import io.sparkdl.ml.param.OutputMode
import io.sparkdl.tensorframes.{CellKind, FeedMode, GraphProgram, Plan, TensorColumn, TensorFrames}
import io.sparkdl.tf.{DType, Graph, NotFoundException, Output, Shape}

/**
 * A stage's model bound to DataFrame columns: `inputs` (column -> model input) and `outputs`
 * (model output -> column). [[outputSchema]] checks everything against a schema without touching
 * data; [[transform]] runs the model. Errors start with `stage` ("TFTransformer tft_1a2b") and
 * name the param (`inputParam`, `outputParam`) whose value is wrong, what was expected and found.
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

  import ModelBinding.{Input, Resolved}

  /** The input schema with the model's output columns appended; fails on any mismatch. */
  def outputSchema(schema: StructType): StructType = StructType(schema.fields ++ resolve(schema).fields)

  /** Runs the model over `df` in batches of `batchSize` rows. */
  def transform(df: DataFrame, batchSize: Int, handleInvalid: String): DataFrame = {
    val r = resolve(df.schema)
    val casts = r.inputs.collect { case Input(_, _, feed, Some(cast)) => feed -> cast }
    val fed = if (casts.isEmpty) df else df.withColumns(casts.toMap)
    val mapped =
      TensorFrames.mapBlocks(fed, r.program, trim = false, blockSize = batchSize, handleInvalid = handleInvalid)
    val vectors = if (outputMode == OutputMode.Vector) {
      mapped.withColumns(r.fields.map(f => f.name -> toVector(mapped.schema(f.name))).toMap)
    } else mapped
    vectors.drop(casts.map(_._1): _*)
  }

  private def resolve(schema: StructType): Resolved = {
    checkColumns(schema)
    val checked = model.source.withGraph { graph =>
      val fetched = sortedOutputs.map { case (out, column) => resolveOutput(graph, out, column) }
      val fed = inputs.zipWithIndex.map { case ((column, in), i) => resolveInput(graph, schema, column, in, i) }
      checkFeedsCover(graph, fetched, fed.map(_._2))
      fed
    }
    val castFields = checked.collect { case (Input(column, _, feed, _), _, Some(t)) =>
      StructField(feed, t, schema(column).nullable, schema(column).metadata)
    }
    val inputsOf = checked.map(_._1)
    val program = model.program(inputsOf.map(i => i.feedColumn -> i.modelInput), sortedOutputs)
    // The engine's own planning: dtypes, shapes and output types, errors prefixed with the stage.
    val plan = Plan(StructType(schema.fields ++ castFields), program, FeedMode.Block, stage)
    val fields = plan.fetches.zip(sortedOutputs).map { case (fetch, (out, column)) =>
      if (outputMode == OutputMode.Vector) {
        if (!isNumeric(fetch.dtype) || fetch.cell.rank > 1) {
          fail(s"outputMode 'vector' needs numeric outputs with cells of rank 0 or 1, but model output " +
            s"'$out' (${fetch.tensor}) has ${fetch.dtype} cells of shape ${fetch.cell}; expected rank <= 1, " +
            "or use outputMode 'array'")
        }
        StructField(column, VectorType, nullable = true, Metadata.empty)
      } else fetch.field
    }
    Resolved(inputsOf, program, fields)
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

  private def resolveOutput(graph: Graph, out: String, column: String): Output = {
    val tensor = model.outputTensor(out)
    try graph.output(tensor)
    catch {
      case _: NotFoundException | _: IllegalArgumentException =>
        fail(s"$outputParam maps model output '$out' to column '$column', but the model has no such " +
          s"output; expected ${expectedOutputs(graph)}")
    }
  }

  /** The input, its placeholder's op name and, when cast, its temporary column's type. */
  private def resolveInput(
      graph: Graph,
      schema: StructType,
      column: String,
      in: String,
      index: Int
  ): (Input, String, Option[DataType]) = {
    val tensor = model.inputTensor(in)
    val placeholder = scala.util.Try(Output.parseName(tensor)).toOption
      .filter(_._2 == 0)
      .flatMap(p => graph.operation(p._1))
      .filter(_.opType == "Placeholder")
      .getOrElse(fail(s"$inputParam maps column '$column' to model input '$in', which is not an input " +
        s"of the model; expected ${expectedInputs(graph)}"))
    val out = placeholder.output(0)
    val shape = shapeOf(out)
    val what = s"model input '$in' (${out.dtype}$shape)"
    val c = try TensorColumn(schema, column)
    catch {
      case _: IllegalArgumentException =>
        fail(s"$inputParam column '$column' has type ${schema(column).dataType.simpleString}, which cannot " +
          s"feed $what; expected a numeric scalar, a (nested) numeric array or an ML vector")
    }
    if (c.dtype != out.dtype && !castable(c, out.dtype)) {
      val why =
        if (c.kind == CellKind.Vector) " (vectors convert to float32 or float64 only)"
        else if (isNumeric(c.dtype) && isNumeric(out.dtype)) " (floats are not cast to integers implicitly)"
        else ""
      fail(s"$inputParam column '$column' has type ${c.dataType.simpleString} (${c.dtype} values), which cannot " +
        s"feed $what; expected ${out.dtype} values or numbers castable to them$why")
    }
    if (shape.hasKnownRank) {
      if (shape.rank == 0) {
        fail(s"$what is a scalar, but the stage feeds it a batch of rows; expected a model input with a " +
          "leading batch dimension")
      }
      if (shape.rank - 1 != c.cellRank) {
        fail(s"$inputParam column '$column' has cells of rank ${c.cellRank} " +
          s"(${c.dataType.simpleString}), but $what expects cells of rank ${shape.rank - 1}")
      }
    }
    if (c.dtype == out.dtype) (Input(column, in, column, None), placeholder.name, None)
    else {
      // Cast into a temporary column: the user's column stays as it is in the output.
      val feed = s"__sparkdl_${stage.split(' ').last}_in$index"
      val source = col(quote(column))
      val element = TensorColumn.sparkType(out.dtype, 0)
      val (cast, target) = c.kind match {
        case CellKind.Vector => (vector_to_array(source, out.dtype.name), ArrayType(element, containsNull = false))
        case _ => val t = withElement(c.dataType, element); (source.cast(t), t)
      }
      (Input(column, in, feed, Some(cast.as(feed, schema(column).metadata))), placeholder.name, Some(target))
    }
  }

  /** Every placeholder the fetched outputs depend on must be fed by a mapped column. */
  private def checkFeedsCover(graph: Graph, fetched: Seq[Output], fedOps: Seq[String]): Unit = {
    val needed = graph.dependencies(fetched).filter(_.opType == "Placeholder").map(_.name)
    val missing = needed.filterNot(fedOps.contains).sorted
    if (missing.nonEmpty) {
      val byKey = model.signature.toSeq.flatMap(_.inputs.toSeq)
        .map { case (k, t) => t.name.takeWhile(_ != ':') -> k }.toMap
      val names = missing.map(op => byKey.get(op).fold(s"'$op'")(k => s"'$k' (tensor $op)"))
      fail(s"the model outputs of $outputParam (${sortedOutputs.map(o => s"'${o._1}'").mkString(", ")}) need " +
        s"model input(s) ${names.mkString(", ")}, which $inputParam does not feed; expected a column " +
        s"mapped to each (mapped: ${inputs.map { case (c, i) => s"$c -> $i" }.mkString(", ")})")
    }
  }

  private def fail(message: String): Nothing = throw new IllegalArgumentException(s"$stage: $message")

  private def shapeOf(out: Output): Shape = {
    val static = out.shape
    model.source.knownShapes.get(out.name).filter(s => !static.hasKnownRank && s.hasKnownRank).getOrElse(static)
  }

  private def expectedInputs(graph: Graph): String = model.signature match {
    case Some(s) =>
      s"one of signature '${s.key}' inputs: ${s.inputs.keys.toSeq.sorted.mkString(", ")} (or a placeholder tensor name)"
    case None => s"a placeholder of the graph: ${placeholders(graph).mkString(", ")}"
  }

  private def expectedOutputs(graph: Graph): String = model.signature match {
    case Some(s) =>
      s"one of signature '${s.key}' outputs: ${s.outputs.keys.toSeq.sorted.mkString(", ")} (or a tensor name)"
    case None => "a tensor of the graph ('op' or 'op:index')"
  }

  private def placeholders(graph: Graph): Seq[String] =
    graph.operations.filter(_.opType == "Placeholder").map(_.name).sorted

  private def isNumeric(d: DType): Boolean = ModelBinding.Numeric.contains(d)

  private def castable(c: TensorColumn, to: DType): Boolean = c.kind match {
    case CellKind.Vector => to == DType.Float32 || to == DType.Float64
    case CellKind.Scalar | CellKind.Array(_) =>
      // Any number to a float; only integers to an integer (no silent truncation).
      isNumeric(c.dtype) && isNumeric(to) &&
      (ModelBinding.Floats.contains(to) || !ModelBinding.Floats.contains(c.dtype))
    case _ => false
  }

  /** `t` with its (innermost) element type replaced, keeping each level's nullability. */
  private def withElement(t: DataType, element: DataType): DataType = t match {
    case ArrayType(inner, containsNull) => ArrayType(withElement(inner, element), containsNull)
    case _ => element
  }

  private def toVector(field: StructField): Column = {
    val c = col(quote(field.name))
    val doubles = field.dataType match {
      case _: ArrayType => c.cast(ArrayType(DoubleType, containsNull = false))
      case _ => array(c.cast(DoubleType))
    }
    array_to_vector(doubles).as(field.name)
  }

  private def quote(name: String): String = s"`${name.replace("`", "``")}`"
}

private[ml] object ModelBinding {

  /** One input column, cast first (into a temporary column) when its dtype is not the model's. */
  private final case class Input(column: String, modelInput: String, feedColumn: String, cast: Option[Column])

  /** The checked binding: the casts, the program and the appended fields. */
  private final case class Resolved(inputs: Seq[Input], program: GraphProgram, fields: Seq[StructField])

  private val Floats: Set[DType] = Set(DType.Float32, DType.Float64)
  private val Numeric: Set[DType] = Floats ++ Set(DType.Int8, DType.Int16, DType.Int32, DType.Int64)
}
