package io.sparkdl.tensorframes

import scala.util.Using

import org.apache.spark.broadcast.Broadcast

import org.apache.spark.ml.functions.vector_to_array
import org.apache.spark.sql.{Column, DataFrame, RelationalGroupedDataset, Row}
import org.apache.spark.sql.catalyst.{CatalystTypeConverters, InternalRow}
import org.apache.spark.sql.catalyst.expressions.AttributeReference
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.sparkdl.DataFrameShim
import org.apache.spark.sql.types.StructType

import io.sparkdl.model.{BindingNames, CellKind, ColumnNames, FeedMode, GraphProgram, ModelSource, Plan, ShapeMetadata, TensorColumn}
import io.sparkdl.execution.{ModelMap, ModelMapSpec, ModelPartitions, ModelPartitionsSpec, SparkdlPlanner}
import io.sparkdl.runtime.{ComputeMode, HandleInvalid, JobDescription, ModelShipment, ShippedPlan}
import io.sparkdl.tf.{DType, Graph, Output, Shape}

/**
 * TensorFrames: TensorFlow graphs over DataFrame columns. Placeholders are fed from the columns
 * named after them (or through `feedDict`), fetched tensors come back as columns named after
 * their ops. `map*` are lazy; `reduce*` are actions; `aggregate` is lazy.
 */
object TensorFrames {
  val DefaultBlockSize = 1024

  /** TF threads per session: None means the task's cores (intra-op), and for inter-op TF's -1:
   * each run executes its ops on the task's own thread. */
  final case class Threads(intraOp: Option[Int] = None, interOp: Option[Int] = None)

  // ---- map ---------------------------------------------------------------------------------

  /**
   * Runs the graph over blocks of at most `blockSize` rows; each fetch becomes a column. With
   * `trim`, only the fetched columns are returned and their row count may differ from the input's.
   */
  def mapBlocks(
      df: DataFrame,
      program: GraphProgram,
      trim: Boolean = false,
      blockSize: Int = DefaultBlockSize,
      handleInvalid: String = HandleInvalid.Error,
      threads: Threads = Threads()
  ): DataFrame = {
    require(blockSize > 0, s"blockSize must be positive, got $blockSize")
    HandleInvalid.check(handleInvalid)
    mapPlanned(df, mapPlan(df.schema, program, FeedMode.Block, trim), trim, blockSize, handleInvalid, threads)
  }

  /** The plan map_blocks (`FeedMode.Block`) or map_rows binds over `schema`, checked as they
   * check it; the pandas path binds through it too, so both take the same columns. */
  private[sparkdl] def mapPlan(schema: StructType, program: GraphProgram, mode: FeedMode, trim: Boolean): Plan = {
    val op = if (mode == FeedMode.Block) "map_blocks" else "map_rows"
    val plan = Plan(schema, program, mode, BindingNames.of(op))
    if (!trim) checkNoClash(schema, plan, op)
    plan
  }

  /** [[mapBlocks]] (or, for a row plan, [[mapRows]]) of a plan made over `df`'s schema (by an ML
   * stage, say): no planning again. */
  private[sparkdl] def mapPlanned(
      df: DataFrame,
      plan: Plan,
      trim: Boolean,
      blockSize: Int,
      handleInvalid: String,
      threads: Threads = Threads(),
      operation: String = "map_blocks",
      compute: Option[ComputeMode] = None
  ): DataFrame = {
    val outputs = plan.outputSchema.fields.map(f => f.copy(nullable = handleInvalid == HandleInvalid.Keep))
    val session = df.sparkSession
    SparkdlPlanner.install(session)
    val child = DataFrameShim.analyzedPlan(df)
    val spec = ModelMapSpec(operation, plan, new ModelShipment(plan.program.model),
      compute.getOrElse(ComputeMode.resolve(session)), trim, blockSize, handleInvalid, threads.intraOp,
      threads.interOp)
    val inputs = plan.feeds.map(f => child.output(f.column.index))
    val results = outputs.map(f => AttributeReference(f.name, f.dataType, f.nullable, f.metadata)())
    DataFrameShim.ofPlan(df, ModelMap(spec, inputs, results.toSeq, child))
  }

  /** [[mapBlocks]] over a graph built in Scala: its GraphDef, fetching `fetches`. */
  def mapBlocks(df: DataFrame, fetches: Seq[Output]): DataFrame = mapBlocks(df, programOf(fetches))

  def mapBlocks(df: DataFrame, fetches: Seq[Output], trim: Boolean): DataFrame =
    mapBlocks(df, programOf(fetches), trim)

