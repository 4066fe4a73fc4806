package io.sparkdl.tensorframes

import scala.util.Using

import org.apache.spark.ml.functions.vector_to_array
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.{Column, DataFrame, RelationalGroupedDataset, Row}
import org.apache.spark.sql.catalyst.{CatalystTypeConverters, InternalRow}
import org.apache.spark.sql.catalyst.expressions.{BoundReference, JoinedRow, UnsafeProjection}
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.sparkdl.DataFrameShim
import org.apache.spark.sql.types.StructType

import io.sparkdl.tf.{DType, Graph, Output, Shape}

/**
 * TensorFrames: TensorFlow graphs over DataFrame columns. Placeholders are fed from the columns
 * named after them (or through `feedDict`), fetched tensors come back as columns named after
 * their ops. `map*` are lazy; `reduce*` are actions; `aggregate` is lazy.
 */
object TensorFrames {
  val DefaultBlockSize = 1024

  /** TF threads per session: None means the task's cores (intra-op) and 1 (inter-op). */
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
    val plan = Plan(df.schema, program, FeedMode.Block, "map_blocks")
    if (!trim) checkNoClash(df.schema, plan, "map_blocks")
    val mapper = new BlockMapper(shipper(df, program, threads)(plan), trim, blockSize, handleInvalid)
    val schema = if (trim) plan.outputSchema else StructType(df.schema.fields ++ plan.outputSchema.fields)
    DataFrameShim.createDataFrame(df, DeferredRDD.rows(df).mapPartitions(mapper), schema)
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
    val plan = Plan(df.schema, program, FeedMode.Row, "map_rows")
    checkNoClash(df.schema, plan, "map_rows")
    val mapper = new RowMapper(shipper(df, program, threads)(plan), handleInvalid)
    val schema = StructType(df.schema.fields ++ plan.outputSchema.fields)
    DataFrameShim.createDataFrame(df, DeferredRDD.rows(df).mapPartitions(mapper), schema)
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
      val first = Plan(input.schema, program, FeedMode.Block, "aggregate", ReducePlans.blockColumnOf("aggregate"), FeedMode.Row)
      val schema = ReducePlans.partialSchema(first, "aggregate")
      Plan(schema, program, FeedMode.Block, "aggregate", ReducePlans.blockColumnOf("aggregate"), FeedMode.Row)
    }
    val outputSchema = StructType(keySchema.fields ++ partialPlan.outputSchema.fields)

    val ship = shipper(df, program, threads) // one model broadcast for both phases
    def phase(in: DataFrame): DataFrame = {
      val sorted = in.sortWithinPartitions(keyNames.map(n => col(quote(n))): _*)
      val plan = Plan(sorted.schema, program, FeedMode.Block, "aggregate", ReducePlans.blockColumnOf("aggregate"), FeedMode.Row)
      val reducer = new GroupReducer(ship(plan), ship(partialPlan), keySchema, blockSize)
      DataFrameShim.createDataFrame(in, DeferredRDD.rows(sorted).mapPartitions(reducer), outputSchema)
    }
    // Partial results per partition and key, then one per key after a shuffle of the partials.
    phase(phase(input).repartition(keyNames.map(n => col(quote(n))): _*))
  }

  // ---- shapes ------------------------------------------------------------------------------

  /**
   * One pass over the data that records each tensor column's cell shape in its metadata
   * (dimensions that vary between rows stay unknown). Scalars get `[?]`.
   */
  def analyze(df: DataFrame): DataFrame = {
    val columns = df.schema.fieldNames.toSeq.flatMap(n => scala.util.Try(TensorColumn(df.schema, n)).toOption)
    val shapes = Analysis.cellShapes(DeferredRDD.rows(df), columns)
    val byName = columns.map(_.name).zip(shapes).toMap
    df.select(df.schema.fields.toIndexedSeq.map { f =>
      byName.get(f.name) match {
        case Some(shape) => col(quote(f.name)).as(f.name, ShapeMetadata.withCellShape(f.metadata, shape))
        case None => col(quote(f.name))
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
    df.withColumn(column, col(quote(column)).as(column, ShapeMetadata.withCellShape(field.metadata, shape.tail)))
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

  /**
   * Ships plans over `program`: its model is broadcast once, however many plans run it. Shipped
   * plans go in tasks' closures: they hold the model's key and broadcast, never its bytes (in a
   * closure, a 1 MB graph would be deserialized again by every task, ~2 ms each).
   */
  private def shipper(df: DataFrame, program: GraphProgram, threads: Threads): Plan => ShippedPlan = {
    val model = df.sparkSession.sparkContext.broadcast(program.model)
    plan => ShippedPlan(plan, model, threads.intraOp, threads.interOp)
  }

  private def checkNoClash(schema: StructType, plan: Plan, op: String): Unit =
    plan.fetches.map(_.column).filter(schema.fieldNames.contains).foreach { c =>
      throw new IllegalArgumentException(
        s"$op: output column '$c' already exists; rename the fetch's op or drop the column"
      )
    }

  private def columnName(fetch: String): String = fetch.takeWhile(_ != ':')
  private def quote(name: String): String = s"`${name.replace("`", "``")}`"
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
      val column = if (c.kind == CellKind.Vector) vector_to_array(col(quote(name))) else col(quote(name))
      column.as(name, df.schema(name).metadata)
    }

  private final case class Reduced(row: InternalRow, schema: StructType, plan: Plan)

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
    val plan = Plan(input.schema, program, FeedMode.Block, op, ReducePlans.blockColumnOf(op), FeedMode.Row)
    val partialSchema = ReducePlans.partialSchema(plan, op)
    val partialPlan = Plan(partialSchema, program, FeedMode.Block, op, ReducePlans.blockColumnOf(op), FeedMode.Row)
    val ship = shipper(df, program, threads)
    val inShip = ship(plan)
    val partialShip = ship(partialPlan)
    val partials = DeferredRDD.rows(input).mapPartitions { rows =>
      val reducer = new StreamReducer(inShip, partialShip, blockSize)
      reducer.start()
      rows.foreach(reducer.add(_, op))
      reducer.finish().iterator
    }.collect()
    if (partials.isEmpty) throw new IllegalArgumentException(s"$op: the DataFrame has no rows to reduce")
    Using.resource(new StreamReducer(partialShip, partialShip, blockSize)) { driver =>
      driver.start()
      partials.foreach(driver.add(_, op))
      Reduced(driver.finish().get, partialSchema, partialPlan)
    }
  }

  private def reduceRowsInternal(df: DataFrame, graphDef: Array[Byte], fetches: Seq[String], threads: Threads): Reduced = {
    val op = "reduce_rows"
    val program = GraphProgram(graphDef, fetches)
    val input = df.select(reduceInput(df, program, op): _*)
    val plan = Plan(input.schema, program, FeedMode.Row, op, ReducePlans.pairColumnOf(op), FeedMode.Row)
    val schema = ReducePlans.partialSchema(plan, op)
    val shipped = shipper(df, program, threads)(plan)
    val partials = DeferredRDD.rows(input).mapPartitions(rows => new PairFolder(shipped).fold(rows, op).iterator).collect()
    if (partials.isEmpty) throw new IllegalArgumentException(s"$op: the DataFrame has no rows to reduce")
    Reduced(new PairFolder(shipped).fold(partials.iterator, op, release = true).get, schema, plan)
  }

  private def toRow(r: Reduced): Row =
    CatalystTypeConverters.createToScalaConverter(r.schema)(r.row).asInstanceOf[Row]

  private def toTensors(r: Reduced): Seq[TensorValue] =
    r.schema.fields.indices.map(i => TensorValue.fromCell(r.row, i, r.schema, r.plan.fetches(i).dtype))
}

/** Folds rows pairwise with a reduce_rows graph: acc = graph(acc, row). */
private[sparkdl] final class PairFolder(shipped: ShippedPlan) {
  private val fetches = shipped.plan.fetches
  private val feeds = shipped.plan.feeds

  /** The fold of `rows`; `release` frees the session at the end (on the driver, with no task). */
  def fold(rows: Iterator[InternalRow], op: String, release: Boolean = false): Option[InternalRow] = {
    if (!rows.hasNext) return None
    val runner = new ModelRunner(shipped)
    try foldWith(runner, rows, op) finally if (release) runner.close()
  }

  private def foldWith(runner: ModelRunner, rows: Iterator[InternalRow], op: String): Option[InternalRow] = {
    val out = new org.apache.spark.sql.catalyst.expressions.SpecificInternalRow(fetches.map(_.field.dataType))
    val project = UnsafeProjection.create(shipped.plan.outputSchema)
    var acc: InternalRow = rows.next().copy()
    val cells = new Array[InternalRow](feeds.length)
    while (rows.hasNext) {
      val row = rows.next()
      var i = 0
      while (i < feeds.length) { cells(i) = if (feeds(i).placeholder.endsWith("_1")) acc else row; i += 1 }
      runner.checkCells(cells).foreach(problem => HandleInvalid.fail(op, problem))
      val tensors = runner.runCells(cells)
      try {
        var j = 0
        while (j < tensors.length) { new TensorReader(tensors(j), leading = false).read(0, out, j); j += 1 }
        acc = project(out).copy()
      } finally tensors.foreach(_.close())
    }
    Some(acc)
  }
}

/** Reduces sorted rows group by group: keys first, then the fetch columns' partial results. */
private[sparkdl] final class GroupReducer(
    input: ShippedPlan, // the plan over the input rows
    partial: ShippedPlan, // the plan over partial results
    keySchema: StructType,
    blockSize: Int
) extends PartitionFunction {

  def apply(rows: Iterator[InternalRow]): Iterator[InternalRow] = {
    val keyProject = UnsafeProjection.create(keySchema.fields.toSeq.zipWithIndex.map { case (f, i) =>
      BoundReference(i, f.dataType, f.nullable)
    })
    val joined = new JoinedRow()
    lazy val reducer = new StreamReducer(input, partial, blockSize)
    new Iterator[InternalRow] {
      private var pending: InternalRow = if (rows.hasNext) rows.next() else null
      override def hasNext: Boolean = pending != null
      override def next(): InternalRow = {
        val key = keyProject(pending).copy()
        reducer.start()
        while (pending != null && keyProject(pending) == key) {
          reducer.add(pending, "aggregate")
          pending = if (rows.hasNext) rows.next() else null
        }
        joined(key, reducer.finish().get) // the DataFrame over these rows projects them
      }
    }
  }
}

/** Analysis: the cell shape of each column over all rows. */
private[sparkdl] object Analysis {
  def cellShapes(rows: RDD[InternalRow], columns: Seq[TensorColumn]): Seq[Shape] = {
    val ranks = columns.map(_.cellRank)
    val perPartition = rows.mapPartitions { it =>
      val merged = new Array[Array[Long]](columns.length)
      it.foreach { row =>
        columns.indices.foreach { i =>
          if (!row.isNullAt(columns(i).index)) {
            val dims = Analysis.dims(row, columns(i))
            merged(i) = if (merged(i) == null) dims else merge(merged(i), dims)
          }
        }
      }
      Iterator(merged)
    }
    val all = perPartition.collect()
    columns.indices.map { i =>
      val known = all.map(_(i)).filter(_ != null)
      if (known.isEmpty) Shape.of(Array.fill(ranks(i))(-1L)) else Shape.of(known.reduce(merge))
    }
  }

  private def merge(a: Array[Long], b: Array[Long]): Array[Long] =
    a.indices.map(i => if (a(i) == b(i)) a(i) else -1L).toArray

  private def dims(row: InternalRow, c: TensorColumn): Array[Long] = c.kind match {
    case CellKind.Scalar | CellKind.Bytes => Array.emptyLongArray
    case CellKind.Vector =>
      val v = row.getStruct(c.index, 4)
      Array(if (v.getByte(0) == 0) v.getInt(1).toLong else v.getArray(3).numElements().toLong)
    case CellKind.Array(depth) =>
      val out = Array.fill(depth)(-1L)
      var level = row.getArray(c.index)
      var d = 0
      var ragged = false
      while (d < depth && level != null) {
        out(d) = level.numElements()
        if (d + 1 < depth) {
          // Nested levels are known only when every sibling agrees.
          val lengths = (0 until level.numElements()).map(i => if (level.isNullAt(i)) -1 else level.getArray(i).numElements())
          if (lengths.distinct.size > 1) ragged = true
          level = if (level.numElements() > 0 && !level.isNullAt(0)) level.getArray(0) else null
        }
        d += 1
        if (ragged) { (d until depth).foreach(out(_) = -2L); d = depth }
      }
      out.map(x => if (x == -2L) -1L else x)
  }
}
