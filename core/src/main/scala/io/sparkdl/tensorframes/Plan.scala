package io.sparkdl.tensorframes

import org.apache.spark.sql.types.{StructField, StructType}

import io.sparkdl.tf.{DType, Output, Shape}

/** Whether placeholders take a block of rows (leading row dimension) or one row's cell. */
private[sparkdl] sealed trait FeedMode
private[sparkdl] object FeedMode {
  case object Block extends FeedMode
  case object Row extends FeedMode
}

/** A placeholder and the column that feeds it. `cell` is the placeholder's shape for one row. */
private[sparkdl] final case class Feed(placeholder: String, column: TensorColumn, cell: Shape)

/** A fetched tensor and the column it becomes. `cell` is its static shape for one row. */
private[sparkdl] final case class Fetch(tensor: String, column: String, dtype: DType, cell: Shape) {
  def field: StructField = StructField(column, TensorColumn.sparkType(dtype, cell.rank), nullable = false,
    ShapeMetadata.withCellShape(org.apache.spark.sql.types.Metadata.empty, cell))
}

/**
 * A graph checked against a DataFrame schema on the driver, before any data moves: every
 * placeholder has a column of its dtype and a compatible shape, every fetch exists with a known
 * rank. Errors name the placeholder, the column, what was expected and what was found.
 */
private[sparkdl] final case class Plan(
    @transient program: GraphProgram, // driver only: executors get the model by broadcast
    modelKey: String,
    mode: FeedMode,
    feeds: Seq[Feed],
    fetches: Seq[Fetch]
) {
  def outputSchema: StructType = StructType(fetches.map(_.field))
}

private[sparkdl] object Plan {

  def apply(schema: StructType, program: GraphProgram, mode: FeedMode, op: String): Plan =
    apply(schema, program, mode, op, p => program.columnFor(p), mode)

  /**
   * Plans `program` over `schema`; `columnOf` names the column of each placeholder. Fetches
   * return blocks (`fetchMode` Block) or single cells (Row: reductions).
   */
  def apply(
      schema: StructType,
      program: GraphProgram,
      mode: FeedMode,
      op: String,
      columnOf: String => String,
      fetchMode: FeedMode
  ): Plan = program.model.withGraph { graph =>
    val outputs = program.fetches.map(graph.output)
    val knownShapes = program.model.knownShapes
    // A SavedModel's signature may know a shape the graph cannot infer (TF2 function calls).
    def shapeOf(out: Output): Shape = {
      val static = out.shape
      knownShapes.get(out.name).filter(s => !static.hasKnownRank && s.hasKnownRank).getOrElse(static)
    }
    val names = graph.operations.filter(_.opType == "Placeholder").map(_.name).toSet
    // Only the placeholders the fetches depend on need a column.
    val placeholders = graph.dependencies(outputs).filter(_.opType == "Placeholder")
    program.feedDict.keys.map(_.takeWhile(_ != ':')).filterNot(names).foreach { k =>
      throw new IllegalArgumentException(
        s"$op: feed_dict names '$k', which is not a placeholder of the graph; its placeholders: " +
          names.toSeq.sorted.mkString(", ")
      )
    }
    val feeds = placeholders.map { p =>
      val out = p.output(0)
      val outShape = shapeOf(out)
      val columnName = columnOf(p.name)
      if (!schema.fieldNames.contains(columnName)) {
        throw new IllegalArgumentException(
          s"$op: placeholder '${p.name}' (${out.dtype}${outShape}) matches no column; the " +
            s"DataFrame's columns are ${schema.fieldNames.mkString(", ")}. Name a column after the " +
            "placeholder or map it with feed_dict."
        )
      }
      val column = TensorColumn(schema, columnName)
      if (column.dtype != out.dtype) {
        throw new IllegalArgumentException(
          s"$op: column ${column.describe} feeds placeholder '${p.name}' of dtype ${out.dtype}; " +
            s"expected a column of ${out.dtype} values (cast the column or the placeholder)"
        )
      }
      val cell = mode match {
        case FeedMode.Block if outShape.hasKnownRank =>
          if (outShape.rank == 0) {
            throw new IllegalArgumentException(
              s"$op: placeholder '${p.name}' is a scalar, but a block placeholder needs a leading " +
                "row dimension (use map_rows for one row at a time)"
            )
          }
          outShape.tail
        case _ => outShape
      }
      if (cell.hasKnownRank && cell.rank != column.cellRank) {
        throw new IllegalArgumentException(
          s"$op: column ${column.describe} has cells of rank ${column.cellRank}, but placeholder " +
            s"'${p.name}' has shape ${outShape}, expecting cells of rank ${cell.rank}"
        )
      }
      if (!cell.isCompatibleWith(column.cellShape)) {
        throw new IllegalArgumentException(
          s"$op: column ${column.describe} does not fit placeholder '${p.name}' of shape ${outShape}"
        )
      }
      Feed(p.name, column, cell)
    }
    program.columnNames.groupBy(identity).collect { case (c, same) if same.size > 1 => c }.foreach { c =>
      throw new IllegalArgumentException(
        s"$op: two fetches would both become column '$c'; give them distinct output names"
      )
    }
    val fetches = outputs.zip(program.columnNames).map { case (out, columnName) =>
      val dtype = out.dtype
      val outShape = shapeOf(out)
      if (!outShape.hasKnownRank) {
        throw new IllegalArgumentException(
          s"$op: fetch '${out.name}' has an unknown rank; give it a static rank (e.g. tf.reshape " +
            "or set_shape) so its column type is known"
        )
      }
      val cell = fetchMode match {
        case FeedMode.Block =>
          if (outShape.rank == 0) {
            throw new IllegalArgumentException(
              s"$op: fetch '${out.name}' is a scalar; map_blocks fetches need a leading row " +
                "dimension (reduce over blocks with reduce_blocks)"
            )
          }
          outShape.tail
        case FeedMode.Row => outShape
      }
      Fetch(out.name, columnName, dtype, cell)
    }
    Plan(program, program.modelKey, mode, feeds, fetches)
  }
}
