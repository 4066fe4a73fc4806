package io.sparkdl.execution

import org.apache.spark.sql.{classic, SparkSession, SparkSessionExtensions}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.catalyst.rules.Rule

/**
 * How sparkdl's plan nodes get planned in a session: the strategy and the optimizer rules, added
 * to the session's experimental methods the first time a sparkdl operation is built in it (or
 * injected at startup by [[io.sparkdl.SparkdlExtensions]] through `spark.sql.extensions`, which
 * also reaches sessions made later, e.g. by a Spark Connect server).
 */
object SparkdlPlanner {
  val ExtensionsClass = "io.sparkdl.SparkdlExtensions"

  /** The optimizer rules of the plan nodes (SQL functions and image decoding add theirs, see
   * `io.sparkdl.sql` and `io.sparkdl.image.ImageIO`). */
  val rules: Seq[Rule[LogicalPlan]] = Seq(ModelMapPushdown)

  /** Installs the strategy and `rules` ++ [[rules]] in `spark`, once; a no-op where the session
   * was configured with [[ExtensionsClass]]. */
  def install(spark: SparkSession, extraRules: Seq[Rule[LogicalPlan]] = Nil): Unit = synchronized {
    val session = classicSession(spark, "sparkdl")
    val configured = session.conf.getOption("spark.sql.extensions").exists(_.split(",").map(_.trim).contains(ExtensionsClass))
    if (!configured) {
      val experimental = session.experimental
      (rules ++ extraRules).filterNot(experimental.extraOptimizations.contains).foreach { r =>
        experimental.extraOptimizations = experimental.extraOptimizations :+ r
      }
      if (!experimental.extraStrategies.contains(ModelBlocksStrategy)) {
        experimental.extraStrategies = experimental.extraStrategies :+ ModelBlocksStrategy
      }
    }
  }

  /** Injects the strategy and `rules` ++ [[rules]] into sessions built with `extensions`. */
  def inject(extensions: SparkSessionExtensions, extraRules: Seq[Rule[LogicalPlan]]): Unit = {
    (rules ++ extraRules).foreach(r => extensions.injectOptimizerRule(_ => r))
    extensions.injectPlannerStrategy(_ => ModelBlocksStrategy)
  }

  /** `spark` as the classic session sparkdl plans in; `who` names the caller in the errors. */
  private[sparkdl] def classicSession(spark: SparkSession, who: String): classic.SparkSession = spark match {
    case s: classic.SparkSession => s
    case null => throw new IllegalArgumentException(s"$who: spark is null")
    case other =>
      throw new UnsupportedOperationException(
        s"$who needs a classic SparkSession, not ${other.getClass.getName} (Spark Connect clients " +
          "reach sparkdl through the server's plugins, see docs/connect.md)"
      )
  }
}
