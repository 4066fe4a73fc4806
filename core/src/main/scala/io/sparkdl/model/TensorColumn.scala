package io.sparkdl.model

import org.apache.spark.ml.linalg.SQLDataTypes.VectorType
import org.apache.spark.sql.types._

import io.sparkdl.tf.{DType, Shape}

/** How a column's cells are laid out as tensor elements. */
private[sparkdl] sealed trait CellKind
private[sparkdl] object CellKind {
  /** A numeric or boolean value per row. */
  case object Scalar extends CellKind
  /** A string or binary value per row: one tf.string element. */
  case object Bytes extends CellKind
  /** Nested arrays of numbers or booleans, `depth` levels deep. */
  final case class Array(depth: Int) extends CellKind
  /** An ML vector (dense or sparse), fed as float64[size]. */
  case object Vector extends CellKind
  /** An image struct ([[ImageStruct]]), fed as [height, width, nChannels] floats of its data. */
  case object Image extends CellKind
}

/**
 * A DataFrame column seen as tensors: its TF dtype and the shape of one cell (-1 where unknown;
 * known dims come from [[ShapeMetadata]]). `index` is its position in rows of `rowWidth` fields
 * (the schema it was resolved in).
 */
private[sparkdl] final case class TensorColumn(
    name: String,
    index: Int,
    dataType: DataType,
    dtype: DType,
    kind: CellKind,
    cellShape: Shape,
    rowWidth: Int
) {
  def cellRank: Int = cellShape.rank
  /** The shape of a block of this column: the cells with a leading unknown row dimension. */
  def blockShape: Shape = cellShape.prepend(-1)
  def describe: String = s"'$name' (${dataType.simpleString}, $dtype$cellShape per row)"
}

private[sparkdl] object TensorColumn {

  /** The column `name` of `schema` as tensors; a clear error for types TF cannot take. */
  def apply(schema: StructType, name: String): TensorColumn = {
    val index = schema.fieldNames.indexOf(name)
    if (index < 0) {
      throw new IllegalArgumentException(
        s"no column '$name' in the DataFrame; its columns: ${schema.fieldNames.mkString(", ")}"
      )
    }
    // As Spark's own AMBIGUOUS_REFERENCE: taking the first of two columns would be a guess.
    if (schema.fieldNames.lastIndexOf(name) != index) {
      throw new IllegalArgumentException(
        s"column '$name' is ambiguous: the DataFrame has ${schema.fieldNames.count(_ == name)} " +
          "columns of that name (e.g. after a join); expected one: rename or drop the others"
      )
    }
    val field = schema(index)
    val (dtype, kind, rank) = elementType(field.dataType).getOrElse(
      throw new IllegalArgumentException(
        s"column '$name' has type ${field.dataType.simpleString}; expected a numeric, boolean, " +
          "string or binary scalar, a (nested) array of numbers or booleans, an ML vector or an image"
      )
    )
    val cell = ShapeMetadata.cellShape(field) match {
      case Some(s) if s.rank == rank => s
      case _ => Shape.of(Array.fill(rank)(-1L))
    }
    TensorColumn(name, index, field.dataType, dtype, kind, cell, schema.length)
  }

  private def elementType(t: DataType): Option[(DType, CellKind, Int)] = t match {
    case StringType | BinaryType => Some((DType.TString, CellKind.Bytes, 0))
    case VectorType => Some((DType.Float64, CellKind.Vector, 1))
    case s: StructType if ImageStruct.matches(s) => Some((DType.Float32, CellKind.Image, 3))
    case ArrayType(inner, _) =>
      elementType(inner).collect {
        case (d, CellKind.Scalar, 0) => (d, CellKind.Array(1), 1)
        case (d, CellKind.Array(depth), r) => (d, CellKind.Array(depth + 1), r + 1)
      }
    case other => scalarDType(other).map(d => (d, CellKind.Scalar, 0))
  }

  private def scalarDType(t: DataType): Option[DType] = t match {
    case FloatType => Some(DType.Float32)
    case DoubleType => Some(DType.Float64)
    case ByteType => Some(DType.Int8)
    case ShortType => Some(DType.Int16)
    case IntegerType => Some(DType.Int32)
    case LongType => Some(DType.Int64)
    case BooleanType => Some(DType.Bool)
    case _ => None
  }

  /** The Spark type of output cells of `dtype` and `cellRank` (uint8 widens to int). */
  def sparkType(dtype: DType, cellRank: Int): DataType = {
    val element: DataType = dtype match {
      case DType.Float32 => FloatType
      case DType.Float64 => DoubleType
      case DType.Int8 => ByteType
      case DType.Int16 => ShortType
      case DType.Int32 | DType.UInt8 => IntegerType
      case DType.Int64 => LongType
      case DType.Bool => BooleanType
      case DType.TString => BinaryType
    }
    (0 until cellRank).foldLeft(element)((t, _) => ArrayType(t, containsNull = false))
  }
}
