package io.sparkdl.tf

/** The float type a session computes in. */
sealed abstract class Precision(val name: String) {
  override def toString: String = name
}

object Precision {

  /** The model's own dtypes, unchanged. */
  case object Float32 extends Precision("float32")

  /**
   * TF's automatic mixed precision for oneDNN: matmuls, convolutions and the ops around them run
   * in bfloat16 (8 bits of mantissa: results differ from float32 by ~1e-3 relative), inputs and
   * outputs stay float32. Needs a CPU with AVX-512 BF16 or AMX and TF's oneDNN kernels; elsewhere
   * TF would emulate bfloat16, slower than float32, so sparkdl refuses it.
   */
  case object BFloat16 extends Precision("bfloat16")

  val all: Seq[Precision] = Seq(Float32, BFloat16)

  /** The precision named `value`; `what` names the setting in the error. */
  def parse(value: String, what: String): Precision =
    NamedChoice.parse[Precision](value, all, _.name, "precision", what)
}
