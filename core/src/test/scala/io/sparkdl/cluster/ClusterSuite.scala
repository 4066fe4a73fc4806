package io.sparkdl.cluster

import java.nio.file.Files

import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import org.apache.spark.sql.{Row, SparkSession}
import org.apache.spark.sql.functions.col
import org.apache.spark.sql.types.{ArrayType, FloatType, IntegerType, StructField, StructType}

import io.sparkdl.ml.TFTransformer
import io.sparkdl.model.{GraphProgram, TFModel}
import io.sparkdl.runtime.ExecutorSessionCaches
import io.sparkdl.sql.registerModelUDF
import io.sparkdl.tensorframes.TensorFrames
import io.sparkdl.tensorframes.TestGraphs._
import io.sparkdl.tf.{DType, Fixtures, Shape}

/**
 * The Scala API on a standalone cluster (a master, two one-core workers; executors in their own
 * JVMs loading sparkdl from `spark.jars`): each computation equals the same one in local mode,
 * which is computed first (one SparkContext per JVM), and TF's own results (fixtures).
 */
class ClusterSuite extends AnyFunSuite with BeforeAndAfterAll {

  private val root = Files.createTempDirectory("sparkdl-cluster-")
  private val cluster = new StandaloneCluster(root)
  private var local: Map[String, Seq[Row]] = Map.empty
  private var spark: SparkSession = _

  private lazy val keras = TFModel.fromSavedModel(Fixtures.path("keras_mlp").toString, signatureKey = "serve")
  private lazy val kerasX: Seq[Array[Float]] = Fixtures.npy("keras_x.npy").floats.grouped(10).toSeq
  private lazy val kerasY: Array[Float] = Fixtures.npy("keras_y.npy").floats

  private val plusThree = graphDef { g =>
    binary(g, "AddV2", "z", placeholder(g, "x", DType.Float64, Shape(-1)), scalar(g, "three", DType.Float64, 3))
  }

  private def numbers(s: SparkSession) =
    s.range(0, 3000, 1, 4).select(col("id"), col("id").cast("double").as("x"), (col("id") % 5).as("k"))

  private def mlpIn(s: SparkSession) = {
    val schema = StructType(Seq(StructField("i", IntegerType), StructField("x", ArrayType(FloatType, false))))
    val rows = kerasX.zipWithIndex.map { case (x, i) => Row(i, x.toSeq) }
    s.createDataFrame(s.sparkContext.parallelize(rows, 3), schema)
  }

  /** Each computation, as sorted rows. */
  private val computations: Seq[(String, SparkSession => Seq[Row])] = Seq(
    "map_blocks" -> { s =>
      TensorFrames.mapBlocks(numbers(s), GraphProgram(plusThree, Seq("z")), blockSize = 100)
        .select("id", "z").collect().toSeq.sortBy(_.getLong(0))
    },
    "reduce_blocks" -> { s =>
      Seq(TensorFrames.reduceBlocks(numbers(s).select("x"), sumGraph("x", "x_input"), Seq("x"), blockSize = 64))
    },
    "aggregate" -> { s =>
      TensorFrames.aggregate(numbers(s).select("k", "x").groupBy("k"), sumGraph("x", "x_input"), Seq("x"), 64)
        .collect().toSeq.sortBy(_.getLong(0))
    },
    "TFTransformer" -> { s =>
      new TFTransformer().setModel(keras).setInputMapping(Map("x" -> "x")).setOutputMapping(Map("output_0" -> "p"))
        .transform(mlpIn(s)).select("i", "p").collect().toSeq.sortBy(_.getInt(0))
    },
    "SQL function" -> { s =>
      registerModelUDF(s, "cluster_mlp", keras)
      mlpIn(s).createOrReplaceTempView("cluster_mlp_in")
      s.sql("SELECT i, cluster_mlp(x) AS p FROM cluster_mlp_in").collect().toSeq.sortBy(_.getInt(0))
    }
  )

  private def session(master: String, conf: (String, String)*): SparkSession = {
    val b = SparkSession.builder().master(master).appName(suiteName)
      .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
    conf.foldLeft(b) { case (b, (k, v)) => b.config(k, v) }.getOrCreate()
  }

  override def beforeAll(): Unit = {
    super.beforeAll()
    val s = session("local[2]")
    try local = computations.map { case (name, run) => name -> run(s) }.toMap
    finally { s.stop(); SparkSession.clearActiveSession(); SparkSession.clearDefaultSession() }
    cluster.start()
    spark = session(
      cluster.masterUrl,
      "spark.jars" -> StandaloneCluster.sparkdlJars,
      "spark.executor.memory" -> "640m",
      "spark.driver.host" -> StandaloneCluster.Loopback,
      "spark.driver.bindAddress" -> StandaloneCluster.Loopback
    )
    StandaloneCluster.waitFor("two executors")(cluster.executorPids.size == 2)
  }

  override def afterAll(): Unit =
    try {
      if (spark != null) spark.stop()
      SparkSession.clearActiveSession()
      SparkSession.clearDefaultSession()
    } finally {
      try cluster.stop()
      finally try org.apache.commons.io.FileUtils.deleteDirectory(root.toFile) finally super.afterAll()
    }

  for ((name, run) <- computations) {
    test(s"$name on the cluster equals local mode") {
      val got = run(spark)
      assert(got.nonEmpty && got == local(name))
    }
  }

  test("local results are TF's") {
    assert(local("map_blocks").map(_.getDouble(1)) == (0 until 3000).map(_ + 3.0))
    assert(local("reduce_blocks").head.getDouble(0) == (0 until 3000).sum.toDouble)
    for (name <- Seq("TFTransformer", "SQL function")) {
      val p = local(name).flatMap(_.getSeq[Float](1))
      assert(p.zip(kerasY).forall { case (a, b) => math.abs(a - b) <= 1e-5f }, name)
    }
  }

  test("executors are separate JVMs that loaded each model once") {
    val pids = cluster.executorPids
    assert(pids.size == 2 && !pids.contains(ProcessHandle.current().pid()))
    for (p <- pids) {
      val cmd = ProcessHandle.of(p).get.info().commandLine().orElse("")
      assert(!cmd.contains("sparkdl_2.13"), "sparkdl must reach executors by spark.jars, not a classpath")
    }
    val stats = ExecutorSessionCaches.collect(spark.sparkContext)
    assert(stats.size == 2, stats)
    assert(stats.values.forall(_.loadsByModel.values.forall(_ == 1)), stats)
    assert(stats.values.map(_.loads).sum >= 3, stats)
  }
}
