package io.sparkdl.model

/**
 * A TF model and how it meets a DataFrame: the tensors to fetch (each becomes a column named
 * `outputNames(i)`, by default the fetch's op name) and `feedDict`, placeholder name -> column
 * name for placeholders not named after their column.
 */
final case class GraphProgram(
    model: ModelSource,
    fetches: Seq[String],
    outputNames: Seq[String],
    feedDict: Map[String, String]
) {
  require(model != null, "model is null")
  require(fetches.nonEmpty, "at least one fetch is needed")
  require(
    outputNames.isEmpty || outputNames.length == fetches.length,
    s"${outputNames.length} output names for ${fetches.length} fetches"
  )

  /** The column name of each fetch. */
  def columnNames: Seq[String] =
    if (outputNames.nonEmpty) outputNames else fetches.map(f => f.takeWhile(_ != ':'))

  /** The content hash that keys executor session caches. */
  def modelKey: String = model.key

  /** The column feeding `placeholder` (an op name). */
  def columnFor(placeholder: String): String = feedDict.getOrElse(placeholder, placeholder)
}

object GraphProgram {

  /** A program over a frozen GraphDef's bytes. */
  def apply(
      graphDef: Array[Byte],
      fetches: Seq[String],
      outputNames: Seq[String] = Nil,
      feedDict: Map[String, String] = Map.empty
  ): GraphProgram = GraphProgram(FrozenGraph(graphDef), fetches, outputNames, feedDict)

  /** A program over any model. */
  def of(
      model: ModelSource,
      fetches: Seq[String],
      outputNames: Seq[String] = Nil,
      feedDict: Map[String, String] = Map.empty
  ): GraphProgram = GraphProgram(model, fetches, outputNames, feedDict)

  /** A program over a GraphDef file (e.g. a frozen `.pb`) on any Hadoop filesystem. */
  def fromFile(path: String, fetches: Seq[String], feedDict: Map[String, String] = Map.empty): GraphProgram =
    GraphProgram(FrozenGraph.fromFile(path), fetches, Nil, feedDict)
}
