package io.sparkdl.model

import scala.util.control.NonFatal

import org.apache.spark.sql.types.{Metadata, StructField, StructType}

import io.sparkdl.tf.{DType, Graph, Output, Shape, TfException}

/** Whether placeholders take a block of rows (leading row dimension) or one row's cell. */
private[sparkdl] sealed trait FeedMode
private[sparkdl] object FeedMode {
  case object Block extends FeedMode
  case object Row extends FeedMode
}

/**
 * A placeholder and the column that feeds it: `dtype` is the placeholder's (column values are
 * converted to it as they are written, see [[CastPolicy]]), `cell` its shape for one row.
 */
private[sparkdl] final case class Feed(placeholder: String, column: TensorColumn, dtype: DType, cell: Shape)

/** A fetched tensor and the column it becomes. `cell` is its static shape for one row. */
private[sparkdl] final case class Fetch(tensor: String, column: String, dtype: DType, cell: Shape) {
  def field: StructField = StructField(column, TensorColumn.sparkType(dtype, cell.rank), nullable = false,
    ShapeMetadata.withCellShape(Metadata.empty, cell))
}

/**
 * A model bound to a DataFrame schema on the driver, before any data moves: every placeholder the
 * fetches need has a column whose values it may take ([[CastPolicy]]) in cells of a compatible
 * shape, every fetch exists with a known rank. The one binding resolver of map_blocks,
 * reductions, the ML stages and SQL functions; errors use the caller's [[BindingNames]].
 */
private[sparkdl] final case class Plan(
    @transient program: GraphProgram, // driver only: executors get the model by broadcast
    modelKey: String,
    mode: FeedMode,
    fetchMode: FeedMode,
    feeds: Seq[Feed],
    fetches: Seq[Fetch],
    names: BindingNames
) {
  def outputSchema: StructType = StructType(fetches.map(_.field))

  /** This plan over rows of `width` fields, feed i's column read at `ordinals(i)`: a plan node's
   * input rows after the optimizer pruned or reordered its child's columns. */
  def reading(ordinals: Seq[Int], width: Int): Plan = {
    require(ordinals.length == feeds.length, s"${feeds.length} feeds, ${ordinals.length} ordinals")
    copy(feeds = feeds.zip(ordinals).map { case (f, o) => f.copy(column = f.column.copy(index = o, rowWidth = width)) })
  }
}

