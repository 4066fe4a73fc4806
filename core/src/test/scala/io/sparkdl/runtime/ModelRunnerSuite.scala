package io.sparkdl.runtime

import org.apache.spark.sql.types.{ArrayType, FloatType, StructField, StructType}

import io.sparkdl.model.{BindingNames, FeedMode, GraphProgram, Plan}
import io.sparkdl.tensorframes.SparkSessionSuite
import io.sparkdl.tf.{Fixtures, NotFoundException}

class ModelRunnerSuite extends SparkSessionSuite {

  test("a prepare that fails releases the runner's session lease (the cache can close it)") {
    val program = GraphProgram(Fixtures.bytes("add.pb"), Seq("z"))
    val row = ArrayType(FloatType, containsNull = false)
    val schema = StructType(Seq(StructField("a", row, nullable = false), StructField("b", row, nullable = false)))
    val plan = Plan(schema, program, FeedMode.Block, BindingNames.of("map_blocks"))
    val model = spark.sparkContext.broadcast(program.model)
    SessionCache.clear()
    val cachedBefore = SessionCache.size
    // The plan names a placeholder the model lacks: the session loads, then prepare fails.
    val broken = plan.copy(feeds = plan.feeds.map(f => f.copy(placeholder = "missing_" + f.placeholder)))
    intercept[NotFoundException](new ModelRunner(ShippedPlan(broken, model, ComputeMode())))
    assert(SessionCache.size == cachedBefore + 1, "the model was not loaded into the cache")
    SessionCache.clear() // closes idle entries only: a pinned one would stay
    assert(SessionCache.size == cachedBefore, "the failed prepare left its lease held")
    // A good plan still runs on the same cache.
    new ModelRunner(ShippedPlan(plan, model, ComputeMode())).close()
    SessionCache.clear()
    assert(SessionCache.size == cachedBefore)
  }
}
