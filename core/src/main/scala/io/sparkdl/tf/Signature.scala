package io.sparkdl.tf

/** A tensor named in a SavedModel signature. `dtypeCode` is TF's; [[dtype]] fails for types
 * sparkdl does not carry. */
final case class TensorInfo(name: String, dtypeCode: Int, shape: Shape) {
  def dtype: DType = DType.fromCode(dtypeCode)
}

/** A SavedModel signature: its inputs and outputs by key, each naming a tensor of the graph. */
final case class Signature(
    key: String,
    methodName: String,
    inputs: Map[String, TensorInfo],
    outputs: Map[String, TensorInfo]
) {

  def input(inputKey: String): TensorInfo = inputs.getOrElse(
    inputKey,
    throw new NotFoundException(
      s"signature '$key' has no input '$inputKey'; its inputs: ${inputs.keys.toSeq.sorted.mkString(", ")}"
    )
  )

  def output(outputKey: String): TensorInfo = outputs.getOrElse(
    outputKey,
    throw new NotFoundException(
      s"signature '$key' has no output '$outputKey'; its outputs: ${outputs.keys.toSeq.sorted.mkString(", ")}"
    )
  )
}

/** Reads the signatures of a serialized MetaGraphDef (tensorflow/core/protobuf/meta_graph.proto). */
private[tf] object MetaGraphSignatures {
  def parse(metaGraphDef: Array[Byte]): Map[String, Signature] = {
    val signatures = Map.newBuilder[String, Signature]
    val meta = new ProtoReader(metaGraphDef)
    meta.foreach {
      case (5, 2) => // map<string, SignatureDef> signature_def
        val (key, value) = mapEntry(meta.message())
        signatures += key -> signature(key, value)
      case (_, wire) => meta.skip(wire)
    }
    signatures.result()
  }

  private def mapEntry(entry: ProtoReader): (String, ProtoReader) = {
    var key = ""
    var value = new ProtoReader(Array.emptyByteArray)
    entry.foreach {
      case (1, 2) => key = entry.string()
      case (2, 2) => value = entry.message()
      case (_, wire) => entry.skip(wire)
    }
    (key, value)
  }

  private def signature(key: String, def_ : ProtoReader): Signature = {
    val inputs = Map.newBuilder[String, TensorInfo]
    val outputs = Map.newBuilder[String, TensorInfo]
    var method = ""
    def_.foreach {
      case (1, 2) => val (k, v) = mapEntry(def_.message()); inputs += k -> tensorInfo(v)
      case (2, 2) => val (k, v) = mapEntry(def_.message()); outputs += k -> tensorInfo(v)
      case (3, 2) => method = def_.string()
      case (_, wire) => def_.skip(wire)
    }
    Signature(key, method, inputs.result(), outputs.result())
  }

  private def tensorInfo(info: ProtoReader): TensorInfo = {
    var name = ""
    var dtype = 0
    var shape = Shape.unknown
    info.foreach {
      case (1, 2) => name = info.string()
      case (2, 0) => dtype = info.varint().toInt
      case (3, 2) => shape = tensorShape(info.message())
      case (_, wire) => info.skip(wire)
    }
    TensorInfo(name, dtype, shape)
  }

  private def tensorShape(proto: ProtoReader): Shape = {
    val dims = Array.newBuilder[Long]
    var unknownRank = false
    proto.foreach {
      case (2, 2) =>
        val dim = proto.message()
        var size = -1L
        dim.foreach {
          case (1, 0) => size = dim.varint()
          case (_, wire) => dim.skip(wire)
        }
        dims += size
      case (3, 0) => unknownRank = proto.varint() != 0
      case (_, wire) => proto.skip(wire)
    }
    if (unknownRank) Shape.unknown else Shape.of(dims.result())
  }
}
