package io.sparkdl.tf

import scala.reflect.ClassTag
import scala.util.Using
import scala.util.chaining._

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck

/** The counts of [[NativeObjects]]. Suites share one test JVM, so every check is relative. */
class NativeObjectsSuite extends AnyFunSuite with NativeLeakCheck {

  /** The change in the live counts over `body`. */
  private def delta(body: => Unit): NativeObjectCounts = {
    val before = NativeObjects.live()
    body
    NativeObjects.live() - before
  }

  private val none = NativeObjectCounts.Zero

  test("a tensor counts from creation to close, and a second close changes nothing") {
    var t: Tensor = null
    assert(delta { t = Tensor.ofFloats(Array(1f, 2f), Shape(2)) } == none.copy(tensors = 1))
    assert(delta(t.close()) == none.copy(tensors = -1))
    assert(delta(t.close()) == none)
    var s: Tensor = null
    assert(delta { s = Tensor.ofUtf8(Array("a", "b"), Shape(2)) } == none.copy(tensors = 1))
    assert(delta { s.close(); s.close() } == none.copy(tensors = -1))
  }

  test("graphs and sessions count until closed, once each") {
    var g: Graph = null
    var s: Session = null
    val opened = delta {
      g = Graph.fromGraphDef(Fixtures.bytes("add.pb"))
      s = Session(g)
    }
    assert(opened == none.copy(sessions = 1, graphs = 1))
    assert(opened.total == 2)
    assert(delta { s.close(); s.close() } == none.copy(sessions = -1))
    assert(delta { g.close(); g.close() } == none.copy(graphs = -1))
  }

  test("a run's fetched tensors count until the caller closes them") {
    Using.resource(Graph.fromGraphDef(Fixtures.bytes("add.pb"))) { g =>
      Using.resource(Session(g)) { s =>
        def row() = Tensor.ofFloats(new Array[Float](3), Shape(1, 3))
        Using.resources(row(), row()) { (a, b) =>
          var fetched: Seq[Tensor] = Nil
          val run = delta { fetched = s.run(Map("a" -> a, "b" -> b), Seq("z", "z:0")) }
          assert(run == none.copy(tensors = 2))
          assert(delta(fetched.foreach(_.close())) == none.copy(tensors = -2))
          // A failed run (a missing feed) leaves nothing behind.
          assert(delta(intercept[InvalidArgumentException](s.run(Map("a" -> a), Seq("z")))) == none)
        }
      }
    }
  }

  test("a SavedModel counts as one graph and one session until closed") {
    var m: SavedModel = null
    assert(delta { m = SavedModel.load(Fixtures.path("saved_model_two_sigs").toString) } ==
      none.copy(sessions = 1, graphs = 1))
    assert(delta { m.close(); m.close() } == none.copy(sessions = -1, graphs = -1))
  }

  test("an operation builder counts until build frees its description, also when build fails") {
    Using.resource(Graph()) { g =>
      var b: OperationBuilder = null
      assert(delta { b = g.opBuilder("Placeholder", "x") } == none.copy(operationBuilders = 1))
      assert(delta(b.setAttr("dtype", DType.Float32).build()) == none.copy(operationBuilders = -1))
      assert(delta(intercept[IllegalStateException](b.build())) == none)
      // AddV2 without inputs: TF rejects the description and frees it all the same.
      val bad = g.opBuilder("AddV2", "z")
      assert(delta(intercept[TfException](bad.build())) == none.copy(operationBuilders = -1))
    }
  }

  test("an operation builder closed before build frees its description and adds nothing") {
    Using.resource(Graph()) { g =>
      val b = g.opBuilder("Placeholder", "x").setAttr("dtype", DType.Float32)
      assert(delta(b.close()) == none.copy(operationBuilders = -1))
      assert(delta(b.close()) == none)
      assert(g.operation("x").isEmpty, "the abandoned description was added to the graph")
      intercept[IllegalStateException](b.build())
      // The name is free: the abandoned description left nothing behind.
      g.opBuilder("Placeholder", "x").setAttr("dtype", DType.Float32).build()
      assert(g.operation("x").isDefined)
      // Closing after build changes nothing; using() frees a builder dropped on an exception.
      val built = g.opBuilder("Placeholder", "y").setAttr("dtype", DType.Int32)
      built.build()
      assert(delta(built.close()) == none)
      assert(delta(intercept[RuntimeException](Using.resource(g.opBuilder("AddV2", "z")) { _ =>
        throw new RuntimeException("dropped before build")
      })) == none)
    }
  }

  test("closing a graph frees the builders still open on it") {
    val g = Graph()
    val before = NativeObjects.live()
    val open = Seq(g.opBuilder("Placeholder", "a"), g.opBuilder("Const", "b"))
    assert(NativeObjects.live() - before == none.copy(operationBuilders = 2))
    assert(delta(g.close()) == none.copy(graphs = -1, operationBuilders = -2))
    assert(open.forall(_.isClosed))
  }

  test("failed creations leave every count unchanged") {
    val good = Fixtures.bytes("dense.pb")
    val corrupt = good.take(good.length / 2) ++ Array.fill[Byte](64)(0x7f)
    def unchangedBy[E <: AnyRef: ClassTag](create: => Any): Unit =
      assert(delta(intercept[E](create)) == none)
    // Graph.fromGraphDef and SavedModel.load free the graph they made for a failed import or load.
    unchangedBy[InvalidArgumentException](Graph.fromGraphDef(corrupt))
    unchangedBy[InvalidArgumentException](Graph.fromGraphDef(Array[Byte](1, 2, 3)))
    unchangedBy[TfException](SavedModel.load(Fixtures.dir.toString)) // no saved_model.pb
    unchangedBy[NotFoundException](SavedModel.load("/nonexistent/model"))
    unchangedBy[IllegalArgumentException](Tensor.ofFloats(Array(1f, 2f, 3f), Shape(2, 2)))
    unchangedBy[IllegalArgumentException](Tensor.allocate(DType.Float32, Shape(-1, 2)))
    unchangedBy[IllegalArgumentException](Tensor.ofUtf8(Array("a"), Shape(3)))
    unchangedBy[IllegalStateException](Session(Graph().tap(_.close())))
  }

  test("counts are exact under concurrent creation and close") {
    val before = NativeObjects.live()
    val threads = (0 until 4).map { _ =>
      new Thread(() =>
        for (_ <- 0 until 2000) Tensor.ofInts(Array(1, 2), Shape(2)).close()
      )
    }
    threads.foreach(_.start())
    threads.foreach(_.join())
    assert(NativeObjects.live() == before)
  }
}
