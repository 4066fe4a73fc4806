package io.sparkdl.runtime

import scala.reflect.ClassTag

import org.apache.spark.{NarrowDependency, Partition, TaskContext}
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow

/** Training task `index`: reads any partition of the data (from the cache) as often as it likes. */
private[sparkdl] trait TrainingTask[R] extends Serializable {
  def apply(index: Int, partitions: Int, read: Int => Iterator[InternalRow]): R
}

/**
 * One partition per training task, each depending on every partition of `data` (persisted
 * blocks, as `CoalescedRDD` depends on its parents): task i runs `task(i, ...)`, which walks the
 * data epoch after epoch without the data ever reaching the driver. k tasks are k fits at once,
 * as far as the cluster's slots allow.
 */
private[sparkdl] final class TrainingRDD[R: ClassTag](data: RDD[InternalRow], tasks: Int, task: TrainingTask[R])
    extends RDD[R](data.sparkContext, Seq(new NarrowDependency(data) {
      override def getParents(partitionId: Int): Seq[Int] = data.partitions.indices
    })) {

  override protected def getPartitions: Array[Partition] =
    Array.tabulate[Partition](tasks)(i => TrainingPartition(i, data.partitions))

  override def compute(split: Partition, context: TaskContext): Iterator[R] = {
    val parts = split.asInstanceOf[TrainingPartition].parents
    Iterator(task(split.index, parts.length, p => firstParent[InternalRow].iterator(parts(p), context)))
  }
}

/** A training task's partition: it carries the data's partitions (an RDD's own are driver-only). */
private final case class TrainingPartition(index: Int, parents: Array[Partition]) extends Partition
