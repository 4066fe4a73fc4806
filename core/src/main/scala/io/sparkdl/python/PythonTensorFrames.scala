package io.sparkdl.python

import scala.jdk.CollectionConverters._

import org.apache.spark.sql.{DataFrame, RelationalGroupedDataset}
import org.apache.spark.sql.types.{DataType, StructType}

import io.sparkdl.model.{FeedMode, GraphProgram}
import io.sparkdl.tensorframes.{TensorColumnInfo, TensorFrames, TensorValue}
import io.sparkdl.tf.Shape

/**
 * [[TensorFrames]] shaped for py4j: Java lists and maps in (PySpark's gateway converts Python
 * lists and dicts), no Scala defaults. Used by `sparkdl.tensorframes`.
 */
object PythonTensorFrames {

  def mapBlocks(
      df: DataFrame,
      graphDef: Array[Byte],
      fetches: java.util.List[String],
      outputNames: java.util.List[String],
      feedDict: java.util.Map[String, String],
      trim: Boolean,
      blockSize: Int,
      handleInvalid: String
  ): DataFrame =
    TensorFrames.mapBlocks(df, program(graphDef, fetches, outputNames, feedDict), trim, blockSize, handleInvalid)

  def mapRows(
      df: DataFrame,
      graphDef: Array[Byte],
      fetches: java.util.List[String],
      outputNames: java.util.List[String],
      feedDict: java.util.Map[String, String],
      handleInvalid: String
  ): DataFrame = TensorFrames.mapRows(df, program(graphDef, fetches, outputNames, feedDict), handleInvalid)

  /**
   * What map_blocks (`rows` false) or map_rows binds over a schema, with no data: the pandas path
   * runs on the driver but binds and casts as the Spark path does. Each feed as
   * `[placeholder, column, dtype]`; the binding's own error when the graph does not bind.
   */
  def bindFeeds(
      schemaJson: String,
      graphDef: Array[Byte],
      fetches: java.util.List[String],
      outputNames: java.util.List[String],
      feedDict: java.util.Map[String, String],
      rows: Boolean,
      trim: Boolean
  ): java.util.List[java.util.List[String]] = {
    val schema = DataType.fromJson(schemaJson).asInstanceOf[StructType]
    val mode = if (rows) FeedMode.Row else FeedMode.Block
    val plan = TensorFrames.mapPlan(schema, program(graphDef, fetches, outputNames, feedDict), mode, trim)
    plan.feeds.map(f => java.util.List.of(f.placeholder, f.column.name, f.dtype.name)).asJava
  }

  def reduceBlocks(
      df: DataFrame,
      graphDef: Array[Byte],
      fetches: java.util.List[String],
      blockSize: Int
  ): java.util.List[TensorValue] =
    TensorFrames.reduceBlocksTensors(df, graphDef, fetches.asScala.toSeq, blockSize).asJava

  def reduceRows(df: DataFrame, graphDef: Array[Byte], fetches: java.util.List[String]): java.util.List[TensorValue] =
    TensorFrames.reduceRowsTensors(df, graphDef, fetches.asScala.toSeq).asJava

  /**
   * Reduction results packed for one py4j call ([[PackedTensors]], unnamed, in order), instead
   * of reading each [[TensorValue]]'s dims and strings element by element.
   */
  def packValues(values: java.util.List[TensorValue]): Array[Byte] =
    PackedTensors.pack(values.asScala.toSeq.map { v =>
      PackedTensors.Entry.of("", v.dtype, v.shape, v.rawBytes, v.strings)
    })

  def aggregate(
      grouped: RelationalGroupedDataset,
      graphDef: Array[Byte],
      fetches: java.util.List[String],
      blockSize: Int
  ): DataFrame = TensorFrames.aggregate(grouped, graphDef, fetches.asScala.toSeq, blockSize)

  def analyze(df: DataFrame): DataFrame = TensorFrames.analyze(df)

  /** `shape` is the block shape (leading row dimension included), -1 for unknown dimensions. */
  def appendShape(df: DataFrame, column: String, shape: java.util.List[_]): DataFrame =
    TensorFrames.appendShape(df, column, Shape.of(shape.asScala.map(_.asInstanceOf[Number].longValue).toArray))

  def explain(df: DataFrame): String = TensorFrames.explain(df)

  /** A column's TF dtype name and cell shape, for building placeholders in Python. */
  def columnInfo(df: DataFrame, column: String): TensorColumnInfo = TensorColumnInfo(df, column)

  private def program(
      graphDef: Array[Byte],
      fetches: java.util.List[String],
      outputNames: java.util.List[String],
      feedDict: java.util.Map[String, String]
  ): GraphProgram = GraphProgram(
    graphDef,
    fetches.asScala.toSeq,
    Option(outputNames).map(_.asScala.toSeq).getOrElse(Nil),
    Option(feedDict).map(_.asScala.toMap).getOrElse(Map.empty)
  )
}
