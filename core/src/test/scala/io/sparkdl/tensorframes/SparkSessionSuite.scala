package io.sparkdl.tensorframes

import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicInteger

import scala.jdk.CollectionConverters._

import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import org.apache.spark.scheduler.{SparkListener, SparkListenerJobStart}
import org.apache.spark.sql.{DataFrame, Row, SparkSession}
import org.apache.spark.sql.types.{ArrayType, DataType, StructField, StructType}

import io.sparkdl.NativeLeakCheck

/**
 * One local SparkSession per suite (created in beforeAll, stopped in afterAll), plus a way to
 * count the Spark jobs a piece of code starts and to find the root cause of a task failure.
 */
trait SparkSessionSuite extends AnyFunSuite with BeforeAndAfterAll with NativeLeakCheck {

  private var started: Option[SparkSession] = None
  // The job group of every job started since the suite began, in start order.
  private val jobGroups = new ConcurrentLinkedQueue[String]()
  private val probes = new AtomicInteger()

  protected lazy val spark: SparkSession = {
    val s = SparkSession.builder()
      .master("local[2]")
      .appName(suiteName)
      .config("spark.ui.enabled", "false")
      .config("spark.sql.shuffle.partitions", "4")
      .getOrCreate()
    s.sparkContext.addSparkListener(new SparkListener {
      override def onJobStart(jobStart: SparkListenerJobStart): Unit = {
        val group = Option(jobStart.properties).flatMap(p => Option(p.getProperty("spark.jobGroup.id")))
        jobGroups.add(group.getOrElse(""))
      }
    })
    started = Some(s)
    s
  }

  override def beforeAll(): Unit = {
    super.beforeAll()
    spark
  }

  override def afterAll(): Unit =
    try {
      started.foreach(_.stop())
      started = None
      SparkSession.clearActiveSession()
      SparkSession.clearDefaultSession()
    } finally super.afterAll()

  /**
   * Runs `body` under a fresh job group and returns its result with the number of Spark jobs it
   * started. The listener bus is asynchronous, so a sentinel job is run afterwards and awaited:
   * events reach a listener in order, so once the sentinel's start is seen, so are body's jobs.
   */
  protected def countJobs[T](body: => T): (T, Int) = {
    val sc = spark.sparkContext
    val id = probes.incrementAndGet()
    val group = s"$suiteName-probe-$id"
    val sentinel = s"$suiteName-sentinel-$id"
    sc.setJobGroup(group, "counted")
    val result = try body finally sc.clearJobGroup()
    sc.setJobGroup(sentinel, "sentinel")
    try sc.parallelize(Seq(1), 1).count() finally sc.clearJobGroup()
    val deadline = System.nanoTime() + 30L * 1000 * 1000 * 1000
    while (!jobGroups.asScala.exists(_ == sentinel) && System.nanoTime() < deadline) Thread.sleep(10)
    assert(jobGroups.asScala.exists(_ == sentinel), "the sentinel job never reached the listener")
    (result, jobGroups.asScala.count(_ == group))
  }

  /** A DataFrame of `rows` in `partitions` partitions, in order. */
  protected def frame(schema: StructType, rows: Seq[Row], partitions: Int = 1): DataFrame =
    spark.createDataFrame(spark.sparkContext.parallelize(rows, partitions), schema)

  /** A schema of non-nullable columns. */
  protected def schemaOf(columns: (String, DataType)*): StructType =
    StructType(columns.map { case (n, t) => StructField(n, t, nullable = false) })

  /** An array type without null elements, nested `depth` levels deep. */
  protected def arrayOf(element: DataType, depth: Int = 1): DataType =
    (0 until depth).foldLeft(element)((t, _) => ArrayType(t, containsNull = false))

  /** The innermost cause of `t` (task failures arrive wrapped in SparkExceptions). */
  protected def rootCause(t: Throwable): Throwable =
    Iterator.iterate(t)(_.getCause).takeWhile(_ != null).toSeq.last
}
