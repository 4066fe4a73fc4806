package io.sparkdl.tensorframes

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow

import io.sparkdl.model.{CellKind, ImageStruct, TensorColumn}
import io.sparkdl.tf.Shape

/** Analysis: the cell shape of each column over all rows. */
private[sparkdl] object Analysis {
  def cellShapes(rows: RDD[InternalRow], columns: Seq[TensorColumn]): Seq[Shape] = {
    val ranks = columns.map(_.cellRank)
    val perPartition = rows.mapPartitions { it =>
      val merged = new Array[Array[Long]](columns.length)
      it.foreach { row =>
        columns.indices.foreach { i =>
          if (!row.isNullAt(columns(i).index)) {
            val dims = Analysis.dims(row, columns(i))
            merged(i) = if (merged(i) == null) dims else merge(merged(i), dims)
          }
        }
      }
      Iterator(merged)
    }
    val all = perPartition.collect()
    columns.indices.map { i =>
      val known = all.map(_(i)).filter(_ != null)
      if (known.isEmpty) Shape.of(Array.fill(ranks(i))(-1L)) else Shape.of(known.reduce(merge))
    }
  }

  private def merge(a: Array[Long], b: Array[Long]): Array[Long] =
    a.indices.map(i => if (a(i) == b(i)) a(i) else -1L).toArray

  private def dims(row: InternalRow, c: TensorColumn): Array[Long] = c.kind match {
    case CellKind.Scalar | CellKind.Bytes => Array.emptyLongArray
    case CellKind.Image =>
      val image = row.getStruct(c.index, ImageStruct.NumFields)
      Array(ImageStruct.Height, ImageStruct.Width, ImageStruct.Channels).map(image.getInt(_).toLong)
    case CellKind.Vector =>
      val v = row.getStruct(c.index, 4)
      Array(if (v.getByte(0) == 0) v.getInt(1).toLong else v.getArray(3).numElements().toLong)
    case CellKind.Array(depth) =>
      val out = Array.fill(depth)(-1L)
      var level = row.getArray(c.index)
      var d = 0
      var ragged = false
      while (d < depth && level != null) {
        out(d) = level.numElements()
        if (d + 1 < depth) {
          // Nested levels are known only when every sibling agrees.
          val lengths = (0 until level.numElements()).map(i => if (level.isNullAt(i)) -1 else level.getArray(i).numElements())
          if (lengths.distinct.size > 1) ragged = true
          level = if (level.numElements() > 0 && !level.isNullAt(0)) level.getArray(0) else null
        }
        d += 1
        if (ragged) { (d until depth).foreach(out(_) = -2L); d = depth }
      }
      out.map(x => if (x == -2L) -1L else x)
  }
}
