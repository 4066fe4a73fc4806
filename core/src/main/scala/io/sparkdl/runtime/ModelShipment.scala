package io.sparkdl.runtime

import org.apache.spark.SparkContext
import org.apache.spark.broadcast.Broadcast

import io.sparkdl.model.ModelSource

/**
 * The driver side of shipping a model to the executors, the one place it is done: its source is
 * broadcast once per SparkContext, at the first execution that needs it, and that broadcast serves
 * every later execution of the same plan (a DataFrame collected twice, each micro-batch of a
 * stream). Tasks get plans holding the broadcast, never the model's bytes: in a closure, a 1 MB
 * graph would be deserialized again by every task (~2 ms each).
 */
private[sparkdl] final class ModelShipment(@transient val source: ModelSource) extends Serializable {
  // Serializable only because Spark ships the plan nodes that hold it inside whole-stage code's
  // references; tasks use the broadcast, never this.
  @transient private var shipped: Option[(SparkContext, Broadcast[ModelSource])] = None

  def broadcast(sc: SparkContext): Broadcast[ModelSource] = synchronized {
    shipped match {
      case Some((context, model)) if (context eq sc) && !sc.isStopped => model
      case _ =>
        val model = sc.broadcast(source)
        shipped = Some((sc, model))
        model
    }
  }

  override def toString: String = Option(source).fold("a model")(_.describe)
}
