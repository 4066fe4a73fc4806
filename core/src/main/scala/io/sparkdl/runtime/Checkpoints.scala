package io.sparkdl.runtime

import java.nio.charset.StandardCharsets

import scala.util.Using

import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.spark.SparkContext
import org.apache.spark.util.SerializableConfiguration

/**
 * A data-parallel fit's checkpoints in a Hadoop filesystem directory: after epoch n, worker 0
 * writes `epoch-<n>.model` (the SavedModel archive: variables and optimizer state) and
 * `epoch-<n>.history` (the epochs so far), each under a temporary name first and renamed, the
 * history last, so an epoch whose history exists is complete. The driver picks the latest
 * complete epoch before it submits a retry, so every worker resumes from the same one.
 */
private[sparkdl] final case class Checkpoints(dir: String, hadoopConf: SerializableConfiguration) {
  private def fs: FileSystem = new Path(dir).getFileSystem(hadoopConf.value)
  private def file(epoch: Int, kind: String) = new Path(dir, s"epoch-$epoch.$kind")

  def save(epoch: Int, model: Array[Byte], history: Seq[EpochMetrics]): Unit = {
    write(file(epoch, "model"), model)
    write(file(epoch, "history"), history.map(Checkpoints.line).mkString("\n").getBytes(StandardCharsets.UTF_8))
  }

  /** The latest epoch with a complete checkpoint. */
  def latest(): Option[Int] = {
    val path = new Path(dir)
    if (!fs.exists(path)) None
    else fs.listStatus(path).map(_.getPath.getName).collect {
      case Checkpoints.History(n) => n.toInt
    }.maxOption
  }

  /** Epoch n's model archive and history. */
  def load(epoch: Int): (Array[Byte], Seq[EpochMetrics]) = {
    def read(p: Path) = Using.resource(fs.open(p))(_.readAllBytes())
    val lines = new String(read(file(epoch, "history")), StandardCharsets.UTF_8).split("\n").filter(_.nonEmpty)
    (read(file(epoch, "model")), lines.toSeq.map(Checkpoints.parse))
  }

  /** Makes the directory: the driver does, before the fit's first job. */
  def create(): Unit = fs.mkdirs(new Path(dir))

  def delete(): Unit = fs.delete(new Path(dir), true)

  // Never recreates the directory: a cancelled worker still saving after the driver deleted it
  // (its task stops asynchronously) fails instead of leaving files behind.
  private def write(target: Path, bytes: Array[Byte]): Unit = {
    val tmp = new Path(target.getParent, s".${target.getName}.tmp")
    val f = fs
    Using.resource(f.createNonRecursive(tmp, true, 65536, f.getDefaultReplication(tmp), f.getDefaultBlockSize(tmp),
      null))(_.write(bytes))
    fs.delete(target, false)
    if (!fs.rename(tmp, target)) throw new java.io.IOException(s"could not rename $tmp to $target")
  }
}

private[sparkdl] object Checkpoints {

  /**
   * Where data-parallel fits without a checkpointDir keep their checkpoints, in a directory of
   * their own under it, deleted when they end: a directory the driver and every executor can
   * read. SparkContext's checkpoint directory when set; else in local mode (driver and executors
   * one process) the driver's first local directory (SPARK_LOCAL_DIRS, spark.local.dir, else
   * java.io.tmpdir) as a file: URI; else the home directory of the Hadoop default filesystem
   * when it is a shared one (HDFS, S3A...). A cluster whose default filesystem is the local one
   * has none: its executors cannot read the driver's disk.
   */
  def temporaryRoot(sc: SparkContext): Option[Path] =
    sc.getCheckpointDir.map(new Path(_)).orElse {
      if (sc.isLocal) {
        val dirs = sys.env.get("SPARK_LOCAL_DIRS")
          .orElse(sc.getConf.getOption("spark.local.dir"))
          .getOrElse(System.getProperty("java.io.tmpdir"))
        Some(new Path(new java.io.File(dirs.split(",").head.trim).getAbsoluteFile.toURI))
      } else {
        val fs = FileSystem.get(sc.hadoopConfiguration)
        Option.when(fs.getScheme != "file")(new Path(fs.getHomeDirectory, ".sparkdl-checkpoints"))
      }
    }
  private val History = "epoch-(\\d+)\\.history".r

  // epoch, rows, seconds, then key=value; doubles as Java prints them (they read back exactly).
  private def line(e: EpochMetrics): String =
    (Seq(e.epoch.toString, e.rows.toString, e.seconds.toString) ++
      e.metrics.toSeq.sortBy(_._1).map { case (k, v) => s"$k=$v" }).mkString("\t")

  private def parse(line: String): EpochMetrics = {
    val f = line.split("\t")
    EpochMetrics(f(0).toInt, f.drop(3).map { kv =>
      val i = kv.lastIndexOf('=')
      kv.substring(0, i) -> kv.substring(i + 1).toDouble
    }.toMap, f(1).toLong, f(2).toDouble)
  }
}
