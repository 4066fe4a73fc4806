package io.sparkdl.ml.param

import org.apache.spark.ml.param.{Param, Params}
import org.apache.spark.sql.SparkSession

import io.sparkdl.runtime.ComputeMode
import io.sparkdl.tf.{GraphOptimization, Precision}

/** How a stage's model is compiled and computed; unset params follow the session's confs. */
trait HasComputeMode extends Params {

  final val graphOptimization: Param[String] = new ChoiceParam(
    this,
    "graphOptimization",
    "How TF rewrites the model's graph: 'default' (TF's graph optimizer as TF Python runs it, with " +
      "oneDNN fusions), 'xla' (plus XLA auto-clustering: compiled kernels for this CPU) or 'none' " +
      s"(no rewrites). Default: the conf ${ComputeMode.OptimizationConf}, else 'default'.",
    GraphOptimization.all.map(_.name)
  )

  final val precision: Param[String] = new ChoiceParam(
    this,
    "precision",
    "The float type matmuls and convolutions compute in: 'float32' or 'bfloat16' (TF's automatic " +
      "mixed precision: about 2x faster on CPUs with AVX-512 BF16 or AMX, results within ~1e-2; " +
      s"refused on other CPUs). Default: the conf ${ComputeMode.PrecisionConf}, else 'float32'.",
    Precision.all.map(_.name)
  )

  final def getGraphOptimization: String = $(graphOptimization)
  final def getPrecision: String = $(precision)

  def setGraphOptimization(value: String): this.type = set(graphOptimization, value)
  def setPrecision(value: String): this.type = set(precision, value)

  /** Sets on `other` the compute params set here (a stage that runs another, a fitted model). */
  def copyComputeModeTo(other: HasComputeMode): other.type = {
    get(graphOptimization).foreach(other.setGraphOptimization(_))
    get(precision).foreach(other.setPrecision(_))
    other
  }

  /** The mode this stage runs its model in, on `spark`. */
  protected def computeMode(spark: SparkSession, owner: String): ComputeMode =
    ComputeMode.resolve(spark, get(graphOptimization), get(precision), s"$owner: ")
}
