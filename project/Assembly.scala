import java.io.{BufferedOutputStream, FileOutputStream}
import java.util.zip.{ZipEntry, ZipFile, ZipOutputStream}

import sbt._
import sbt.Keys._

/** `core/assembly`: one jar that a Spark application needs nothing else with, used as the
 * original library's was: `spark-submit --jars sparkdl-assembly.jar --py-files
 * sparkdl-assembly.jar app.py`. It holds sparkdl's classes and native library, the TF runtime's
 * shared libraries (from `tensorflow-core-native`'s platform jar, where NativeLibrary looks for
 * them) and the Python package at its root, so `import sparkdl` works from the jar on
 * `sys.path`. Spark and Scala are not in it: the cluster provides them. */
object Assembly {
  val assembly = taskKey[File]("Builds target/sparkdl-assembly-<version>.jar (see project/Assembly.scala).")

  /** Entries of the TF platform jar that the runtime needs: its shared libraries and licence. */
  private val tfRuntimePrefix = "org/tensorflow/internal/c_api/"

  def settings(pythonWrappers: Def.Initialize[Task[Seq[File]]]): Seq[Setting[_]] = Seq(
    assembly := {
      pythonWrappers.value // the Python package ships the generated stage bases
      val ours = (Compile / packageBin).value
      val tfJars = (Runtime / externalDependencyClasspath).value.files
        .filter(f => f.getName.startsWith("tensorflow-core-native-") && f.getName.contains("-linux-"))
      val python = (ThisBuild / baseDirectory).value / "python"
      val out = target.value / s"sparkdl-assembly-${version.value}.jar"
      val log = streams.value.log
      if (tfJars.isEmpty) sys.error("assembly: no tensorflow-core-native platform jar on the classpath")
      val pythonFiles = pythonSources(python)
      write(out, ours, tfJars, pythonFiles)
      log.info(s"assembly: wrote $out (${out.length / (1 << 20)} MiB)")
      out
    }
  )

  /** Python modules and data of the packages the wheel ships, minus the jars folder. */
  private def pythonSources(python: File): Seq[(File, String)] = {
    val packages = Seq("sparkdl", "tensorframes").map(python / _).filter(_.isDirectory)
    val standalone = Seq("tensorframes.py").map(python / _).filter(_.isFile)
    val files = packages.flatMap { dir =>
      (dir ** ("*.py" || "*.json" || "VERSION")).get
        .filterNot(f => f.getPath.contains(s"${java.io.File.separator}jars${java.io.File.separator}"))
        .filterNot(_.getPath.contains("__pycache__"))
    } ++ standalone
    files.map(f => f -> IO.relativize(python, f).getOrElse(sys.error(s"not under $python: $f")))
  }

  private def write(out: File, ours: File, tfJars: Seq[File], python: Seq[(File, String)]): Unit = {
    IO.createDirectory(out.getParentFile)
    val tmp = new File(out.getPath + ".part")
    val zip = new ZipOutputStream(new BufferedOutputStream(new FileOutputStream(tmp), 1 << 20))
    val seen = scala.collection.mutable.Set.empty[String]
    def copyFrom(jar: File, keep: String => Boolean): Unit = {
      val in = new ZipFile(jar)
      try {
        val entries = in.entries()
        while (entries.hasMoreElements) {
          val e = entries.nextElement()
          if (!e.isDirectory && keep(e.getName) && seen.add(e.getName)) {
            zip.putNextEntry(new ZipEntry(e.getName))
            val stream = in.getInputStream(e)
            try IO.transfer(stream, zip)
            finally stream.close()
            zip.closeEntry()
          }
        }
      } finally in.close()
    }
    try {
      copyFrom(ours, _ => true) // its manifest first
      tfJars.foreach(copyFrom(_, _.startsWith(tfRuntimePrefix)))
      python.foreach { case (file, name) =>
        if (seen.add(name)) {
          zip.putNextEntry(new ZipEntry(name))
          IO.transfer(file, zip)
          zip.closeEntry()
        }
      }
    } finally zip.close()
    IO.move(tmp, out)
  }
}
