import java.io.{File, FileInputStream}
import java.util.Properties

/** The versions written in versions.properties, at the build's root: the build reads them here. */
object Versions {
  val file: File = new File("versions.properties").getAbsoluteFile

  private lazy val properties: Properties = {
    // sbt runs with the build's root as its working directory (build/sbt changes into it).
    if (!file.isFile) sys.error(s"$file is missing: sbt must run in sparkdl's root directory")
    val props = new Properties
    val in = new FileInputStream(file)
    try props.load(in)
    finally in.close()
    props
  }

  private def apply(key: String): String =
    Option(properties.getProperty(key)).map(_.trim).filter(_.nonEmpty)
      .getOrElse(sys.error(s"$file sets no '$key'"))

  /** sparkdl's own version: python/sparkdl/VERSION, which the wheel's metadata reads too. */
  lazy val sparkdl: String = {
    val f = new File("python/sparkdl/VERSION").getAbsoluteFile
    if (!f.isFile) sys.error(s"$f is missing: sbt must run in sparkdl's root directory")
    val v = new String(java.nio.file.Files.readAllBytes(f.toPath), "US-ASCII").trim
    if (v.isEmpty) sys.error(s"$f is empty; expected sparkdl's version") else v
  }
  lazy val spark: String = apply("spark")
  lazy val scala: String = apply("scala")
  lazy val tensorflow: String = apply("tensorflow")
  lazy val tensorflowJava: String = apply("tensorflow.java")
}