  /** Runs the graph once per row, placeholders taking one cell each (cells may be ragged). */
  def mapRows(
      df: DataFrame,
      program: GraphProgram,
      handleInvalid: String = HandleInvalid.Error,
      threads: Threads = Threads()
  ): DataFrame = {
    HandleInvalid.check(handleInvalid)
    val plan = mapPlan(df.schema, program, FeedMode.Row, trim = false)
    mapPlanned(df, plan, trim = false, blockSize = 1, handleInvalid, threads, "map_rows") // a block per row
  }

  def mapRows(df: DataFrame, fetches: Seq[Output]): DataFrame = mapRows(df, programOf(fetches))

  // ---- reduce ------------------------------------------------------------------------------

  /**
   * Reduces the whole DataFrame: fetch `x` reads placeholder `x_input` (a block of column `x`
   * with a leading row dimension) and returns one cell. Blocks, then partitions, then the
   * partitions' results are reduced with the same graph. Returns one value per fetch.
   */
  def reduceBlocks(
      df: DataFrame,
      graphDef: Array[Byte],
      fetches: Seq[String],
      blockSize: Int = DefaultBlockSize,
      threads: Threads = Threads()
  ): Row = toRow(reduceBlocksInternal(df, graphDef, fetches, blockSize, threads))

  /** [[reduceBlocks]] with each result as a tensor value (dtype, shape and contents). */
  def reduceBlocksTensors(
      df: DataFrame,
      graphDef: Array[Byte],
      fetches: Seq[String],
      blockSize: Int = DefaultBlockSize,
      threads: Threads = Threads()
  ): Seq[TensorValue] = toTensors(reduceBlocksInternal(df, graphDef, fetches, blockSize, threads))

  def reduceBlocks(df: DataFrame, fetches: Seq[Output]): Row =
    reduceBlocks(df, programOf(fetches).model.graphDef, fetches.map(_.op.name))

  /**
   * Reduces the whole DataFrame pairwise: fetch `x` combines placeholders `x_1` and `x_2` (two
   * cells of column `x`) into one cell. Returns one value per fetch.
   */
  def reduceRows(df: DataFrame, graphDef: Array[Byte], fetches: Seq[String], threads: Threads = Threads()): Row =
    toRow(reduceRowsInternal(df, graphDef, fetches, threads))

  def reduceRowsTensors(
      df: DataFrame,
      graphDef: Array[Byte],
      fetches: Seq[String],
      threads: Threads = Threads()
  ): Seq[TensorValue] = toTensors(reduceRowsInternal(df, graphDef, fetches, threads))

  def reduceRows(df: DataFrame, fetches: Seq[Output]): Row =
    reduceRows(df, programOf(fetches).model.graphDef, fetches.map(_.op.name))

  /**
   * The reduce_blocks convention per group of `grouped`: the result has the grouping columns and
   * one column per fetch. Groups are reduced in blocks within each partition first, then across
   * partitions, so no group is ever collected in memory, however large or skewed.
   */
  def aggregate(
      grouped: RelationalGroupedDataset,
      graphDef: Array[Byte],
      fetches: Seq[String],
      blockSize: Int = DefaultBlockSize,
      threads: Threads = Threads()
  ): DataFrame = {
    val (df, keys) = DataFrameShim.groupedData(grouped)
    val keyNames = keys.map(_._2)
    fetches.map(columnName).filter(keyNames.contains).foreach { c =>
      throw new IllegalArgumentException(s"aggregate: fetch '$c' has the name of a grouping column")
    }
    val program = GraphProgram(graphDef, fetches)
    val values = reduceInput(df, program, "aggregate")
    val input = df.select(keys.map { case (c, n) => c.as(n) } ++ values: _*)
    val keySchema = StructType(input.schema.fields.take(keys.length))
    val partialPlan = {
      val first = ReducePlans.blocks(input.schema, program, "aggregate")
      ReducePlans.blocks(ReducePlans.partialSchema(first, "aggregate"), program, "aggregate")
    }
    val outputSchema = StructType(keySchema.fields ++ partialPlan.outputSchema.fields)

    val shipment = new ModelShipment(program.model) // one model broadcast for both phases
    val compute = ComputeMode.resolve(df.sparkSession)
    val name = describe("aggregate", fetches, program)
    def phase(in: DataFrame): DataFrame = {
      val sorted = in.sortWithinPartitions(keyNames.map(n => col(ColumnNames.quote(n))): _*)
      val plan = ReducePlans.blocks(sorted.schema, program, "aggregate")
      val reduce: Broadcast[ModelSource] => (Iterator[InternalRow] => Iterator[InternalRow]) = { model =>
        val ship = shipper(model, compute, threads)
        new GroupReducer(ship(plan), ship(partialPlan), keySchema, blockSize)
      }
      val spec = ModelPartitionsSpec(name, s"$name, grouped by ${keyNames.mkString(", ")}, blockSize $blockSize",
        shipment, reduce)
      val child = DataFrameShim.analyzedPlan(sorted)
      val output = outputSchema.fields.map(f => AttributeReference(f.name, f.dataType, f.nullable, f.metadata)())
      DataFrameShim.ofPlan(sorted, ModelPartitions(spec, child.output, output.toSeq, child))
    }
    SparkdlPlanner.install(df.sparkSession)
    // Partial results per partition and key, then one per key after a shuffle of the partials.
    phase(phase(input).repartition(keyNames.map(n => col(ColumnNames.quote(n))): _*))
  }

