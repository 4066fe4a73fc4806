package io.sparkdl.tensorframes

import org.apache.spark.sql.catalyst.InternalRow

/**
 * What a reduction does to a partition's rows. Reducers are named classes rather than lambdas so
 * that `RDD.mapPartitions` need not clean them: Spark's closure cleaner reads and parses the
 * bytecode of a lambda's enclosing class (all of TensorFrames) on every call.
 */
private[sparkdl] trait PartitionFunction extends (Iterator[InternalRow] => Iterator[InternalRow]) with Serializable
