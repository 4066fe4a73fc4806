package io.sparkdl.python

import scala.jdk.CollectionConverters._

import io.sparkdl.tf.{SavedModel, Signature, TfRuntime}

/** Entry points of the `io.sparkdl.tf` runtime shaped for py4j: Java arrays and lists in, no
 * Scala default arguments or collections. Used by `sparkdl.runtime`. */
object PythonRuntime {
  def loadSavedModel(exportDir: String, tags: Array[String]): SavedModel =
    SavedModel.load(exportDir, tags.toSeq)

  def outputKeys(signature: Signature): java.util.List[String] =
    signature.outputs.keys.toSeq.sorted.asJava

  def tfVersion(): String = TfRuntime.version
}
