package io.sparkdl.sql

import io.sparkdl.model.BindingNames

/**
 * How SQL function `function` names its arguments: plans name argument i's column
 * [[column]](i), and errors, in the plan or in a task, call it "argument i (model input 'x')".
 */
private[sql] final case class ArgumentNames(function: String, inputs: Seq[String]) extends BindingNames {

  /** The column argument i becomes when the model's plan is made over the arguments. */
  def column(i: Int): String = s"argument ${i + 1}"

  /** Argument i in an error message. */
  def describe(i: Int): String = s"argument ${i + 1} (model input '${inputs(i)}')"

  def op: String = s"SQL function $function"

  override def column(name: String): String =
    name.stripPrefix("argument ").toIntOption.filter(i => i >= 1 && i <= inputs.length)
      .fold(s"column '$name'")(i => describe(i - 1))

  override def invalidRowHint: String = "filter such rows out before the call, e.g. in WHERE"

  override def unfed(placeholders: Seq[String], types: Seq[String], columns: Seq[String]): String =
    s"the model outputs need placeholder(s) ${placeholders.mkString(", ")}, which no argument feeds; " +
      s"name them as inputs when registering (inputs: ${inputs.mkString(", ")})"
}
