package io.sparkdl.tf

import io.sparkdl.jni.NativeBindings

/** Facts about the loaded TensorFlow runtime. */
object TfRuntime {

  /** The runtime's version, e.g. "2.18.0"; loads the native code if needed. */
  def version: String = Native.call(NativeBindings.tfVersion())

  /** Whether TF's oneDNN kernels run in this process: sparkdl turns them on unless the user's
   * TF_ENABLE_ONEDNN_OPTS (read by TF as a bool: 0/false, 1/true) turns them off. */
  def oneDnnEnabled: Boolean =
    Option(System.getenv("TF_ENABLE_ONEDNN_OPTS")).map(_.trim.toLowerCase).forall(v => v != "0" && v != "false")
}
