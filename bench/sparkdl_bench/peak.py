"""The machine's compute peak through the same TF runtime: large square matmuls.

One graph per (size, dtype): placeholders ``a``, ``b`` (float32 ``[n, n]``), ``sum`` = the sum of
``a @ b``; the bfloat16 graph casts both inputs to bfloat16 inside the graph and its product back
to float32 before the sum (TF's oneDNN bfloat16 matmul). sparkdl runs them through its bridge in
a JVM of its own (``io.sparkdl.bench.MatMulPeak``) with the whole machine's intra-op threads; TF
Python runs the same graphs in this process, for reference. Each figure is the best of a few
runs after a warm-up: a peak, what the runtime can reach, not a typical run.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIZES = (2048, 4096)
DTYPES = ("float32", "bfloat16")


def matmul_flops(n: int) -> int:
    """2 n^3 for the product plus n^2 for its sum."""
    return 2 * n**3 + n * n


@dataclass
class Peak:
    """Best GFLOP/s of one matmul (size, dtype) in one runtime (``sparkdl`` or ``tf_python``)."""

    runtime: str
    dtype: str
    n: int
    seconds: list[float]

    @property
    def gflops(self) -> float:
        return matmul_flops(self.n) / min(self.seconds) / 1e9

    def to_json(self) -> dict[str, Any]:
        return {
            "runtime": self.runtime,
            "dtype": self.dtype,
            "n": self.n,
            "seconds": self.seconds,
            "gflops_best": self.gflops,
        }


def matmul_function(n: int, dtype: str) -> Any:
    """The matmul as a ``tf.function`` of two float32 ``[n, n]`` tensors ``a``, ``b``."""
    import tensorflow as tf

    spec = tf.TensorSpec([n, n], tf.float32)

    @tf.function(input_signature=[spec, spec])
    def matmul(a: Any, b: Any) -> Any:
        if dtype == "bfloat16":
            a, b = tf.cast(a, tf.bfloat16), tf.cast(b, tf.bfloat16)
        product = tf.cast(tf.matmul(a, b), tf.float32)
        return tf.reduce_sum(product, name="sum")

    return matmul


def graph_def(n: int, dtype: str) -> bytes:
    """:func:`matmul_function` as a GraphDef: placeholders ``a:0``, ``b:0``, fetch ``sum:0``."""
    concrete = matmul_function(n, dtype).get_concrete_function()
    gd = concrete.graph.as_graph_def()
    names = {node.name: node.op for node in gd.node}
    if names.get("a") != "Placeholder" or names.get("b") != "Placeholder" or "sum" not in names:
        raise RuntimeError(f"matmul graph lacks placeholders a, b or op sum: {sorted(names)}")
    return gd.SerializeToString()


def sparkdl_peaks(
    workdir: Path, dtypes: list[str], threads: int, warmup: int = 2, runs: int = 5
) -> list[Peak]:
    """Every size and dtype through sparkdl's bridge, in one JVM of its own."""
    classpath = os.environ.get("SPARKDL_BENCH_CLASSPATH")
    if not classpath:
        raise RuntimeError("SPARKDL_BENCH_CLASSPATH is not set: run the suite through bench/run")
    specs, keys = [], {}
    for dtype in dtypes:
        for n in SIZES:
            path = workdir / f"matmul-{dtype}-{n}.pb"
            path.write_bytes(graph_def(n, dtype))
            specs.append(f"{path}:{n}")
            keys[str(path)] = dtype
    java = Path(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    cmd = [str(java), "-Xmx2g", "-cp", classpath, "io.sparkdl.bench.MatMulPeak"]
    cmd += [str(threads), str(warmup), str(runs), *specs]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or len(lines) != len(specs):
        raise RuntimeError(f"the MatMulPeak JVM failed ({done.returncode}): {done.stderr[-2000:]}")
    return [Peak("sparkdl", keys[r["graph"]], r["n"], [t / 1e9 for t in r["nanos"]]) for r in lines]


def tf_python_peaks(dtypes: list[str], warmup: int = 2, runs: int = 5) -> list[Peak]:
    """The same matmuls in TF Python, this process (its intra-op threads as set by the suite)."""
    import numpy as np
    import tensorflow as tf

    out = []
    for dtype in dtypes:
        for n in SIZES:
            rng = np.random.default_rng(n)
            # Tensors made once, as the bridge feeds its inputs: no numpy copy in the timing.
            a, b = (tf.constant(rng.uniform(-1, 1, (n, n)).astype(np.float32)) for _ in range(2))
            fn = matmul_function(n, dtype)
            seconds = []
            for i in range(warmup + runs):
                start = time.perf_counter()
                fn(a, b).numpy()
                if i >= warmup:
                    seconds.append(time.perf_counter() - start)
            out.append(Peak("tf_python", dtype, n, seconds))
    return out


def best(peaks: list[Peak], runtime: str, dtype: str) -> Peak | None:
    """The fastest size of ``runtime`` in ``dtype``."""
    found = [p for p in peaks if p.runtime == runtime and p.dtype == dtype]
    return max(found, key=lambda p: p.gflops) if found else None
