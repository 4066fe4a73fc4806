package io.sparkdl.runtime

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow

/**
 * The cached rows a fit trains on: all of them, or with handleInvalid 'skip' those whose cells its
 * plan can feed (the block loop's rule: [[RowValidator]], a property of the row alone). The split
 * into training and validation rows counts these rows only, as Keras would count the rows it is
 * given.
 */
private[sparkdl] object TrainingRows {

  /** Per partition, how many rows a fit reads; `firstInvalid`: what is wrong with the first row it drops. */
  final case class Counts(perPartition: Array[Long], firstInvalid: Option[String]) {
    def total: Long = perPartition.sum
  }

  /**
   * One pass over `rows` (the pass that caches them): every row's count per partition, then for
   * each fit its [[Counts]]; `skipping(i)` is fit i's plan when it skips invalid rows, else None
   * (it reads every row).
   */
  def count(rows: RDD[InternalRow], skipping: Seq[Option[TrainingPlan]]): (Array[Long], Seq[Counts]) = {
    val plans = skipping.flatten
    val tallies = rows.mapPartitions { it =>
      val validators = plans.map(_.rowValidator()).toArray
      val valid = new Array[Long](validators.length)
      val first = new Array[String](validators.length)
      var all = 0L
      it.foreach { row =>
        all += 1
        var j = 0
        while (j < validators.length) {
          validators(j).check(row) match {
            case None => valid(j) += 1
            case Some(problem) => if (first(j) == null) first(j) = problem
          }
          j += 1
        }
      }
      Iterator((all, valid, first))
    }.collect()
    val all = tallies.map(_._1)
    var j = -1
    val counts = skipping.map {
      case None => Counts(all, None)
      case Some(_) =>
        j += 1
        val k = j
        Counts(tallies.map(_._2(k)), tallies.iterator.map(_._3(k)).find(_ != null))
    }
    (all, counts)
  }

  /** The rows of one cached partition that a fit reads. */
  def read(rows: Iterator[InternalRow], plan: TrainingPlan, skipInvalid: Boolean): Iterator[InternalRow] =
    if (!skipInvalid) rows
    else {
      val validator = plan.rowValidator()
      rows.filter(validator.check(_).isEmpty)
    }
}
