package io.sparkdl.jni

import java.io.File
import java.lang.reflect.Modifier
import java.net.URLClassLoader
import java.nio.file.Files

import scala.sys.process._

import org.scalatest.funsuite.AnyFunSuite

class NativeLibrarySuite extends AnyFunSuite {

  test("the runtime loads and reports TF 2.18.0") {
    NativeLibrary.load()
    NativeLibrary.load()
    assert(NativeLibrary.isLoaded)
    assert(NativeBindings.tfVersion().startsWith("2.18.0"))
  }

  test("the bundled library exports only JNI symbols") {
    val resource = getClass.getClassLoader.getResource("io/sparkdl/native/linux-x86_64/libsparkdl_jni.so")
    assert(resource != null, "the native library is not on the classpath")
    val lib = Files.createTempFile("libsparkdl_jni", ".so")
    try {
      val in = resource.openStream()
      try Files.copy(in, lib, java.nio.file.StandardCopyOption.REPLACE_EXISTING) finally in.close()
      val symbols = Seq("nm", "-D", "--defined-only", lib.toString).!!.linesIterator
        .map(_.trim.split("\\s+")).collect { case Array(_, _, name) => name }.toSeq
      val declared = classOf[NativeBindings].getDeclaredMethods.toSeq
        .filter(m => Modifier.isNative(m.getModifiers)).map("Java_io_sparkdl_jni_NativeBindings_" + _.getName)
      assert(declared.size > 30)
      assert(symbols.filter(_.startsWith("Java_")).toSet == declared.toSet)
      val others = symbols.filterNot(s => s.startsWith("Java_") || s.startsWith("JNI_On"))
      assert(others.isEmpty, s"non-JNI exports: ${others.take(10)}")
    } finally Files.delete(lib)
  }

  test("a second class loader loads its own copy over the same TF runtime") {
    NativeLibrary.load()
    val urls = sys.props("java.class.path").split(File.pathSeparator).map(p => new File(p).toURI.toURL)
    val isolated = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader)
    try {
      val loader = isolated.loadClass("io.sparkdl.jni.NativeLibrary")
      assert(loader ne classOf[NativeLibrary])
      loader.getMethod("load").invoke(null)
      val bindings = isolated.loadClass("io.sparkdl.jni.NativeBindings")
      assert(bindings.getMethod("tfVersion").invoke(null) == NativeBindings.tfVersion())
      val graph = bindings.getMethod("graphNew").invoke(null).asInstanceOf[Long]
      bindings.getMethod("graphDelete", classOf[Long]).invoke(null, Long.box(graph))
    } finally isolated.close()
  }

  test("zero handles are rejected with IllegalArgumentException, not a crash") {
    NativeLibrary.load()
    intercept[IllegalArgumentException](NativeBindings.graphOperation(0L, "x"))
    intercept[IllegalArgumentException](NativeBindings.tensorDelete(0L))
    intercept[IllegalArgumentException](NativeBindings.sessionRun(0L, null, null, null, null, null, null, null))
    intercept[IllegalArgumentException](NativeBindings.tensorAllocate(1, Array(2L), 7L))
  }
}
