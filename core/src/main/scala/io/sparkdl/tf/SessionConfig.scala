package io.sparkdl.tf

import java.nio.charset.StandardCharsets

/**
 * The session options sparkdl sets, serialized as TF's `ConfigProto`.
 *
 * @param intraOpThreads threads one op may use (0: TF picks, all cores)
 * @param interOpThreads ops run at once (0: TF picks; -1: each run executes its ops on the
 *   calling thread, so concurrent callers never queue behind TF's process-wide op pool)
 * @param optimization how TF rewrites the graph (see [[GraphOptimization]])
 * @param precision the float type matmuls and convolutions compute in (see [[Precision]])
 * @param server the [[Server]] task the session runs on (its target, its own task's devices only,
 *   and the cluster's collective group leader), or None for a session in this process
 */
final case class SessionConfig(
    intraOpThreads: Int = 0,
    interOpThreads: Int = 0,
    optimization: GraphOptimization = GraphOptimization.Default,
    precision: Precision = Precision.Float32,
    server: Option[Server] = None
) {
  require(intraOpThreads >= 0, s"intraOpThreads must be >= 0, got $intraOpThreads")
  require(interOpThreads >= -1, s"interOpThreads must be >= -1, got $interOpThreads")
  // Made per task: float32 (the default) needs no look at the CPU or the environment.
  if (precision != Precision.Float32) {
    SessionConfig.unsupported(optimization, precision, CpuFeatures.current, TfRuntime.oneDnnEnabled).foreach { why =>
      throw new IllegalArgumentException(why)
    }
  }

  /** The session's target: its server's, or "" (this process). */
  def target: String = server.fold("")(_.target)

  /** ConfigProto bytes: intra_op_parallelism_threads = 2, inter_op_parallelism_threads = 5,
   * allow_soft_placement = 7 (so graphs saved with device pins still run on CPU), graph_options =
   * 10 (see [[graphOptions]]); on a server, device_filters = 4 (its own task: the session never
   * places ops on other workers) and experimental = 16 { collective_group_leader = 1 }. */
  def toConfigProto: Array[Byte] = {
    val out = new ProtoWriter
    if (intraOpThreads > 0) out.varintField(2, intraOpThreads.toLong)
    for (s <- server) out.messageField(4, s.taskName.getBytes(StandardCharsets.UTF_8))
    if (interOpThreads != 0) out.varintField(5, interOpThreads.toLong) // int32: -1 sign-extends
    out.varintField(7, 1L)
    graphOptions.foreach(out.messageField(10, _))
    for (s <- server) out.messageField(16, Server.experimental)
    out.toByteArray
  }

  /** GraphOptions: optimizer_options = 3 { global_jit_level = 5: ON_1 }, rewrite_options = 10
   * { disable_meta_optimizer = 19, auto_mixed_precision_onednn_bfloat16 = 31: ON }. */
  private def graphOptions: Option[Array[Byte]] = {
    val rewrites = new ProtoWriter
    if (optimization == GraphOptimization.Off) rewrites.varintField(19, 1L)
    if (precision == Precision.BFloat16) rewrites.varintField(31, 1L)
    val optimizer = new ProtoWriter
    if (optimization == GraphOptimization.Xla) optimizer.varintField(5, 1L)
    val options = new ProtoWriter
    if (optimizer.nonEmpty) options.messageField(3, optimizer.toByteArray)
    if (rewrites.nonEmpty) options.messageField(10, rewrites.toByteArray)
    Option.when(options.nonEmpty)(options.toByteArray)
  }
}

object SessionConfig {

  /** Why `optimization` with `precision` cannot run here, if it cannot. */
  def unsupported(optimization: GraphOptimization, precision: Precision, cpu: CpuFeatures, oneDnn: Boolean): Option[String] =
    precision match {
      case Precision.Float32 => None
      case Precision.BFloat16 if !cpu.bfloat16 =>
        Some(s"precision 'bfloat16' needs a CPU with AVX-512 BF16 or AMX (TF would emulate it, slower than " +
          s"float32); this one (${cpu.model}) has neither: use precision 'float32'")
      case Precision.BFloat16 if !oneDnn =>
        Some("precision 'bfloat16' runs on TF's oneDNN kernels, which TF_ENABLE_ONEDNN_OPTS=0 turns off in " +
          "this process: unset it or use precision 'float32'")
      case Precision.BFloat16 if optimization == GraphOptimization.Off =>
        Some("precision 'bfloat16' is applied by TF's graph optimizer, which graph optimization 'none' " +
          "turns off: use graph optimization 'default' or 'xla'")
      case Precision.BFloat16 => None
    }
}
