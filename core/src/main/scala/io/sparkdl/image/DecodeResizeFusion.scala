package io.sparkdl.image

import org.apache.spark.sql.catalyst.expressions.ScalaUDF
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.catalyst.rules.Rule
import org.apache.spark.sql.catalyst.trees.TreePattern.SCALA_UDF

/**
 * Decodes images straight to what uses them: where a model stage or SQL function prepares
 * (`ModelImages.prepare`: resize, channel order) or `resize` resizes images that `readImages` or
 * `decode` has just decoded, the decode does that work itself, in the same call, so no full-size
 * image struct is written into the row, copied and read back between the two (a 1024x768 photo's
 * struct is 2.4 MB), nor the small one a second time. The same pixels: the decode makes the same
 * resize and channel calls.
 *
 * Spark's optimizer puts the two calls next to each other where the full-size images are needed
 * by nothing else (the image column is not selected, cached or filtered on); elsewhere the plan
 * stays as written. Installed in a session when a decode column is made there (`ImageIO`), and in
 * every session by `io.sparkdl.SparkdlExtensions`.
 */
object DecodeResizeFusion extends Rule[LogicalPlan] {

  override def apply(plan: LogicalPlan): LogicalPlan =
    plan.transformAllExpressionsWithPruning(_.containsPattern(SCALA_UDF)) {
      case outer: ScalaUDF => fused(outer).getOrElse(outer)
    }

  private def fused(outer: ScalaUDF): Option[ScalaUDF] = (outer.function, outer.children) match {
    // A model's preparation: the decode resizes (if the model has a size) and orders the channels.
    case (prepare: PrepareFunction, Seq(inner: ScalaUDF)) =>
      val size = if (prepare.resizes) Some((prepare.height, prepare.width, prepare.method)) else None
      decodeDoing(inner, _.copy(size = size, order = Some(prepare.order)))
    case (resize: ResizeFunction, Seq(inner: ScalaUDF)) =>
      decodeDoing(inner, _.copy(size = Some((resize.height, resize.width, resize.method))))
    case _ => None
  }

  // `udf` made to do `more`, if it is a decode that does nothing but decode.
  private def decodeDoing(udf: ScalaUDF, more: DecodeFunction => DecodeFunction): Option[ScalaUDF] =
    udf.function match {
      case decode: DecodeFunction if decode.size.isEmpty && decode.order.isEmpty =>
        val fused = more(decode)
        Some(udf.copy(function = fused, udfName = Some(fused.name)))
      case _ => None
    }
}