  // ---- shapes ------------------------------------------------------------------------------

  /**
   * One pass over the data that records each tensor column's cell shape in its metadata
   * (dimensions that vary between rows stay unknown). Scalars get `[?]`.
   */
  def analyze(df: DataFrame): DataFrame = {
    val columns = df.schema.fieldNames.toSeq.flatMap(n => scala.util.Try(TensorColumn(df.schema, n)).toOption)
    val shapes = JobDescription(df.sparkSession.sparkContext, s"analyze: cell shapes of ${columns.map(_.name).mkString(", ")}") {
      Analysis.cellShapes(DataFrameShim.planRows(df), columns)
    }
    val byName = columns.map(_.name).zip(shapes).toMap
    df.select(df.schema.fields.toIndexedSeq.map { f =>
      byName.get(f.name) match {
        case Some(shape) => col(ColumnNames.quote(f.name)).as(f.name, ShapeMetadata.withCellShape(f.metadata, shape))
        case None => col(ColumnNames.quote(f.name))
      }
    }: _*)
  }

  /** Records the block shape of `column` by hand: `shape` includes the leading row dimension. */
  def appendShape(df: DataFrame, column: String, shape: Shape): DataFrame = {
    val c = TensorColumn(df.schema, column)
    if (shape.rank != c.cellRank + 1) {
      throw new IllegalArgumentException(
        s"append_shape: column ${c.describe} needs a block shape of rank ${c.cellRank + 1}, got $shape"
      )
    }
    val field = df.schema(column)
    df.withColumn(column, col(ColumnNames.quote(column)).as(column, ShapeMetadata.withCellShape(field.metadata, shape.tail)))
  }

  /** The schema with each tensor column's dtype and block shape, e.g. `y: array<double> double[?,2]`. */
  def explain(df: DataFrame): String = df.schema.fields.map { f =>
    scala.util.Try(TensorColumn(df.schema, f.name)).toOption match {
      case Some(c) => s"${f.name}: ${f.dataType.simpleString} ${tfTypeName(c.dtype)}${c.blockShape}"
      case None => s"${f.name}: ${f.dataType.simpleString}"
    }
  }.mkString("\n")

  def printSchema(df: DataFrame): Unit = println(explain(df))

  // ---- building graphs in Scala ------------------------------------------------------------

  /** A placeholder in `graph` for a block of `column`: its dtype, shape `[?] ++ cell`. */
  def block(graph: Graph, df: DataFrame, column: String, tfName: String = null): Output = {
    val c = TensorColumn(df.schema, column)
    placeholder(graph, Option(tfName).getOrElse(column), c.dtype, c.blockShape)
  }

  /** A placeholder in `graph` for one cell of `column`. */
  def row(graph: Graph, df: DataFrame, column: String, tfName: String = null): Output = {
    val c = TensorColumn(df.schema, column)
    placeholder(graph, Option(tfName).getOrElse(column), c.dtype, c.cellShape)
  }

  private def placeholder(graph: Graph, name: String, dtype: DType, shape: Shape): Output =
    graph.opBuilder("Placeholder", name).setAttr("dtype", dtype).setAttr("shape", shape).build().output(0)

  // ---- internals ---------------------------------------------------------------------------

  private def programOf(fetches: Seq[Output]): GraphProgram = {
    require(fetches.nonEmpty, "at least one fetch is needed")
    GraphProgram(fetches.head.op.graph.toGraphDef, fetches.map(_.name), fetches.map(_.op.name))
  }

  /** Ships plans over one broadcast model: tasks get the plans with the broadcast, never its bytes. */
  private def shipper(model: Broadcast[ModelSource], compute: ComputeMode, threads: Threads): Plan => ShippedPlan =
    plan => ShippedPlan(plan, model, compute, threads.intraOp, threads.interOp)

