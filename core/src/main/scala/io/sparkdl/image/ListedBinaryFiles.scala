package io.sparkdl.image

import org.apache.hadoop.fs.{FileStatus, Path}
import org.apache.spark.sql.{DataFrame, SparkSession}
import org.apache.spark.sql.execution.datasources.{FileStatusCache, HadoopFsRelation, InMemoryFileIndex}
import org.apache.spark.sql.execution.datasources.binaryfile.BinaryFileFormat
import org.apache.spark.sql.types.StructType

/**
 * Spark's `binaryFile` source over files the driver has already listed ([[ImageFiles]]): the
 * relation's file index takes their statuses as they are. Loaded by path, Spark would check each
 * listed file again, in a job of its own above 32 files, which cost `readImages` as much as
 * decoding a few hundred photos; and it would glob each path, so names with glob characters
 * needed escaping. The scan is Spark's own: files are split into partitions by size
 * (`spark.sql.files.maxPartitionBytes`) as `spark.read.format("binaryFile")` splits them.
 */
private[image] object ListedBinaryFiles {

  /** `binaryFile`'s columns (`path`, `modificationTime`, `length`, `content`) of `files`. */
  def apply(spark: SparkSession, files: Seq[FileStatus]): DataFrame = {
    val byPath: Map[Path, FileStatus] = files.map(f => f.getPath -> f).toMap
    // The index asks this for each of its root paths, which are the files themselves.
    val listed = new FileStatusCache {
      override def getLeafFiles(path: Path): Option[Array[FileStatus]] = byPath.get(path).map(Array(_))
      override def putLeafFiles(path: Path, leafFiles: Array[FileStatus]): Unit = ()
      override def invalidateAll(): Unit = ()
    }
    // Files, not folders: no partition columns from folder names such as "x=1".
    val options = Map("recursiveFileLookup" -> "true")
    val schema = BinaryFileFormat.schema
    val index = new InMemoryFileIndex(spark, files.map(_.getPath), options, Some(schema), listed, None, None)
    val relation = HadoopFsRelation(index, new StructType(), schema, None, new BinaryFileFormat(), options)(spark)
    spark.baseRelationToDataFrame(relation)
  }
}
