package io.sparkdl.tensorframes

import java.nio.file.{Files, Paths}
import java.security.MessageDigest

/**
 * A frozen TF graph and how it meets a DataFrame: the tensors to fetch (each becomes a column
 * named `outputNames(i)`, by default the fetch's op name) and `feedDict`, placeholder name ->
 * column name for placeholders not named after their column.
 */
final case class GraphProgram(
    graphDef: Array[Byte],
    fetches: Seq[String],
    outputNames: Seq[String] = Nil,
    feedDict: Map[String, String] = Map.empty
) {
  require(graphDef != null && graphDef.nonEmpty, "graphDef is empty")
  require(fetches.nonEmpty, "at least one fetch is needed")
  require(
    outputNames.isEmpty || outputNames.length == fetches.length,
    s"${outputNames.length} output names for ${fetches.length} fetches"
  )

  /** The column name of each fetch. */
  def columnNames: Seq[String] =
    if (outputNames.nonEmpty) outputNames else fetches.map(f => f.takeWhile(_ != ':'))

  /** The content hash that keys executor session caches. */
  lazy val modelKey: String = MessageDigest.getInstance("SHA-256").digest(graphDef)
    .map("%02x".format(_)).mkString

  /** The column feeding `placeholder` (an op name). */
  def columnFor(placeholder: String): String = feedDict.getOrElse(placeholder, placeholder)
}

object GraphProgram {

  /** A program over a GraphDef file (e.g. a frozen `.pb`). */
  def fromFile(path: String, fetches: Seq[String], feedDict: Map[String, String] = Map.empty): GraphProgram =
    GraphProgram(Files.readAllBytes(Paths.get(path)), fetches, Nil, feedDict)
}
