package io.sparkdl.ml.param

import org.apache.spark.ml.param.{Param, Params}

/**
 * MLlib classifiers' output columns, opt-in: a model whose output is one value per class (or
 * one sigmoid unit) also gives the columns MLlib's evaluators read, so `CrossValidator` works with
 * a stock `MulticlassClassificationEvaluator` or `BinaryClassificationEvaluator`. Each is made
 * only when set to a column name ('' , the default, makes none), so the stage's own output
 * column is unchanged.
 */
trait HasClassifierColumns extends Params {

  final val predictionCol: Param[String] = new Param[String](
    this, "predictionCol",
    "Opt-in: a column of the predicted class as a double, as MLlib classifiers give it: the index " +
      "of the largest output value (the first on ties), or for an output of one value p (one " +
      "sigmoid unit) 1.0 when p > 0.5, else 0.0. '' makes none. Default: ''.")

  final val probabilityCol: Param[String] = new Param[String](
    this, "probabilityCol",
    "Opt-in: a column of the output as an ML vector of class probabilities (the model's output " +
      "as it is, so a model ending in softmax or sigmoid; for one value p, [1 - p, p]). '' makes " +
      "none. Default: ''.")

  final val rawPredictionCol: Param[String] = new Param[String](
    this, "rawPredictionCol",
    "Opt-in: a column of the output as an ML vector of one score per class, as " +
      "BinaryClassificationEvaluator reads it (the same values as probabilityCol: for one value p, " +
      "[1 - p, p]). '' makes none. Default: ''.")

  setDefault(predictionCol -> "", probabilityCol -> "", rawPredictionCol -> "")

  final def getPredictionCol: String = $(predictionCol)
  final def getProbabilityCol: String = $(probabilityCol)
  final def getRawPredictionCol: String = $(rawPredictionCol)
}
