package io.sparkdl.sql

import org.apache.spark.sql.catalyst.expressions.{Cast, Expression, Unevaluable}
import org.apache.spark.sql.internal.SQLConf
import org.apache.spark.sql.types.DataType

/**
 * A call of a [[ModelUDF]] in a query, e.g. `mlp(features)`. It is never evaluated row by row:
 * [[ModelUDFExtraction]] moves it into a [[ModelUDFEval]] node that runs the model on blocks of
 * rows, and leaves an attribute in its place.
 */
final case class ModelUDFCall(function: ModelUDF, children: Seq[Expression])
    extends Expression
    with Unevaluable {

  @transient private lazy val typing = function.typing(children.map(_.dataType))

  override def dataType: DataType = typing.dataType

  // A null argument is an error (see ModelUDFBlocks), never a null result.
  override def nullable: Boolean = false

  override def prettyName: String = function.name

  override def toString: String = s"${function.name}(${children.mkString(", ")})"

  /** The arguments as the model's plan takes them (decimals as doubles). */
  def arguments: Seq[Expression] = children.zip(typing.argTypes).map { case (child, target) =>
    if (child.dataType == target) child
    else Cast(child, target, Some(SQLConf.get.sessionLocalTimeZone))
  }

  private[sql] def plan = typing.plan

  override protected def withNewChildrenInternal(newChildren: IndexedSeq[Expression]): ModelUDFCall =
    copy(children = newChildren)
}
