package io.sparkdl.jni

/** A JVM that loads sparkdl's native code and exits: for tests of what happens at load time. */
object LoadNativeLibrary {
  def main(args: Array[String]): Unit = {
    NativeLibrary.load()
    println(NativeBindings.tfVersion())
  }
}
