package io.sparkdl.cluster

import java.io.File
import java.net.{InetAddress, ServerSocket, URI}
import java.nio.file.{Files, Path, Paths}

import scala.jdk.CollectionConverters._
import scala.util.Using

/**
 * A Spark standalone cluster on loopback for a suite: a master and `workers` workers of `cores`
 * cores, each started with pyspark's `bin/spark-class` (the Spark of the Python package, the same
 * version as the build's). Executors are JVMs the workers start; they get sparkdl only from the
 * application's `spark.jars`. Ports are chosen at run time; [[stop]] kills the daemons and every
 * process they started (`ProcessHandle.descendants`), whatever failed.
 */
final class StandaloneCluster(root: Path, workers: Int = 2, cores: Int = 1, memory: String = "1g")
    extends AutoCloseable {
  import StandaloneCluster._

  private var daemons = List.empty[Process]
  private val masterPort = freePort()
  private val masterUi = freePort()

  val masterUrl: String = s"spark://$Loopback:$masterPort"

  def start(): this.type = {
    sys.addShutdownHook(stop()) // a test JVM that exits early still stops the cluster
    try {
      launch("master", "org.apache.spark.deploy.master.Master",
        Seq("--host", Loopback, "--port", masterPort.toString, "--webui-port", masterUi.toString))
      waitFor("the master's web UI")(masterState.isDefined)
      for (i <- 0 until workers) {
        val work = Files.createDirectories(root.resolve(s"worker-$i"))
        launch(s"worker-$i", "org.apache.spark.deploy.worker.Worker",
          Seq("--host", Loopback, "--port", freePort().toString, "--webui-port", freePort().toString,
            "--cores", cores.toString, "--memory", memory, "--work-dir", work.toString, masterUrl))
      }
      waitFor(s"$workers workers to register")(aliveWorkers == workers)
      this
    } catch { case e: Throwable => stop(); throw e }
  }

  /** Kills each daemon's descendants (executors, their Python workers), then the daemon. */
  def stop(): Unit = synchronized {
    daemons.foreach { d =>
      val handle = d.toHandle
      handle.descendants().iterator().asScala.toList.foreach(_.destroyForcibly())
      handle.destroy()
    }
    daemons.foreach { d =>
      if (!d.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) d.destroyForcibly().waitFor()
    }
    daemons = Nil
  }

  override def close(): Unit = stop()

  /** The executor JVMs running now: the workers' children running the executor backend. */
  def executorPids: Set[Long] =
    daemons.flatMap(_.toHandle.descendants().iterator().asScala)
      .filter(_.info().commandLine().orElse("").contains(ExecutorMain))
      .map(_.pid()).toSet

  private def launch(name: String, main: String, args: Seq[String]): Unit = {
    val logs = Files.createDirectories(root.resolve("logs"))
    val conf = Files.createDirectories(root.resolve("conf"))
    val pb = new ProcessBuilder((Seq(sparkHome.resolve("bin/spark-class").toString, main) ++ args).asJava)
      .directory(root.toFile)
      .redirectErrorStream(true)
      .redirectOutput(logs.resolve(s"$name.log").toFile)
      .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
    val env = pb.environment()
    env.put("SPARK_HOME", sparkHome.toString)
    env.put("SPARK_CONF_DIR", conf.toString)
    env.put("SPARK_LOCAL_IP", Loopback)
    env.put("SPARK_LOCAL_DIRS", root.resolve("local").toString)
    env.put("SPARK_DAEMON_MEMORY", "256m")
    daemons = pb.start() :: daemons
  }

  private def masterState: Option[String] =
    try Some(Using.resource(URI.create(s"http://$Loopback:$masterUi/json/").toURL.openStream())(s =>
      new String(s.readAllBytes(), "UTF-8")))
    catch { case _: java.io.IOException => None }

  private def aliveWorkers: Int = masterState.map(s => "\"state\"\\s*:\\s*\"ALIVE\"".r.findAllIn(s).size).getOrElse(0)
}

object StandaloneCluster {
  val Loopback = "127.0.0.1"
  val ExecutorMain = "org.apache.spark.executor.CoarseGrainedExecutorBackend"

  /** pyspark's directory (bin/spark-class, jars/), which the build passes as a system property. */
  lazy val sparkHome: Path = {
    val home = sys.props.get("sparkdl.test.sparkHome").map(Paths.get(_))
    require(home.exists(h => Files.isExecutable(h.resolve("bin/spark-class"))),
      s"no Spark to start a cluster with at ${home.getOrElse("(sparkdl.test.sparkHome unset)")}: " +
        "run dev/setup, which installs pyspark into .venv")
    home.get
  }

  /** sparkdl's jar and the TF runtime jars, as `spark.jars` takes them (passed by the build). */
  lazy val sparkdlJars: String = {
    val jars = sys.props.getOrElse("sparkdl.test.jars", "")
    require(jars.split(",").exists(_.contains("sparkdl_")), s"sparkdl.test.jars names no sparkdl jar: '$jars'")
    jars
  }

  def freePort(): Int = Using.resource(new ServerSocket(0, 1, InetAddress.getByName(Loopback)))(_.getLocalPort)

  /** Polls `condition` until it holds; fails naming `what` after `seconds`. */
  def waitFor(what: String, seconds: Int = 120)(condition: => Boolean): Unit = {
    val deadline = System.nanoTime() + seconds * 1000000000L
    while (!condition) {
      if (System.nanoTime() > deadline) throw new AssertionError(s"timed out after ${seconds}s waiting for $what")
      Thread.sleep(50)
    }
  }
}