  /** [[shipper]] for an action run now: `program`'s model broadcast once for all its plans. */
  private def shipperNow(df: DataFrame, program: GraphProgram, threads: Threads): Plan => ShippedPlan =
    shipper(new ModelShipment(program.model).broadcast(df.sparkSession.sparkContext),
      ComputeMode.resolve(df.sparkSession), threads)

  private def checkNoClash(schema: StructType, plan: Plan, op: String): Unit =
    plan.fetches.map(_.column).filter(schema.fieldNames.contains).foreach { c =>
      throw new IllegalArgumentException(
        s"$op: output column '$c' already exists; rename the output (its key in the function's " +
          "dict, or the fetch's op) or drop the column"
      )
    }

  private def columnName(fetch: String): String = fetch.takeWhile(_ != ':')
  private def tfTypeName(d: DType): String = d match {
    case DType.Float32 => "float"
    case DType.Float64 => "double"
    case other => other.name
  }

  /** The fetch columns of `df` in fetch order, vectors as float64 arrays (as reductions return). */
  private def reduceInput(df: DataFrame, program: GraphProgram, op: String): Seq[Column] =
    program.columnNames.map { name =>
      if (!df.schema.fieldNames.contains(name)) {
        throw new IllegalArgumentException(
          s"$op: fetch '$name' reduces column '$name' (through placeholder '${name}_input', or " +
            s"'${name}_1'/'${name}_2' for reduce_rows), which the DataFrame lacks; its columns: " +
            df.schema.fieldNames.mkString(", ")
        )
      }
      val c = TensorColumn(df.schema, name)
      val column = if (c.kind == CellKind.Vector) vector_to_array(col(ColumnNames.quote(name))) else col(ColumnNames.quote(name))
      column.as(name, df.schema(name).metadata)
    }

  private final case class Reduced(row: InternalRow, schema: StructType, plan: Plan)

  private def describe(op: String, fetches: Seq[String], program: GraphProgram): String =
    s"$op: ${fetches.mkString(", ")} from ${program.model.describe}"

  private def reduceBlocksInternal(
      df: DataFrame,
      graphDef: Array[Byte],
      fetches: Seq[String],
      blockSize: Int,
      threads: Threads
  ): Reduced = {
    require(blockSize > 0, s"blockSize must be positive, got $blockSize")
    val op = "reduce_blocks"
    val program = GraphProgram(graphDef, fetches)
    val input = df.select(reduceInput(df, program, op): _*)
    val plan = ReducePlans.blocks(input.schema, program, op)
    val partialSchema = ReducePlans.partialSchema(plan, op)
    val partialPlan = ReducePlans.blocks(partialSchema, program, op)
    val ship = shipperNow(df, program, threads)
    val inShip = ship(plan)
    val partialShip = ship(partialPlan)
    val partials = JobDescription(df.sparkSession.sparkContext, describe(op, fetches, program)) {
      DataFrameShim.planRows(input).mapPartitions(new PartitionReducer(inShip, partialShip, blockSize)).collect()
    }
    if (partials.isEmpty) throw new IllegalArgumentException(s"$op: the DataFrame has no rows to reduce")
    Using.resource(new StreamReducer(partialShip, partialShip, blockSize)) { driver =>
      driver.start()
      partials.foreach(driver.add)
      Reduced(driver.finish().get, partialSchema, partialPlan)
    }
  }

  private def reduceRowsInternal(df: DataFrame, graphDef: Array[Byte], fetches: Seq[String], threads: Threads): Reduced = {
    val op = "reduce_rows"
    val program = GraphProgram(graphDef, fetches)
    val input = df.select(reduceInput(df, program, op): _*)
    val plan = ReducePlans.pairs(input.schema, program, op)
    val schema = ReducePlans.partialSchema(plan, op)
    val shipped = shipperNow(df, program, threads)(plan)
    val partials = JobDescription(df.sparkSession.sparkContext, describe(op, fetches, program)) {
      DataFrameShim.planRows(input).mapPartitions(new PartitionFolder(shipped)).collect()
    }
    if (partials.isEmpty) throw new IllegalArgumentException(s"$op: the DataFrame has no rows to reduce")
    Reduced(new PairFolder(shipped).fold(partials.iterator, release = true).get, schema, plan)
  }

  private def toRow(r: Reduced): Row =
    CatalystTypeConverters.createToScalaConverter(r.schema)(r.row).asInstanceOf[Row]

  private def toTensors(r: Reduced): Seq[TensorValue] =
    r.schema.fields.indices.map(i => TensorValue.fromCell(r.row, i, r.schema, r.plan.fetches(i).dtype))
}
