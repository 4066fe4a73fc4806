package io.sparkdl.execution

import org.apache.spark.sql.catalyst.expressions.{And, PredicateHelper, SubqueryExpression}
import org.apache.spark.sql.catalyst.plans.logical.{Filter, LogicalPlan}
import org.apache.spark.sql.catalyst.rules.Rule

/**
 * Pushes the conjuncts of a filter that read only a [[ModelMap]]'s input columns below it, so
 * the model runs on the rows the query keeps (`transform(df).where("id < 10")` runs the model on
 * ten rows). Only where rows map one to one (not `trim`), and only deterministic conjuncts
 * without subqueries: which rows the model sees then changes nothing but the work.
 */
private[sparkdl] object ModelMapPushdown extends Rule[LogicalPlan] with PredicateHelper {

  override def apply(plan: LogicalPlan): LogicalPlan = plan.transformUp {
    case filter @ Filter(condition, map: ModelMap) if !map.spec.trim =>
      val (pushable, kept) = splitConjunctivePredicates(condition).partition { c =>
        c.deterministic && !SubqueryExpression.hasSubquery(c) && c.references.subsetOf(map.child.outputSet)
      }
      if (pushable.isEmpty) filter
      else {
        val pushed = map.copy(child = Filter(pushable.reduce(And), map.child))
        if (kept.isEmpty) pushed else Filter(kept.reduce(And), pushed)
      }
  }
}
