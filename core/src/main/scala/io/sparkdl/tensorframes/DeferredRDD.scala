package io.sparkdl.tensorframes

import scala.reflect.ClassTag

import org.apache.spark.{OneToOneDependency, Partition, SparkContext, TaskContext}
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.sparkdl.DataFrameShim

/**
 * An RDD whose parent is made only when a job first asks for its partitions, i.e. at the action.
 * Planning a DataFrame with adaptive execution runs its shuffle stages, so planning the input of
 * a lazy TensorFrames operation must wait until then.
 */
private[sparkdl] final class DeferredRDD[T: ClassTag](sc: SparkContext, @transient make: () => RDD[T])
    extends RDD[T](sc, Nil) {

  @transient private lazy val parent: RDD[T] = make()

  override protected def getDependencies: Seq[OneToOneDependency[T]] = Seq(new OneToOneDependency(parent))

  override protected def getPartitions: Array[Partition] = parent.partitions

  override def compute(split: Partition, context: TaskContext): Iterator[T] =
    firstParent[T].iterator(split, context)
}

private[sparkdl] object DeferredRDD {

  /** The internal rows of `df`, planned at the action. */
  def rows(df: DataFrame): RDD[InternalRow] =
    new DeferredRDD(df.sparkSession.sparkContext, () => DataFrameShim.planRows(df))
}
