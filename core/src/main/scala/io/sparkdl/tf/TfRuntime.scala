package io.sparkdl.tf

import io.sparkdl.jni.NativeBindings

/** Facts about the loaded TensorFlow runtime. */
object TfRuntime {

  /** The runtime's version, e.g. "2.18.0"; loads the native code if needed. */
  def version: String = Native.call(NativeBindings.tfVersion())
}
