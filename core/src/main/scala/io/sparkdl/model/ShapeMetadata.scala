package io.sparkdl.model

import org.apache.spark.sql.types.{Metadata, MetadataBuilder, StructField}

import io.sparkdl.tf.Shape

/**
 * A column's tensor shape kept in its metadata under [[ShapeMetadata.Key]]: the block shape, i.e.
 * a leading unknown row dimension then the cell's dimensions, -1 where unknown (`[?,2]`).
 */
object ShapeMetadata {
  val Key = "sparkdl.shape"

  /** The cell shape recorded for a column, if any. */
  def cellShape(field: StructField): Option[Shape] =
    if (field.metadata.contains(Key)) Some(Shape.of(field.metadata.getLongArray(Key)).tail) else None

  /** `metadata` with the block shape of cells of `cellShape`. */
  def withCellShape(metadata: Metadata, cellShape: Shape): Metadata =
    new MetadataBuilder().withMetadata(metadata).putLongArray(Key, cellShape.prepend(-1).dims).build()
}
