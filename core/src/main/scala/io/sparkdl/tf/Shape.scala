package io.sparkdl.tf

import java.util.Arrays

/**
 * A tensor shape that may be partly known: `Shape.unknown` has unknown rank, and a dimension of -1
 * is unknown. Printed the TF way: `[?,2]`, `[]` for scalars, `<unknown>` for unknown rank.
 */
final class Shape private (private val dimensions: Array[Long]) extends Serializable {

  /** The rank, or -1 when unknown. */
  def rank: Int = if (dimensions == null) -1 else dimensions.length
  def hasKnownRank: Boolean = dimensions != null

  /** The dimensions (-1 unknown); throws for an unknown rank. */
  def dims: Array[Long] = {
    if (dimensions == null) throw new IllegalStateException("shape of unknown rank has no dims")
    dimensions.clone()
  }

  def apply(i: Int): Long = dims(i)

  def isFullyDefined: Boolean = dimensions != null && dimensions.forall(_ >= 0)

  /** The element count of a fully defined shape, or -1. */
  def numElements: Long =
    if (!isFullyDefined) -1L else dimensions.foldLeft(1L)((n, d) => Math.multiplyExact(n, d))

  /** Whether a tensor of shape `that` could be fed where this shape is expected. */
  def isCompatibleWith(that: Shape): Boolean =
    dimensions == null || that.dimensions == null || {
      dimensions.length == that.dimensions.length &&
      dimensions.indices.forall { i =>
        dimensions(i) < 0 || that.dimensions(i) < 0 || dimensions(i) == that.dimensions(i)
      }
    }

  /** This shape with a leading dimension (the batch dimension of a block). */
  def prepend(dim: Long): Shape =
    if (dimensions == null) this else new Shape(dim +: dimensions)

  /** This shape without its leading dimension. */
  def tail: Shape = {
    if (dimensions == null) this
    else if (dimensions.isEmpty) throw new IllegalStateException("a scalar shape has no tail")
    else new Shape(dimensions.tail)
  }

  override def equals(other: Any): Boolean = other match {
    case s: Shape => Arrays.equals(dimensions, s.dimensions)
    case _ => false
  }
  override def hashCode: Int = Arrays.hashCode(dimensions)
  override def toString: String =
    if (dimensions == null) "<unknown>"
    else dimensions.map(d => if (d < 0) "?" else d.toString).mkString("[", ",", "]")
}

object Shape {
  val unknown: Shape = new Shape(null)
  val scalar: Shape = new Shape(Array.emptyLongArray)

  def apply(dims: Long*): Shape = of(dims.toArray)

  /** A shape from dimensions (-1 unknown); null means unknown rank. */
  def of(dims: Array[Long]): Shape = {
    if (dims == null) unknown
    else {
      dims.foreach { d =>
        if (d < -1) throw new IllegalArgumentException(s"bad dimension $d in ${dims.mkString("[", ",", "]")}")
      }
      new Shape(dims.clone())
    }
  }
}
