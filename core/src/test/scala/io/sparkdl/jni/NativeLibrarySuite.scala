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

  /** `use` applied to a temporary copy of the bundled native library `name`. */
  private def bundled[T](name: String)(use: java.nio.file.Path => T): T = {
    val resource = getClass.getClassLoader.getResource(s"io/sparkdl/native/linux-x86_64/$name")
    assert(resource != null, s"$name is not on the classpath")
    val lib = Files.createTempFile(name, ".so")
    try {
      val in = resource.openStream()
      try Files.copy(in, lib, java.nio.file.StandardCopyOption.REPLACE_EXISTING) finally in.close()
      use(lib)
    } finally Files.delete(lib)
  }

  private def exports(lib: java.nio.file.Path): Seq[String] =
    Seq("nm", "-D", "--defined-only", lib.toString).!!.linesIterator
      .map(_.trim.split("\\s+")).collect { case Array(_, _, name) => name }.toSeq

  test("the bundled libraries export only JNI symbols, together every native method once") {
    val declared = classOf[NativeBindings].getDeclaredMethods.toSeq
      .filter(m => Modifier.isNative(m.getModifiers)).map("Java_io_sparkdl_jni_NativeBindings_" + _.getName)
    assert(declared.size > 30)
    val jniExports = bundled("libsparkdl_jni.so")(exports)
    val envExports = bundled("libsparkdl_env.so") { lib =>
      // It must load before TF: a dependency on TF would load TF first.
      val needed = Seq("readelf", "-d", lib.toString).!!
      assert(!needed.contains("tensorflow"), needed)
      exports(lib)
    }
    assert(envExports == Seq("Java_io_sparkdl_jni_NativeBindings_setEnvDefault"))
    val all = jniExports ++ envExports
    assert(all.filter(_.startsWith("Java_")).sorted == declared.sorted)
    val others = all.filterNot(s => s.startsWith("Java_") || s.startsWith("JNI_On"))
    assert(others.isEmpty, s"non-JNI exports: ${others.take(10)}")
  }

  /** Output of a fresh JVM that loads sparkdl's native code, TF logging everything, `env` set. */
  private def freshJvmLog(env: (String, String)*): String = {
    val javaBin = new File(sys.props("java.home"), "bin/java").getPath
    val builder = new java.lang.ProcessBuilder(javaBin, "-cp", sys.props("java.class.path"), "io.sparkdl.jni.LoadNativeLibrary")
    builder.environment().remove("TF_ENABLE_ONEDNN_OPTS")
    builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "0")
    env.foreach { case (k, v) => builder.environment().put(k, v) }
    val process = builder.redirectErrorStream(true).start()
    val log = new String(process.getInputStream.readAllBytes(), "UTF-8")
    assert(process.waitFor() == 0, log)
    log
  }

  test("TF's oneDNN kernels are on by default, unless the environment says otherwise") {
    val onMessage = "oneDNN custom operations are on"
    assert(freshJvmLog().contains(onMessage))
    assert(!freshJvmLog("TF_ENABLE_ONEDNN_OPTS" -> "0").contains(onMessage))
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

  test("without the TF runtime, the error names the TF jar and wheel of the build's versions") {
    val props = new java.util.Properties
    val in = getClass.getClassLoader.getResourceAsStream("io/sparkdl/sparkdl.properties")
    try props.load(in) finally in.close()
    val tf = props.getProperty("tensorflow.version")
    val tfJava = props.getProperty("tensorflow.java.version")
    assert(Seq(tf, tfJava).forall(v => v != null && v.matches("\\d+\\.\\d+\\.\\d+")), props)
    val urls = sys.props("java.class.path").split(File.pathSeparator)
      .filterNot(_.contains("tensorflow-core-native")).map(p => new File(p).toURI.toURL)
    val isolated = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader)
    val thread = Thread.currentThread
    val context = thread.getContextClassLoader
    thread.setContextClassLoader(isolated) // NativeLibrary looks for TF there too
    try {
      val e = intercept[java.lang.reflect.InvocationTargetException] {
        isolated.loadClass("io.sparkdl.jni.NativeLibrary").getMethod("load").invoke(null)
      }
      val message = e.getCause.getMessage
      assert(e.getCause.isInstanceOf[UnsatisfiedLinkError], message)
      val jar = s"org.tensorflow:tensorflow-core-native:$tfJava:linux-x86_64"
      assert(message.contains(jar), message)
      assert(message.contains(s"tensorflow-cpu==$tf"), message)
    } finally {
      thread.setContextClassLoader(context)
      isolated.close()
    }
  }

  test("zero handles are rejected with IllegalArgumentException, not a crash") {
    NativeLibrary.load()
    intercept[IllegalArgumentException](NativeBindings.graphOperation(0L, "x"))
    intercept[IllegalArgumentException](NativeBindings.tensorDelete(0L))
    intercept[IllegalArgumentException](NativeBindings.sessionRun(0L, null, null, null, null, null, null, null))
    intercept[IllegalArgumentException](NativeBindings.tensorAllocate(1, Array(2L), 7L))
  }
}
