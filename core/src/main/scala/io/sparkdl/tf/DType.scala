package io.sparkdl.tf

/** A TensorFlow element type that sparkdl moves across the bridge. `byteSize` is -1 for strings. */
sealed abstract class DType(val code: Int, val name: String, val byteSize: Int)
    extends Serializable {
  def isFixedSize: Boolean = byteSize > 0
  override def toString: String = name
}

object DType {
  case object Float32 extends DType(1, "float32", 4)
  case object Float64 extends DType(2, "float64", 8)
  case object Int32 extends DType(3, "int32", 4)
  case object UInt8 extends DType(4, "uint8", 1)
  case object Int16 extends DType(5, "int16", 2)
  case object Int8 extends DType(6, "int8", 1)
  /** TF's `string`: arbitrary bytes per element. */
  case object TString extends DType(7, "string", -1)
  case object Int64 extends DType(9, "int64", 8)
  case object Bool extends DType(10, "bool", 1)

  val all: Seq[DType] = Seq(Float32, Float64, Int8, Int16, Int32, Int64, UInt8, Bool, TString)
  private val byCode: Map[Int, DType] = all.map(t => t.code -> t).toMap
  private val byName: Map[String, DType] = all.map(t => t.name -> t).toMap

  // TF's names for the types sparkdl does not carry, for error messages.
  private val otherNames = Map(
    8 -> "complex64", 11 -> "qint8", 12 -> "quint8", 13 -> "qint32", 14 -> "bfloat16",
    17 -> "uint16", 18 -> "complex128", 19 -> "half", 20 -> "resource", 21 -> "variant",
    22 -> "uint32", 23 -> "uint64"
  )

  def fromCode(code: Int): DType = byCode.getOrElse(
    code,
    throw new UnimplementedException(
      s"TF dtype ${otherNames.getOrElse(code, s"#$code")} is not supported by sparkdl; " +
        s"supported: ${all.map(_.name).mkString(", ")}"
    )
  )

  /** By TF's name: "float32", "int64", "string", ... ("float" and "double" are accepted too). */
  def fromName(name: String): DType = name match {
    case "float" => Float32
    case "double" => Float64
    case other =>
      byName.getOrElse(
        other,
        throw new IllegalArgumentException(
          s"unknown dtype '$name'; expected one of ${all.map(_.name).mkString(", ")}"
        )
      )
  }
}
