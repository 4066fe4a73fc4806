package io.sparkdl.tf

/**
 * The session options sparkdl sets, serialized as TF's `ConfigProto`.
 *
 * @param intraOpThreads threads one op may use (0: TF picks, all cores)
 * @param interOpThreads ops run at once (0: TF picks; -1: each run executes its ops on the
 *   calling thread, so concurrent callers never queue behind TF's process-wide op pool)
 */
final case class SessionConfig(intraOpThreads: Int = 0, interOpThreads: Int = 0) {
  require(intraOpThreads >= 0, s"intraOpThreads must be >= 0, got $intraOpThreads")
  require(interOpThreads >= -1, s"interOpThreads must be >= -1, got $interOpThreads")

  /** ConfigProto bytes: intra_op_parallelism_threads = 2, inter_op_parallelism_threads = 5,
   * allow_soft_placement = 7 (so graphs saved with device pins still run on CPU). */
  def toConfigProto: Array[Byte] = {
    val out = new ProtoWriter
    if (intraOpThreads > 0) out.varintField(2, intraOpThreads.toLong)
    if (interOpThreads != 0) out.varintField(5, interOpThreads.toLong) // int32: -1 sign-extends
    out.varintField(7, 1L)
    out.toByteArray
  }
}
