package io.sparkdl.ml.param

import org.apache.spark.ml.param.{Param, Params}

/**
 * The column params several stages share, each declared once here. A stage says what the column
 * holds for it through the doc hook (`inputColDoc`, ...), so its param doc, and the generated
 * Python docs, stay its own. The hook is read while the trait makes the param, before the stage's
 * own vals are set: define it as a `def` (a `val` would still be null then, which fails here).
 */
private[param] object ColumnParams {
  def doc(hook: String, value: String): String = {
    require(value != null, s"$hook is null while the param is made: define it as a def, not a val")
    value
  }
}

/** The column a stage reads. */
trait HasInputCol extends Params {

  /** The doc of `inputCol`: what the column holds for this stage, and its default. */
  protected def inputColDoc: String

  final val inputCol: Param[String] =
    new Param[String](this, "inputCol", ColumnParams.doc("inputColDoc", inputColDoc))

  final def getInputCol: String = $(inputCol)
}

/** The column a stage writes. */
trait HasOutputCol extends Params {

  /** The doc of `outputCol`: what the column holds for this stage, and its default. */
  protected def outputColDoc: String

  final val outputCol: Param[String] =
    new Param[String](this, "outputCol", ColumnParams.doc("outputColDoc", outputColDoc))

  final def getOutputCol: String = $(outputCol)
}

/** Which columns feed which model inputs. */
trait HasInputMapping extends Params {

  /** The doc of `inputMapping`: which keys name the model's inputs for this stage. */
  protected def inputMappingDoc: String

  final val inputMapping: StringMapParam =
    new StringMapParam(this, "inputMapping", ColumnParams.doc("inputMappingDoc", inputMappingDoc))

  final def getInputMapping: Map[String, String] = $(inputMapping)
}
