package org.apache.spark.sql.sparkdl

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.{classic, Column, DataFrame, RelationalGroupedDataset, Row}
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan

/**
 * The one place sparkdl reaches into Spark's `private[sql]` API, because Spark has no public way
 * to: build a DataFrame of a logical plan (sparkdl's plan nodes over a DataFrame's plan), read a
 * DataFrame's internal rows for an action, and read the DataFrame and keys behind a `groupBy`
 * (for `aggregate`). Keep it this small.
 */
object DataFrameShim {

  /** Plans `df` into internal rows, for an action run now (with adaptive execution, planning
   * runs `df`'s shuffle stages). */
  def planRows(df: DataFrame): RDD[InternalRow] = classicDf(df).queryExecution.toRdd

  /** The analyzed logical plan of `df`, to build a plan node over. */
  def analyzedPlan(df: DataFrame): LogicalPlan = classicDf(df).queryExecution.analyzed

  /** A DataFrame of `plan` (a sparkdl plan node over `like`'s plan) in `like`'s session. */
  def ofPlan(like: DataFrame, plan: LogicalPlan): DataFrame =
    classic.Dataset.ofRows(classicDf(like).sparkSession, plan)

  /** The DataFrame and the grouping columns (with their output names) behind a `groupBy(...)`. */
  def groupedData(grouped: RelationalGroupedDataset): (DataFrame, Seq[(Column, String)]) =
    grouped match {
    case g: classic.RelationalGroupedDataset =>
      val columns = g.groupingExprs.map(e => classic.ExpressionUtils.column(e))
      // Names as Spark's analyzer gives them, e.g. "(id % 2)" for an unnamed expression.
      val names = g.df.select(columns: _*).schema.fieldNames.toSeq
      val keys = columns.zip(names)
      (g.df, keys)
    case other =>
      throw new UnsupportedOperationException(s"sparkdl needs classic Spark, not ${other.getClass}")
  }

  private def classicDf(df: DataFrame): classic.Dataset[Row] = df match {
    case d: classic.Dataset[Row @unchecked] => d
    case other =>
      throw new UnsupportedOperationException(
        s"sparkdl runs on classic Spark DataFrames, not ${other.getClass.getName} (Spark Connect)"
      )
  }
}
