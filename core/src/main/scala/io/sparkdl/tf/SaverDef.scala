package io.sparkdl.tf

/**
 * How a meta graph saves its variables (tensorflow/core/protobuf/saver.proto): feed the checkpoint
 * prefix, a scalar string, to `filenameTensor` and fetch `saveTensor` to write them.
 */
final case class SaverDef(filenameTensor: String, saveTensor: String, restoreOp: String)

object SaverDef {

  /** The `saver_def` of a serialized MetaGraphDef, if it has one. */
  def parse(metaGraphDef: Array[Byte]): Option[SaverDef] = {
    var saver: Option[SaverDef] = None
    val meta = new ProtoReader(metaGraphDef)
    meta.foreach {
      case (3, 2) => // SaverDef saver_def
        val def_ = meta.message()
        var (filename, save, restore) = ("", "", "")
        def_.foreach {
          case (1, 2) => filename = def_.string()
          case (2, 2) => save = def_.string()
          case (3, 2) => restore = def_.string()
          case (_, wire) => def_.skip(wire)
        }
        if (filename.nonEmpty && save.nonEmpty) saver = Some(SaverDef(filename, save, restore))
      case (_, wire) => meta.skip(wire)
    }
    saver
  }
}
