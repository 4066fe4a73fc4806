package io.sparkdl.model

import io.sparkdl.tf.Graph

/**
 * How a binding names things in its errors, in the caller's terms: TensorFrames speaks of
 * placeholders, fetches and columns; a stage of its params and model inputs; a SQL function of
 * its arguments. Small and serializable: tasks carry it to explain bad rows.
 */
trait BindingNames extends Serializable {

  /** What is being bound, the prefix of every error: "map_blocks", "TFTransformer tft_1a2b". */
  def op: String

  /** A column feeding the model, e.g. "column 'x'". */
  def column(name: String): String = s"column '$name'"

  /** A model input by its placeholder's op name, e.g. "placeholder 'x'". */
  def input(placeholder: String): String = s"placeholder '$placeholder'"

  /** A model output by its tensor name, e.g. "fetch 'y:0'". */
  def output(tensor: String): String = s"fetch '$tensor'"

  /** The error for placeholders the fetches need but no column feeds (`types`: their dtypes
   * and shapes, e.g. "(float64[?])"). */
  def unfed(placeholders: Seq[String], types: Seq[String], columns: Seq[String]): String =
    placeholders.zip(types).map { case (p, t) => s"${input(p)} $t" }.mkString(", ") +
      s" matches no column; the DataFrame's columns are ${columns.mkString(", ")}. Name a column " +
      "after the placeholder or map it with feed_dict."

  /** The error for an output the graph lacks. */
  def unknownOutput(tensor: String, graph: Graph, why: String): String =
    s"${output(tensor)} is not a tensor of the graph ($why)"

  /** The error for a feed naming something that is not a placeholder of the graph. */
  def unknownInput(name: String, graph: Graph): String =
    s"feed_dict names '$name', which is not a placeholder of the graph; its placeholders: " +
      BindingNames.placeholders(graph).mkString(", ")

  /** Why a block's outputs must keep its row count, appended to that error. */
  def rowCountHint: String = "outputs that change the row count need trim=True"

  /** What a user can do about an invalid row, appended to its error. */
  def invalidRowHint: String = "handleInvalid='error'; use 'skip' to drop such rows"

  /** The full error message for `problem`. */
  def error(problem: String): String = s"$op: $problem"
}

object BindingNames {

  /** TensorFrames' names: placeholders, fetches and columns as they are. */
  def of(op: String): BindingNames = Plain(op)

  private final case class Plain(op: String) extends BindingNames

  def placeholders(graph: Graph): Seq[String] =
    graph.operations.filter(_.opType == "Placeholder").map(_.name).sorted
}
