package io.sparkdl.runtime

import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import org.apache.spark.sql.SparkSession

/**
 * A suite's own local SparkSession with the session-cache confs it tests (`cacheConfs`), and the
 * executor's (this JVM's) cache emptied before and after it, so no other suite's sessions count.
 */
trait SessionCacheConfs extends AnyFunSuite with BeforeAndAfterAll {

  protected def cacheConfs: Map[String, String]

  protected lazy val spark: SparkSession =
    cacheConfs.foldLeft(
      SparkSession.builder().master("local[2]").appName(suiteName).config("spark.ui.enabled", "false")
    ) { case (builder, (key, value)) => builder.config(key, value) }.getOrCreate()

  override def beforeAll(): Unit = { super.beforeAll(); spark; SessionCache.clear() }

  override def afterAll(): Unit =
    try {
      spark.stop()
      SparkSession.clearActiveSession()
      SparkSession.clearDefaultSession()
      SessionCache.clear()
    } finally super.afterAll()
}
