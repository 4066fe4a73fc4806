package io.sparkdl.tf

import java.nio.file.{Files, Paths}

import scala.util.Try

/** What this machine's CPU offers TF's kernels, from /proc/cpuinfo (Linux, as TF's runtime). */
final case class CpuFeatures(model: String, flags: Set[String]) {

  /** Native bfloat16 arithmetic: AVX-512 BF16 or AMX. */
  def bfloat16: Boolean = flags("avx512_bf16") || flags("amx_bf16")
}

object CpuFeatures {

  /** This machine's CPU (read once). */
  lazy val current: CpuFeatures =
    Try(new String(Files.readAllBytes(Paths.get("/proc/cpuinfo")), "UTF-8")).map(parse).getOrElse(CpuFeatures("unknown", Set.empty))

  /** The first processor's model name and flags in a /proc/cpuinfo text. */
  def parse(cpuinfo: String): CpuFeatures = {
    def field(key: String): Option[String] = cpuinfo.linesIterator
      .map(_.split(":", 2))
      .collectFirst { case Array(k, v) if k.trim == key => v.trim }
    CpuFeatures(field("model name").getOrElse("unknown"), field("flags").map(_.split("\\s+").toSet).getOrElse(Set.empty))
  }
}
