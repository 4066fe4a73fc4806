package io.sparkdl.ml.udf

/**
 * The arguments of SQL function `function` as plans name them (a column per argument) and as
 * errors describe them. Small and serializable: tasks carry it to explain bad rows, not the model.
 */
private[udf] final case class ArgumentNames(function: String, inputs: Seq[String]) {

  /** The column argument i becomes when the model's plan is made over the arguments. */
  def column(i: Int): String = s"argument ${i + 1} (${inputs(i)})"

  /** Argument i in an error message. */
  def describe(i: Int): String = s"argument ${i + 1} (model input '${inputs(i)}')"

  /** A tensorframes error about argument columns, reworded in the function's terms. */
  def explain(problem: String): String = {
    val named = inputs.indices.foldLeft(problem) { (msg, i) =>
      msg.replace(s"column '${column(i)}'", describe(i))
    }
    // Rows of different shapes simply cannot share a model input here; map_rows is not an option.
    val plain = named.replace(" (ragged arrays can only go through map_rows)", "")
    if (plain.startsWith(s"SQL function $function")) plain else s"SQL function $function: $plain"
  }
}
