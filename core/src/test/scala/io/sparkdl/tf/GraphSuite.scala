package io.sparkdl.tf

import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck

class GraphSuite extends AnyFunSuite with NativeLeakCheck with TolerantAssertions {

  test("a frozen GraphDef imports with its operations, dtypes and shapes") {
    Using.resource(Graph.fromGraphDef(Fixtures.bytes("dense.pb"))) { g =>
      val x = g.output("x:0")
      assert(x.op.opType == "Placeholder")
      assert(x.dtype == DType.Float32)
      assert(x.shape == Shape(-1, 4))
      assert(x.op.attrType("dtype") == DType.Float32)
      val out = g.output("out")
      assert(out.name == "out:0")
      assert(out.shape == Shape(-1, 3))
      assert(g.operations.map(_.name).contains("hidden"))
      assert(g.operation("nope").isEmpty)
    }
  }

  test("GraphDef bytes survive a round trip through the graph") {
    Using.resource(Graph.fromGraphDef(Fixtures.bytes("add.pb"))) { g =>
      Using.resource(Graph.fromGraphDef(g.toGraphDef)) { copy =>
        assert(copy.operations.map(_.name).toSet == g.operations.map(_.name).toSet)
      }
    }
  }

  test("corrupt GraphDef bytes fail with InvalidArgumentException, not a crash") {
    val good = Fixtures.bytes("dense.pb")
    val corrupt = good.take(good.length / 2) ++ Array.fill[Byte](64)(0x7f)
    val e = intercept[InvalidArgumentException](Graph.fromGraphDef(corrupt))
    assert(e.getMessage.toLowerCase.contains("graphdef"), e.getMessage)
    intercept[InvalidArgumentException](Graph.fromGraphDef(Array[Byte](1, 2, 3, 4, 5)))
  }

  test("an unknown tensor name is a NotFoundException naming it and the placeholders") {
    Using.resource(Graph.fromGraphDef(Fixtures.bytes("add.pb"))) { g =>
      val e = intercept[NotFoundException](g.output("w:0"))
      assert(e.getMessage.contains("'w:0'") && e.getMessage.contains("a, b"), e.getMessage)
      val e2 = intercept[NotFoundException](g.output("z:3"))
      assert(e2.getMessage.contains("1 output"), e2.getMessage)
      intercept[IllegalArgumentException](g.output("z:x"))
    }
  }

  test("graphs built op by op run like TF's x + 3") {
    Using.resource(Graph()) { g =>
      val x = g.opBuilder("Placeholder", "x").setAttr("dtype", DType.Float32)
        .setAttr("shape", Shape(-1)).build().output(0)
      val three = Using.resource(Tensor.ofFloats(Array(3f), Shape.scalar)) { t =>
        g.opBuilder("Const", "three").setAttr("dtype", DType.Float32).setAttr("value", t).build()
      }
      val z = g.opBuilder("AddV2", "z").addInput(x).addInput(three.output(0)).build().output(0)
      assert(z.shape == Shape(-1))
      Using.resources(Session(g), Tensor.ofFloats(Array(0f, 1.5f, -4f), Shape(3))) { (s, in) =>
        val out = s.run(Seq(x -> in), Seq(z)).head
        try assert(out.floats().toSeq == Seq(3f, 4.5f, -1f))
        finally out.close()
      }
      val bad = g.opBuilder("AddV2", "bad").addInput(x)
      intercept[TfException](bad.build())
      intercept[IllegalStateException](bad.build())
    }
  }

  test("use after close fails cleanly and close is idempotent") {
    val g = Graph.fromGraphDef(Fixtures.bytes("identity.pb"))
    val y = g.output("y")
    g.close()
    g.close()
    assert(intercept[IllegalStateException](g.operation("y")).getMessage.contains("closed"))
    intercept[IllegalStateException](y.op.output(0).name)
  }
}
