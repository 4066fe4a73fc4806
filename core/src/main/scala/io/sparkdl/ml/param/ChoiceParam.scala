package io.sparkdl.ml.param

import org.apache.spark.ml.param.{IntParam, Param, Params, ParamValidators}

/**
 * A param whose value is one of a fixed list. The list is both the param's validator and what
 * the generated Python wrappers show as its allowed values (the API reference), so the two
 * cannot drift apart.
 */
trait Choices[T] { self: Param[T] =>

  /** The values the param accepts, in the order the docs list them. */
  def choices: Seq[T]
}

/** A string param that takes one of `choices` (as `ParamValidators.inArray` checks them). */
class ChoiceParam(parent: Params, name: String, doc: String, val choices: Seq[String])
    extends Param[String](parent, name, doc, ParamValidators.inArray[String](choices.toArray))
    with Choices[String]

/** An int param that takes one of `choices`. */
class IntChoiceParam(parent: Params, name: String, doc: String, val choices: Seq[Int])
    extends IntParam(parent, name, doc, ParamValidators.inArray[Int](choices.toArray))
    with Choices[Int]
