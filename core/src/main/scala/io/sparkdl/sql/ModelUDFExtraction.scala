package io.sparkdl.sql

import scala.collection.mutable

import org.apache.spark.sql.catalyst.expressions._
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression
import org.apache.spark.sql.catalyst.plans.logical.{
  Aggregate, Filter, LogicalPlan, Project, Subquery
}
import org.apache.spark.sql.catalyst.rules.Rule

/**
 * The optimizer rule that makes model function calls batched: every [[ModelUDFCall]] is moved out
 * of the operator that uses it into a [[ModelUDFEval]] below that operator, which appends the
 * call's result as a new attribute; the operator then reads that attribute. (The approach of
 * Spark's ExtractPythonUDFs, for the same reason: a model runs on blocks, not on single rows.)
 *
 * Before that, so that the model only sees rows it has to:
 *  - a filter's conjuncts without model calls are applied first (`WHERE x IS NOT NULL AND
 *    f(x) > 0`: f never sees a null);
 *  - calls over an aggregate's results (`f(sum(x))`, `f(key)`) move above the aggregate.
 */
object ModelUDFExtraction extends Rule[LogicalPlan] with PredicateHelper {

  override def apply(plan: LogicalPlan): LogicalPlan = plan match {
    // A correlated subquery is rewritten into a join later, and its calls extracted then.
    case s: Subquery if s.correlated => plan
    case _ if !hasPendingCalls(plan) => plan
    case _ => extractAll(pullAboveAggregates(filterFirst(plan)))
  }

  private def hasPendingCalls(plan: LogicalPlan): Boolean = plan.exists {
    case _: ModelUDFEval => false
    case p => p.expressions.exists(hasCall)
  }

  private def hasCall(e: Expression): Boolean = e.exists(_.isInstanceOf[ModelUDFCall])

  private def filterFirst(plan: LogicalPlan): LogicalPlan = plan.transformUp {
    case f @ Filter(condition, child) if f.deterministic && hasCall(condition) =>
      val (withCalls, plain) = splitConjunctivePredicates(condition).partition(hasCall)
      if (plain.isEmpty) f else Filter(withCalls.reduce(And), Filter(plain.reduce(And), child))
  }

  private def pullAboveAggregates(plan: LogicalPlan): LogicalPlan = plan.transformUp {
    case agg: Aggregate if agg.aggregateExpressions.exists(callAbove(_, agg)) => splitAggregate(agg)
  }

  private def belongsToAggregate(e: Expression, agg: Aggregate): Boolean =
    e.isInstanceOf[AggregateExpression] || agg.groupingExpressions.exists(_.semanticEquals(e))

  // Whether `e` holds a call that can only run on the aggregate's output.
  private def callAbove(e: Expression, agg: Aggregate): Boolean = e match {
    case _ if belongsToAggregate(e, agg) => false
    case _: ModelUDFCall => true
    case _ => e.children.exists(callAbove(_, agg))
  }

  // Aggregate(exprs) -> Project(exprs over the aggregate's values, Aggregate(values)).
  private def splitAggregate(agg: Aggregate): LogicalPlan = {
    val values = mutable.ArrayBuffer.empty[NamedExpression]
    val projected = agg.aggregateExpressions.map { expr =>
      if (callAbove(expr, agg)) {
        expr.transformDown {
          case e if belongsToAggregate(e, agg) =>
            val named = e match {
              case n: NamedExpression => n
              case other => Alias(other, "value")()
            }
            values += named
            named.toAttribute
        }.asInstanceOf[NamedExpression]
      } else {
        values += expr
        expr.toAttribute
      }
    }
    Project(projected, agg.copy(aggregateExpressions = values.toSeq))
  }

  private def extractAll(plan: LogicalPlan): LogicalPlan = plan.transformUp {
    case eval: ModelUDFEval => eval
    case p => extract(p)
  }

  // Calls whose arguments hold no other call: they can run now.
  private def innermostCalls(e: Expression): Seq[ModelUDFCall] = e match {
    case call: ModelUDFCall if !call.children.exists(hasCall) => Seq(call)
    case other => other.children.flatMap(innermostCalls)
  }

  private def extract(plan: LogicalPlan): LogicalPlan = {
    val calls = ExpressionSet(plan.expressions.flatMap(innermostCalls))
      .filter(_.references.subsetOf(plan.inputSet))
      .toSeq
      .map(_.asInstanceOf[ModelUDFCall])
    if (calls.isEmpty) return plan
    val results = mutable.LinkedHashMap.empty[Expression, Attribute]
    val children = plan.children.map { child =>
      val here = calls.filter { c =>
        !results.contains(c.canonicalized) && c.references.subsetOf(child.outputSet)
      }
      if (here.isEmpty) child
      else {
        val attrs = here.map(c => AttributeReference(c.function.name, c.dataType, false)())
        here.zip(attrs).foreach { case (c, a) => results(c.canonicalized) = a }
        ModelUDFEval(here, attrs, child)
      }
    }
    calls.find(c => !results.contains(c.canonicalized)).foreach { c =>
      throw new IllegalArgumentException(
        s"SQL function ${c.function.name}: cannot run $c in ${plan.nodeName}: its arguments come " +
          "from more than one of its inputs (e.g. both sides of a join); compute them in one first"
      )
    }
    val rewritten = plan.withNewChildren(children).transformExpressions {
      case c: ModelUDFCall => results.getOrElse(c.canonicalized, c)
    }
    // Calls that took other calls' results as arguments run in a ModelUDFEval of their own, above.
    val extracted = extract(rewritten)
    if (extracted.output != plan.output) Project(plan.output, extracted) else extracted
  }
}
