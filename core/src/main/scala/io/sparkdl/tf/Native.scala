package io.sparkdl.tf

import io.sparkdl.jni.{NativeException, NativeLibrary}

/** Every native call of this layer goes through [[Native.call]]: it loads the library once and
 * turns the bridge's [[NativeException]] into the [[TfException]] subclass of its code. */
private[tf] object Native {
  private lazy val loaded: Unit = NativeLibrary.load()

  @inline def call[T](body: => T): T = {
    loaded
    try body
    catch { case e: NativeException => throw TfException.of(e.code, e.getMessage) }
  }
}
