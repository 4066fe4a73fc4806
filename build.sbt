// sparkdl: Deep Learning Pipelines for Apache Spark.
import NativeBuild._

// Versions are written once, in versions.properties (project/Versions.scala reads it).
val sparkVersion = Versions.spark
val tfJavaVersion = Versions.tensorflowJava

ThisBuild / organization := "io.sparkdl"
ThisBuild / version := Versions.sparkdl
ThisBuild / scalaVersion := Versions.scala
ThisBuild / licenses := Seq("Apache-2.0" -> url("https://www.apache.org/licenses/LICENSE-2.0"))

// Spark on Java 17 needs these opens; tests fork with them (spark-submit adds the same).
val javaOpens = Seq(
  "java.base/java.lang", "java.base/java.lang.invoke", "java.base/java.lang.reflect",
  "java.base/java.io", "java.base/java.net", "java.base/java.nio", "java.base/java.util",
  "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic",
  "java.base/jdk.internal.ref", "java.base/sun.nio.ch", "java.base/sun.nio.cs",
  "java.base/sun.security.action", "java.base/sun.util.calendar"
).map(p => s"--add-opens=$p=ALL-UNNAMED")

val pythonJars = taskKey[Seq[File]](
  "Copies sparkdl's jar and its runtime dependencies (not Spark's) into python/sparkdl/jars."
)
val pythonWrappers = taskKey[Seq[File]](
  "Generates python/sparkdl/_gen (the Python stages' bases) from core's compiled Scala stages."
)

lazy val root = (project in file("."))
  .aggregate(core, codegen)
  .settings(publish / skip := true, publishLocal / skip := true)

lazy val core = (project in file("core"))
  .settings(NativeBuild.settings)
  .settings(Assembly.settings(LocalProject("codegen") / pythonWrappers))
  .settings(
    name := "sparkdl",
    javacOptions ++= Seq("--release", "17"),
    scalacOptions ++= Seq("-release", "17", "-deprecation", "-feature", "-unchecked", "-Xlint"),
    libraryDependencies ++= Seq(
      "org.apache.spark" %% "spark-sql" % sparkVersion % Provided,
      "org.apache.spark" %% "spark-mllib" % sparkVersion % Provided,
      // io.sparkdl.connect's command plugin (the server's jar, shaded: grpc and protobuf inside).
      ("org.apache.spark" %% "spark-connect" % sparkVersion % Provided).intransitive(),
      // The TF runtime binaries: the jar under the classifier carries libtensorflow_{cc,framework}.
      "org.tensorflow" % "tensorflow-core-native" % tfJavaVersion intransitive(),
      ("org.tensorflow" % "tensorflow-core-native" % tfJavaVersion classifier platform) intransitive(),
      "org.scalatest" %% "scalatest" % "3.2.19" % Test
    ),
    // dev/test publishes every build into ~/.m2 for the --packages check: a release version
    // (0.1.0, the one version of the wheel and the jar) must be replaced there, not refused.
    publishM2Configuration := publishM2Configuration.value.withOverwrite(true),
    // What NativeLibrary names in its cache files and error messages.
    Compile / resourceGenerators += Def.task {
      val out = (Compile / resourceManaged).value / "io" / "sparkdl" / "sparkdl.properties"
      IO.write(
        out,
        s"version=${version.value}\ntensorflow.version=${Versions.tensorflow}\n" +
          s"tensorflow.java.version=$tfJavaVersion\nplatform=$platform\n"
      )
      Seq(out)
    }.taskValue,
    // ImageNet's class names for DeepImagePredictor's decodePredictions: the list sparkdl's Python
    // model store ships, so Scala and Python name classes alike. Absent (the Python package not
    // there yet), the jar has none and decodePredictions says so when used.
    Compile / resourceGenerators += Def.task {
      val src = (ThisBuild / baseDirectory).value / "python" / "sparkdl" / "models" / "imagenet_classes.json"
      val out = (Compile / resourceManaged).value / "io" / "sparkdl" / "models" / "imagenet_classes.json"
      if (src.isFile) {
        IO.copyFile(src, out)
        Seq(out)
      } else {
        IO.delete(out)
        Nil
      }
    }.taskValue,
    Test / fork := true,
    Test / javaOptions ++= javaOpens ++ Seq(
      "-Xcheck:jni", "-Xmx2g",
      s"-Dsparkdl.test.fixtures=${(ThisBuild / baseDirectory).value / "target" / "fixtures"}"
    ),
    // ClusterSuite's standalone cluster: pyspark's Spark (bin/spark-class) from the venv, and the
    // jars its executors get by spark.jars (sparkdl's packaged jar, the TF runtime jars).
    Test / javaOptions ++= {
      val venv = (ThisBuild / baseDirectory).value / ".venv" / "lib"
      val sparkHome = (venv * "python3*" / "site-packages" / "pyspark").get.headOption
      val deps = (Runtime / externalDependencyClasspath).value.files.filterNot(_.getName.startsWith("scala-"))
      val jars = (Compile / packageBin).value +: deps
      sparkHome.map(h => s"-Dsparkdl.test.sparkHome=$h").toSeq :+ s"-Dsparkdl.test.jars=${jars.mkString(",")}"
    },
    Test / envVars += "TF_CPP_MIN_LOG_LEVEL" -> "1", // TF's INFO lines drown the test report
    Test / testOptions += Tests.Argument(TestFrameworks.ScalaTest, "-oD"),
    Test / parallelExecution := false,
    pythonJars := {
      (LocalProject("codegen") / pythonWrappers).value // the package ships wrappers of these classes
      val out = (ThisBuild / baseDirectory).value / "python" / "sparkdl" / "jars"
      val deps = (Runtime / externalDependencyClasspath).value.files.filterNot(_.getName.startsWith("scala-"))
      val jars = (Compile / packageBin).value +: deps
      IO.createDirectory(out)
      (out * "*.jar").get.filterNot(f => jars.exists(_.getName == f.getName)).foreach(IO.delete)
      jars.map { jar =>
        val target = out / jar.getName
        if (!target.exists || target.length != jar.length || target.lastModified < jar.lastModified) {
          IO.copyFile(jar, target, preserveLastModified = true)
        }
        target
      }
    }
  )

