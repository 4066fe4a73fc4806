package io.sparkdl.image

import org.apache.spark.sql.catalyst.expressions.ScalaUDF
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.catalyst.rules.Rule
import org.apache.spark.sql.catalyst.trees.TreePattern.SCALA_UDF

/**
 * Decodes images straight to the size they are resized to: where a model stage or SQL function
 * (`ModelImages.prepare`) or `resize` resizes images that `readImages` or `decode` has just
 * decoded, the decode resizes them itself (`decode` with a size), so no full-size image struct is
 * written into the row, copied and read back between the two (a 1024x768 photo's struct is
 * 2.4 MB). The same pixels: the decode makes the same resize call (a model stage then only puts
 * the channels in the model's order).
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
    // A model's preparation: the decode resizes, the stage keeps the channel order.
    case (prepare: PrepareFunction, Seq(inner: ScalaUDF)) if prepare.resizes =>
      sized(inner, prepare.height, prepare.width, prepare.method).map { decode =>
        val ordered = prepare.copy(height = -1, width = -1)
        outer.copy(function = ordered, children = Seq(decode), udfName = Some(ordered.name))
      }
    // `resize` itself: the decode does it all.
    case (resize: ResizeFunction, Seq(inner: ScalaUDF)) => sized(inner, resize.height, resize.width, resize.method)
    case _ => None
  }

  // `udf` as a decode to the given size, if it is a decode to the files' own size.
  private def sized(udf: ScalaUDF, height: Int, width: Int, method: ResizeMethod): Option[ScalaUDF] =
    udf.function match {
      case decode: DecodeFunction if decode.size.isEmpty =>
        val resized = decode.copy(size = Some((height, width, method)))
        Some(udf.copy(function = resized, udfName = Some(resized.name)))
      case _ => None
    }
}
