package org.apache.spark.sql.sparkdl

import org.apache.spark.sql.catalyst.FunctionIdentifier
import org.apache.spark.sql.catalyst.expressions.{Expression, ExpressionInfo}
import org.apache.spark.sql.Column
import org.apache.spark.sql.classic.{ExpressionUtils, SparkSession}
import org.apache.spark.sql.connector.catalog.CatalogManager

/**
 * Registers temporary SQL functions with a description of their own. Spark's public
 * `createOrReplaceTempFunction` gives no way to pass one, and the namespace temporary functions
 * live in (`system.session`) is `private[sql]`; converting between columns and expressions is
 * too. Keep it this small.
 */
object FunctionRegistryShim {

  /** Registers (or replaces) the temporary function `name`; `usage` is what DESCRIBE shows. */
  def registerTempFunction(
      session: SparkSession,
      name: String,
      className: String,
      usage: String,
      builder: Seq[Expression] => Expression
  ): Unit = {
    val namespace = Some(CatalogManager.SESSION_NAMESPACE)
    val id = FunctionIdentifier(name, namespace, Some(CatalogManager.SYSTEM_CATALOG_NAME))
    val info =
      new ExpressionInfo(className, id.database.orNull, name, usage, "", "", "", "", "", "", "scala_udf")
    session.sessionState.functionRegistry.registerFunction(id, info, builder)
  }

  /** The expression behind a column, converted by `session` now (not lazily, at analysis), for
   * function builders that compose Column functions. */
  def expressionOf(session: SparkSession, column: Column): Expression = session.expression(column)

  /** A column over an expression. */
  def columnOf(expression: Expression): Column = ExpressionUtils.column(expression)
}