// The Python wrapper generator (io.sparkdl.codegen.PythonWrappers) and its meta-tests. A project
// of its own so it runs with Spark on its classpath (core only has it Provided) and nothing of it
// ends up in sparkdl's published jar.
lazy val codegen = (project in file("codegen"))
  .dependsOn(core)
  .settings(
    name := "sparkdl-codegen",
    scalacOptions ++= Seq("-release", "17", "-deprecation", "-feature", "-unchecked", "-Xlint"),
    libraryDependencies ++= Seq(
      "org.apache.spark" %% "spark-mllib" % sparkVersion,
      "org.scalatest" %% "scalatest" % "3.2.19" % Test
    ),
    publish / skip := true,
    publishLocal / skip := true,
    run / fork := true,
    Test / fork := true,
    Test / javaOptions ++= javaOpens ++ Seq(
      s"-Dsparkdl.codegen.classes=${(core / Compile / classDirectory).value}",
      s"-Dsparkdl.codegen.out=${(ThisBuild / baseDirectory).value / "python" / "sparkdl" / "_gen"}"
    ),
    pythonWrappers := {
      (core / Compile / compile).value
      val classes = (core / Compile / classDirectory).value
      val out = (ThisBuild / baseDirectory).value / "python" / "sparkdl" / "_gen"
      val classpath = (Runtime / fullClasspath).value.files
      val args = Seq(classes.getPath, out.getPath)
      (Compile / run / runner).value
        .run("io.sparkdl.codegen.PythonWrappers", classpath, args, streams.value.log)
        .get
      (out * "*.py").get
    }
  )

// The benchmark suite's JVM entry points (bench/README.md); not published, not aggregated by root.
lazy val bench = (project in file("bench"))
  .dependsOn(core)
  .settings(
    name := "sparkdl-bench",
    scalacOptions ++= Seq("-release", "17", "-deprecation", "-feature", "-unchecked", "-Xlint"),
    libraryDependencies += "org.apache.spark" %% "spark-sql" % sparkVersion % Provided,
    publish / skip := true,
    publishLocal / skip := true
  )

// The guide's Scala programs (examples/scala), run by dev/run-examples; not published.
lazy val examples = (project in file("examples"))
  .dependsOn(core)
  .settings(
    name := "sparkdl-examples",
    Compile / scalaSource := baseDirectory.value / "scala",
    scalacOptions ++= Seq("-release", "17", "-deprecation", "-feature", "-unchecked", "-Xlint"),
    libraryDependencies += "org.apache.spark" %% "spark-mllib" % sparkVersion,
    publish / skip := true,
    publishLocal / skip := true,
    run / fork := true,
    run / javaOptions ++= javaOpens ++ Seq("-Xmx1g"),
    run / outputStrategy := Some(StdoutOutput)
  )
