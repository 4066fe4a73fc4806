package io.sparkdl.tf

import scala.util.Using

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck
import io.sparkdl.tensorframes.TestGraphs

class SessionConfigSuite extends AnyFunSuite with NativeLeakCheck with TolerantAssertions {

  private val zen3 = CpuFeatures("AMD EPYC 7B13", Set("avx2", "fma", "avx512f"))
  private val sapphireRapids = CpuFeatures("Intel Xeon", Set("avx512f", "amx_bf16", "amx_tile"))
  private val zen5 = CpuFeatures("AMD EPYC", Set("avx512f", "avx512_bf16"))

  test("/proc/cpuinfo's first processor gives the model and flags") {
    val text = "processor\t: 0\nmodel name\t: AMD EPYC 9R45\nflags\t\t: fpu avx2 avx512_bf16\n\n" +
      "processor\t: 1\nmodel name\t: other\nflags\t\t: fpu\n"
    assert(CpuFeatures.parse(text) == CpuFeatures("AMD EPYC 9R45", Set("fpu", "avx2", "avx512_bf16")))
    assert(CpuFeatures.parse("") == CpuFeatures("unknown", Set.empty))
    assert(!zen3.bfloat16 && sapphireRapids.bfloat16 && zen5.bfloat16)
  }

  test("bfloat16 is refused, saying why, where it cannot run natively") {
    import GraphOptimization._
    val noCpu = SessionConfig.unsupported(Default, Precision.BFloat16, zen3, oneDnn = true)
    assert(noCpu.exists(m => m.contains("AVX-512 BF16 or AMX") && m.contains("AMD EPYC 7B13") &&
      m.contains("use precision 'float32'")), noCpu)
    val noOneDnn = SessionConfig.unsupported(Xla, Precision.BFloat16, zen5, oneDnn = false)
    assert(noOneDnn.exists(_.contains("TF_ENABLE_ONEDNN_OPTS=0")), noOneDnn)
    val noRewrites = SessionConfig.unsupported(Off, Precision.BFloat16, sapphireRapids, oneDnn = true)
    assert(noRewrites.exists(_.contains("graph optimization 'none' turns off")), noRewrites)
    for (o <- GraphOptimization.all) {
      assert(SessionConfig.unsupported(o, Precision.Float32, zen3, oneDnn = false).isEmpty)
      if (o != Off) assert(SessionConfig.unsupported(o, Precision.BFloat16, zen5, oneDnn = true).isEmpty)
    }
    if (!CpuFeatures.current.bfloat16) {
      val e = intercept[IllegalArgumentException](SessionConfig(1, -1, Default, Precision.BFloat16))
      assert(e.getMessage.contains("AVX-512 BF16 or AMX"))
    }
  }

  test("names parse case-insensitively; unknown ones list the known") {
    assert(GraphOptimization.parse(" XLA ", "conf") == GraphOptimization.Xla)
    assert(GraphOptimization.parse("none", "conf") == GraphOptimization.Off)
    assert(Precision.parse("BFloat16", "conf") == Precision.BFloat16)
    val e = intercept[IllegalArgumentException](Precision.parse("fp16", "spark.sparkdl.precision"))
    assert(e.getMessage == "spark.sparkdl.precision: unknown precision 'fp16'; expected one of 'float32', 'bfloat16'")
    val o = intercept[IllegalArgumentException](GraphOptimization.parse(null, "param 'graphOptimization'"))
    assert(o.getMessage.contains("unknown graph optimization 'null'; expected one of 'default', 'xla', 'none'"))
  }

  test("every float32 optimization runs the frozen dense network as TF Python does, within 1e-5") {
    for (o <- GraphOptimization.all) {
      Using.resource(Graph.fromGraphDef(Fixtures.bytes("dense.pb"))) { g =>
        Using.resources(Session(g, SessionConfig(1, -1, o)), Fixtures.npy("dense_x.npy").toTensor) { (s, x) =>
          for (_ <- 1 to 3) { // XLA compiles a cluster on its second run with a shape
            Using.resource(s.run(Map("x" -> x), Seq("out")).head) { out =>
              assertClose(out.floats(), Fixtures.npy("dense_out.npy").floats, 1e-5)
            }
          }
        }
      }
    }
  }

  test("XLA compiles its clusters even when the JVM's first session was not an XLA one") {
    // A long sum of tanh(exp(0.3 x) + 0.5) * 1.7: XLA's fused CPU kernel rounds differently from
    // TF's op-by-op kernels, deterministically (TF Python: 96411.31 with XLA, 96411.33 without).
    val n = 1 << 16
    val values = Array.tabulate(n)(i => (i * 7919 % 1000) / 100f - 5f)
    def sum(o: GraphOptimization): Float =
      Using.resource(Graph()) { g =>
        def op(kind: String, name: String, inputs: Output*): Output =
          inputs.foldLeft(g.opBuilder(kind, name))(_.addInput(_)).build().output(0)
        def scalar(name: String, v: Double) = TestGraphs.scalar(g, name, DType.Float32, v)
        val x = TestGraphs.placeholder(g, "x", DType.Float32, Shape(-1L))
        val e = op("Exp", "e", op("Mul", "scaled", x, scalar("a", 0.3)))
        val t = op("Mul", "t", op("Tanh", "tanh", op("AddV2", "shifted", e, scalar("b", 0.5))), scalar("c", 1.7))
        op("Sum", "s", t, TestGraphs.int32s(g, "axis", 0))
        Using.resources(Session(g, SessionConfig(1, -1, o)), Tensor.ofFloats(values, Shape(n.toLong))) { (s, t) =>
          // XLA compiles a cluster on its second run with a shape; the third runs the compiled one.
          (1 to 3).map(_ => Using.resource(s.run(Map("x" -> t), Seq("s")).head)(_.floats()(0))).last
        }
      }
    val tfKernels = sum(GraphOptimization.Default) // this JVM has made sessions before: none XLA
    val xla = sum(GraphOptimization.Xla)
    assert(xla != tfKernels, "equal to the last bit: XLA did not compile the graph")
    assert(math.abs(xla - tfKernels) <= 1e-5f * math.abs(tfKernels), s"$xla vs $tfKernels")
  }
}
