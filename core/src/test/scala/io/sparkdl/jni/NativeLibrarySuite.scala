package io.sparkdl.jni

import java.io.File
import java.lang.reflect.Modifier
import java.net.URLClassLoader
import java.nio.file.{Files, Path, Paths}
import java.nio.file.attribute.PosixFilePermissions
import java.util.Comparator

import scala.sys.process._

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck

class NativeLibrarySuite extends AnyFunSuite with NativeLeakCheck {

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
      // setenv beside other threads' getenv is unsafe (env.cc): the library must not use it.
      val imports = Seq("nm", "-D", "--undefined-only", lib.toString).!!
      assert(!imports.linesIterator.exists(_.matches(".*\\b(setenv|putenv|unsetenv)\\b.*")), imports)
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

  private def withTempDir[T](body: Path => T): T = {
    val dir = Files.createTempDirectory("sparkdl-native-suite")
    try body(dir)
    finally Files.walk(dir).sorted(Comparator.reverseOrder[Path]()).forEach(p => Files.delete(p))
  }

  test("the cache directory is created 0700 and refused when others may write it, or a link") {
    withTempDir { base =>
      val created = NativeLibrary.privateDirectory(base.resolve("cache"))
      assert(PosixFilePermissions.toString(Files.getPosixFilePermissions(created)) == "rwx------")
      assert(NativeLibrary.privateDirectory(created) == created) // reused as it is
      val open = Files.createDirectory(base.resolve("open"))
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"))
      val e = intercept[IllegalStateException](NativeLibrary.privateDirectory(open))
      assert(e.getMessage.contains(s"from $open: group or others may write to it (mode rwxrwxrwx)"), e.getMessage)
      assert(e.getMessage.contains("-Dsparkdl.native.dir"), e.getMessage)
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwx---"))
      intercept[IllegalStateException](NativeLibrary.privateDirectory(open))
      val link = Files.createSymbolicLink(base.resolve("link"), created)
      assert(intercept[IllegalStateException](NativeLibrary.privateDirectory(link)).getMessage
        .contains("not a directory"))
    }
  }

  test("a cache directory owned by another user is refused") {
    withTempDir { base =>
      val dir = Files.createDirectory(base.resolve("theirs"))
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"))
      val lookup = dir.getFileSystem.getUserPrincipalLookupService
      val other = scala.util.Try(lookup.lookupPrincipalByName("nobody")).toOption
      // Only root may give a file away; elsewhere this test has nothing to check.
      assume(other.isDefined && scala.util.Try(Files.setOwner(dir, other.get)).isSuccess, "cannot chown")
      val e = intercept[IllegalStateException](NativeLibrary.privateDirectory(dir))
      assert(e.getMessage.contains("owned by 'nobody'"), e.getMessage)
    }
  }

  test("an extracted file of the right size but other content is replaced before use") {
    withTempDir { base =>
      val dir = NativeLibrary.privateDirectory(base.resolve("cache"))
      // One resource from a jar (its entry's CRC names it), one from a classes folder.
      val fromJar = getClass.getClassLoader.getResource("org/tensorflow/internal/c_api/linux-x86_64/LICENSE")
      val fromFolder = getClass.getClassLoader.getResource("io/sparkdl/native/linux-x86_64/libsparkdl_env.so")
      for ((url, name) <- Seq(fromJar -> "LICENSE", fromFolder -> "env.so")) {
        assert(url != null, name)
        val genuine = { val in = url.openStream(); try in.readAllBytes() finally in.close() }
        val target = NativeLibrary.extract(url, dir.resolve(name))
        assert(Files.readAllBytes(target).sameElements(genuine))
        val planted = genuine.clone()
        planted(planted.length / 2) = (planted(planted.length / 2) ^ 1).toByte
        Files.write(target, planted) // same size, and the sidecar still names the genuine file
        val modified = Files.getLastModifiedTime(target)
        assert(NativeLibrary.extract(url, target) == target)
        assert(Files.readAllBytes(target).sameElements(genuine), s"$name: the planted file was kept")
        // A genuine file is reused as it is.
        NativeLibrary.extract(url, target)
        assert(Files.readAllBytes(target).sameElements(genuine))
        assert(Files.getLastModifiedTime(target).compareTo(modified) >= 0)
        // Our own libraries: written again unless the file hashes to the jar's bytes.
        val ours = dir.resolve(s"ours-$name")
        Files.write(ours, planted)
        NativeLibrary.writeVerified(genuine, NativeLibrary.sha256(genuine), ours)
        assert(Files.readAllBytes(ours).sameElements(genuine))
      }
    }
  }

  test("a fresh JVM replaces a planted library of the right size instead of loading it") {
    withTempDir { base =>
      val props = new java.util.Properties
      val in = getClass.getClassLoader.getResourceAsStream("io/sparkdl/sparkdl.properties")
      try props.load(in) finally in.close()
      val cache = NativeLibrary.privateDirectory(base.resolve("cache"))
      for (name <- Seq("libsparkdl_env", "libsparkdl_jni")) {
        val genuine = {
          val s = getClass.getClassLoader.getResourceAsStream(s"io/sparkdl/native/linux-x86_64/$name.so")
          try s.readAllBytes() finally s.close()
        }
        val file = cache.resolve(s"$name-${props.getProperty("version")}-${NativeLibrary.sha256(genuine).take(16)}.so")
        Files.write(file, Array.fill[Byte](genuine.length)(0x42)) // not even an ELF file
      }
      NativeLibrary.load() // this JVM's TF runtime, reused by the fresh one: no 600 MB extraction
      val tfDir = Paths.get(System.getProperty("java.io.tmpdir"), "sparkdl-" + System.getProperty("user.name"),
        "tensorflow-" + props.getProperty("tensorflow.version"))
      val javaBin = new File(sys.props("java.home"), "bin/java").getPath
      val process = new java.lang.ProcessBuilder(javaBin, s"-Dsparkdl.native.dir=$cache",
        s"-Dsparkdl.tf.libdir=$tfDir", "-cp", sys.props("java.class.path"), "io.sparkdl.jni.LoadNativeLibrary")
        .redirectErrorStream(true).start()
      val log = new String(process.getInputStream.readAllBytes(), "UTF-8")
      assert(process.waitFor() == 0, log)
      assert(log.contains("2.18.0"), log)
    }
  }
}
