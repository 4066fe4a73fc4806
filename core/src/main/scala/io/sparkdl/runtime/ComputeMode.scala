package io.sparkdl.runtime

import org.apache.spark.sql.SparkSession

import io.sparkdl.tf.{CpuFeatures, GraphOptimization, Precision, SessionConfig, TfRuntime}

/** How executors' sessions rewrite and compute a model's graph (see [[SessionConfig]]). */
private[sparkdl] final case class ComputeMode(
    optimization: GraphOptimization = GraphOptimization.Default,
    precision: Precision = Precision.Float32
)

private[sparkdl] object ComputeMode {
  val OptimizationConf = "spark.sparkdl.graphOptimization"
  val PrecisionConf = "spark.sparkdl.precision"

  /**
   * The mode of a job started on the driver: `optimization` and `precision` when given (a stage's
   * params, named by `owner` in errors), else the session's confs, else TF Python's own (grappler's
   * defaults, float32). In local mode the executors are this machine, so a precision its CPU cannot
   * run is refused here, before any job; on a cluster the executors check their own CPUs.
   */
  def resolve(
      spark: SparkSession,
      optimization: Option[String] = None,
      precision: Option[String] = None,
      owner: String = ""
  ): ComputeMode = {
    def setting(param: Option[String], name: String, conf: String): (Option[String], String) =
      param.fold((spark.conf.getOption(conf), conf))(v => (Some(v), s"${owner}param '$name'"))
    val (o, oWhat) = setting(optimization, "graphOptimization", OptimizationConf)
    val (p, pWhat) = setting(precision, "precision", PrecisionConf)
    val mode = ComputeMode(
      o.map(GraphOptimization.parse(_, oWhat)).getOrElse(GraphOptimization.Default),
      p.map(Precision.parse(_, pWhat)).getOrElse(Precision.Float32)
    )
    if (spark.sparkContext.isLocal) {
      SessionConfig.unsupported(mode.optimization, mode.precision, CpuFeatures.current, TfRuntime.oneDnnEnabled)
        .foreach(why => throw new IllegalArgumentException(s"$pWhat: $why"))
    }
    mode
  }
}