private[sparkdl] object Plan {

  /**
   * Plans `program` over `schema`. `columnOf` names the column of each placeholder (default: the
   * program's feed dict, else the placeholder's own name). Fetches return blocks (`fetchMode`
   * Block) or single cells (Row: reductions). `graph` is the model's graph when the caller has
   * it open already (a stage checks its params against the same graph): one import per plan.
   */
  def apply(
      schema: StructType,
      program: GraphProgram,
      mode: FeedMode,
      names: BindingNames,
      columnOf: Option[String => String] = None,
      fetchMode: Option[FeedMode] = None,
      graph: Option[Graph] = None
  ): Plan = graph match {
    case Some(g) => resolve(g, schema, program, mode, names, columnOf, fetchMode.getOrElse(mode))
    case None =>
      program.model.withGraph(resolve(_, schema, program, mode, names, columnOf, fetchMode.getOrElse(mode)))
  }

  private def resolve(
      graph: Graph,
      schema: StructType,
      program: GraphProgram,
      mode: FeedMode,
      names: BindingNames,
      columnOf: Option[String => String],
      fetchMode: FeedMode
  ): Plan = {
    def fail(problem: String): Nothing = throw new IllegalArgumentException(names.error(problem))
    val source = program.model
    def describe(out: Output): String = s"(${out.dtype}${source.staticShape(out)})"
    val outputs = program.fetches.map { f =>
      try graph.output(f)
      catch {
        case e @ (_: TfException | _: IllegalArgumentException) =>
          fail(names.unknownOutput(f, graph, e.getMessage))
      }
    }
    val placeholderNames = BindingNames.placeholders(graph).toSet
    program.feedDict.keys.map(_.takeWhile(_ != ':')).filterNot(placeholderNames).toSeq.sorted
      .foreach(k => fail(names.unknownInput(k, graph)))
    val column = columnOf.getOrElse(program.columnFor _)
    // Only the placeholders the fetches depend on need a column.
    val placeholders = graph.dependencies(outputs).filter(_.opType == "Placeholder")
    val unfed = placeholders.filterNot(p => schema.fieldNames.contains(column(p.name)))
    if (unfed.nonEmpty) {
      fail(names.unfed(unfed.map(_.name), unfed.map(p => describe(p.output(0))), schema.fieldNames.toSeq))
    }
    val feeds = placeholders.map { p =>
      val out = p.output(0)
      val shape = source.staticShape(out)
      val what = s"${names.input(p.name)} ${describe(out)}"
      val columnName = column(p.name)
      val c =
        try TensorColumn(schema, columnName)
        catch {
          case NonFatal(e) =>
            val found = schema.find(_.name == columnName).map(_.dataType.simpleString).getOrElse("?")
            fail(s"${names.column(columnName)} has type $found, which cannot feed $what; expected a numeric " +
              "scalar, a (nested) numeric array or an ML vector" +
              (if (e.getMessage.contains("ambiguous")) s" (${e.getMessage})" else ""))
        }
      CastPolicy.reason(c, out.dtype).foreach { why =>
        fail(s"${names.column(columnName)} has type ${c.dataType.simpleString} (${c.dtype} values), which " +
          s"cannot feed $what; expected ${out.dtype} values or values castable to them: $why")
      }
      val cell = mode match {
        case FeedMode.Block if shape.hasKnownRank =>
          if (shape.rank == 0) {
            fail(s"$what is a scalar, but a block of rows feeds it; expected an input with a leading " +
              "row dimension (map_rows feeds one row at a time)")
          }
          shape.tail
        case _ => shape
      }
      if (cell.hasKnownRank && cell.rank != c.cellRank) {
        fail(s"${names.column(columnName)} has cells of rank ${c.cellRank} (${c.dataType.simpleString}), " +
          s"but $what expects cells of rank ${cell.rank}")
      }
      if (!cell.isCompatibleWith(c.cellShape)) {
        fail(s"${names.column(columnName)} has cells of shape ${c.cellShape}, which do not fit $what")
      }
      Feed(p.name, c, out.dtype, cell)
    }
    program.columnNames.groupBy(identity).collect { case (c, same) if same.size > 1 => c }.foreach { c =>
      fail(s"two fetches would both become column '$c'; give them distinct output names")
    }
    val fetches = outputs.zip(program.columnNames).map { case (out, columnName) =>
      val shape = source.staticShape(out)
      if (!shape.hasKnownRank) {
        fail(s"${names.output(out.name)} has an unknown rank; give it a static rank (e.g. tf.reshape " +
          "or set_shape) so its column type is known")
      }
      val cell = fetchMode match {
        case FeedMode.Block =>
          if (shape.rank == 0) {
            fail(s"${names.output(out.name)} is a scalar; outputs of a block need a leading row " +
              "dimension (reduce over blocks with reduce_blocks)")
          }
          shape.tail
        case FeedMode.Row => shape
      }
      Fetch(out.name, columnName, out.dtype, cell)
    }
    Plan(program, program.modelKey, mode, fetchMode, feeds, fetches, names)
  }

  /** The tensor name `name` means, checked to be a placeholder's output 0. */
  def placeholderOf(graph: Graph, tensor: String): Option[String] =
    scala.util.Try(Output.parseName(tensor)).toOption
      .filter(_._2 == 0)
      .flatMap(p => graph.operation(p._1))
      .filter(_.opType == "Placeholder")
      .map(_.name)
}
