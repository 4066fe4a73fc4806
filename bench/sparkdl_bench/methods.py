"""The methods compared, each as a job over the same cached data that returns its seconds.

Spark jobs build their output DataFrame (input column ``x`` plus prediction ``y``) inside the
timing and evaluate every row and column with a ``noop`` write. Raw TF Python and the bridge run
without Spark on data of the same size.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import ArrayType, FloatType, StructField, StructType

from sparkdl_bench import models
from sparkdl_bench.models import INPUT, OUTPUT, ModelSpec

#: Method keys, in report order, with their labels.
METHODS: dict[str, str] = {
    "sparkdl_py": "sparkdl map_blocks (Python)",
    "sparkdl_scala": "sparkdl mapBlocks (Scala)",
    "predict_batch_udf": "predict_batch_udf + TF Python",
    "map_in_arrow": "mapInArrow + TF Python",
    "tf_python": "raw TF Python (numpy, no Spark)",
    "bridge": "sparkdl bridge alone (JVM, no Spark)",
    "spark_ceiling": "Spark ceiling (cached scan -> noop)",
}

ARROW_BATCH_CONF = "spark.sql.execution.arrow.maxRecordsPerBatch"
OPTIMIZATION_CONF = "spark.sparkdl.graphOptimization"
PRECISION_CONF = "spark.sparkdl.precision"


@dataclass(frozen=True)
class Mode:
    """A compute mode of sparkdl's sessions, set for one job through a session conf."""

    name: str
    conf: str
    value: str
    label: str


#: ``--modes`` name -> the mode; each becomes method ``sparkdl_<name>`` (map_blocks as
#: ``sparkdl_py``, with the conf set for that job and restored after).
MODES: dict[str, Mode] = {
    "xla": Mode("xla", OPTIMIZATION_CONF, "xla", "sparkdl map_blocks xla"),
    "bfloat16": Mode("bfloat16", PRECISION_CONF, "bfloat16", "sparkdl map_blocks bfloat16"),
    "none": Mode("none", OPTIMIZATION_CONF, "none", "sparkdl map_blocks none (grappler off)"),
}
#: Every method key (base methods, modes, the bridge in each mode) -> its label, for the report.
LABELS: dict[str, str] = {
    **METHODS,
    **{f"sparkdl_{k}": v.label for k, v in MODES.items()},
    **{f"bridge_{k}": f"sparkdl bridge alone {k}" for k in MODES},
}


def mode_key(mode: str) -> str:
    """The method key of ``--modes`` name ``mode`` (sparkdl map_blocks in that mode)."""
    return f"sparkdl_{mode}"


def bridge_key(mode: str) -> str:
    """The method key of the bridge alone in ``--modes`` name ``mode``."""
    return f"bridge_{mode}"


@contextlib.contextmanager
def session_conf(spark: SparkSession, key: str, value: str) -> Iterator[None]:
    """``key`` = ``value`` on ``spark`` inside the block; its earlier value (or none) after."""
    previous = spark.conf.get(key, None)
    spark.conf.set(key, value)
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, previous)


def bfloat16_unsupported(spark: SparkSession) -> str | None:
    """Why sparkdl refuses precision bfloat16 in this (local) JVM, or None if it runs it."""
    tf = spark.sparkContext._jvm.io.sparkdl.tf
    why = tf.SessionConfig.unsupported(
        tf.GraphOptimization.parse("default", "bench"),
        tf.Precision.parse("bfloat16", "bench"),
        tf.CpuFeatures.current(),
        tf.TfRuntime.oneDnnEnabled(),
    )
    return str(why.get()) if why.isDefined() else None


@dataclass
class Prepared:
    """One model, ready for every method."""

    spec: ModelSpec
    keras: Any
    graph_def: bytes
    weights: str  # .npz for Python workers
    fetch: Any  # y:0 in a tf.Graph holding the frozen graph (for tensorframes.map_blocks)
    java_graph_def: Any  # the same bytes held in the JVM (for the Scala job)
    predict: Any  # numpy -> numpy in this process (raw TF Python, the correctness reference)


def prepare(spark: SparkSession, name: str, seed: int, workdir: Path) -> Prepared:
    """Builds model ``name`` from ``seed`` and everything each method needs of it."""
    import tensorflow as tf

    spec = models.MODELS[name]
    keras = models.build(name, seed)
    graph_def = models.frozen_graph_def(keras, spec.features)
    weights = str(models.save_weights(keras, workdir / f"{name}-{seed}.npz"))
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(tf.compat.v1.GraphDef.FromString(graph_def), name="")
    jvm = spark.sparkContext._jvm
    java_bytes = jvm.java.util.Arrays.copyOf(bytearray(graph_def), len(graph_def))
    fn = models.predict_function(keras, spec.features)
    return Prepared(
        spec,
        keras,
        graph_def,
        weights,
        graph.get_tensor_by_name(f"{OUTPUT}:0"),
        java_bytes,
        lambda x: fn(x).numpy(),
    )


# ---- data ---------------------------------------------------------------------------------


def make_data(
    spark: SparkSession, rows: int, features: int, partitions: int, seed: int
) -> DataFrame:
    """An ``array<float>`` column ``x`` of ``features`` values in [-1, 1) per row, cached.

    Made in the JVM (``SparkBench.randomData``); a row's values depend on ``seed`` and its id
    alone, so every partitioning holds the same data.
    """
    bench = spark.sparkContext._jvm.io.sparkdl.bench.SparkBench
    jdf = bench.randomData(spark._jsparkSession, INPUT, rows, features, partitions, seed)
    df = DataFrame(jdf, spark).cache()
    if df.count() != rows:
        raise RuntimeError("cached data lost rows")
    return df


def to_numpy(df: DataFrame, features: int) -> np.ndarray:
    """The ``x`` column as a float32 ``[rows, features]`` array (through Arrow)."""
    column = df.toArrow().column(INPUT).combine_chunks()
    return column.flatten().to_numpy(zero_copy_only=False).reshape(-1, features)


def noop(df: DataFrame) -> None:
    """Evaluates every row and column of ``df``, writing nothing."""
    df.write.format("noop").mode("overwrite").save()


# ---- sparkdl ------------------------------------------------------------------------------


@functools.cache
def tensorframes() -> Any:
    """``sparkdl.tensorframes`` when importable (with ``map_blocks``), else None."""
    try:
        import sparkdl.tensorframes as tfs
    except Exception as e:  # the module is young: fall back to the JVM entry point
        warnings.warn(
            f"sparkdl.tensorframes unusable ({e!r}); calling the JVM directly", stacklevel=1
        )
        return None
    return tfs if hasattr(tfs, "map_blocks") else None


def python_api_used() -> str:
    return (
        "sparkdl.tensorframes.map_blocks"
        if tensorframes()
        else "PythonTensorFrames.mapBlocks (py4j)"
    )


def map_blocks(model: Prepared, df: DataFrame, block_size: int) -> DataFrame:
    """sparkdl's ``map_blocks`` from Python: ``x`` -> ``y`` appended to ``df``."""
    tfs = tensorframes()
    if tfs is not None:
        return tfs.map_blocks(model.fetch, df, block_size=block_size)
    spark = df.sparkSession
    api = spark.sparkContext._jvm.io.sparkdl.python.PythonTensorFrames
    jdf = api.mapBlocks(
        df._jdf,
        bytearray(model.graph_def),
        [f"{OUTPUT}:0"],
        [OUTPUT],
        {},
        False,
        block_size,
        "error",
    )
    return DataFrame(jdf, spark)


def sparkdl_py_job(model: Prepared, df: DataFrame, block_size: int) -> float:
    start = time.perf_counter()
    noop(map_blocks(model, df, block_size))
    return time.perf_counter() - start


def sparkdl_mode_frame(model: Prepared, df: DataFrame, block_size: int, mode: Mode) -> DataFrame:
    """:func:`map_blocks` planned under ``mode`` (the conf is read when the job is planned);
    for the correctness check, which collects it under the same conf."""
    with session_conf(df.sparkSession, mode.conf, mode.value):
        return map_blocks(model, df, block_size)


def sparkdl_mode_job(model: Prepared, df: DataFrame, block_size: int, mode: Mode) -> float:
    """:func:`sparkdl_py_job` with ``mode``'s conf set for the job (built and run under it)."""
    with session_conf(df.sparkSession, mode.conf, mode.value):
        return sparkdl_py_job(model, df, block_size)


def sparkdl_scala_job(model: Prepared, df: DataFrame, block_size: int) -> float:
    bench = df.sparkSession.sparkContext._jvm.io.sparkdl.bench.SparkBench
    return bench.mapBlocksNoop(df._jdf, model.java_graph_def, f"{OUTPUT}:0", block_size) / 1e9


# ---- TF Python in Spark's Python workers --------------------------------------------------


def predict_batch_udf_frame(model: Prepared, df: DataFrame, batch_size: int) -> DataFrame:
    from pyspark.ml.functions import predict_batch_udf

    udf = predict_batch_udf(
        functools.partial(models.make_predict_fn, model.spec.name, model.weights),
        return_type=ArrayType(FloatType()),
        batch_size=batch_size,
        input_tensor_shapes=[[model.spec.features]],
    )
    return df.withColumn(OUTPUT, udf(INPUT))


def predict_batch_udf_job(model: Prepared, df: DataFrame, batch_size: int) -> float:
    start = time.perf_counter()
    noop(predict_batch_udf_frame(model, df, batch_size))
    return time.perf_counter() - start


def map_in_arrow_frame(model: Prepared, df: DataFrame) -> DataFrame:
    schema = StructType([*df.schema.fields, StructField(OUTPUT, ArrayType(FloatType()))])
    fn = functools.partial(
        models.predict_arrow_batches, model.spec.name, model.weights, model.spec.features
    )
    return df.mapInArrow(fn, schema)


def map_in_arrow_job(model: Prepared, df: DataFrame, batch_size: int) -> float:
    """mapInArrow with Arrow batches of ``batch_size`` rows (the model runs once per batch)."""
    spark = df.sparkSession
    previous = spark.conf.get(ARROW_BATCH_CONF)
    spark.conf.set(ARROW_BATCH_CONF, str(batch_size))
    try:
        start = time.perf_counter()
        noop(map_in_arrow_frame(model, df))
        return time.perf_counter() - start
    finally:
        spark.conf.set(ARROW_BATCH_CONF, previous)


# ---- no model, no Spark -------------------------------------------------------------------


def spark_ceiling_job(df: DataFrame) -> float:
    start = time.perf_counter()
    noop(df)
    return time.perf_counter() - start


def tf_python_pass(model: Prepared, x: np.ndarray, batch_size: int) -> float:
    """One pass of raw TF Python over ``x``: numpy slice in, numpy out, per batch."""
    start = time.perf_counter()
    total = 0.0
    for i in range(0, len(x), batch_size):
        total += float(model.predict(x[i : i + batch_size])[0, 0])
    elapsed = time.perf_counter() - start
    if not np.isfinite(total):
        raise RuntimeError("raw TF Python produced non-finite outputs")
    return elapsed


def bridge_passes(
    model: Prepared,
    workdir: Path,
    rows: int,
    batch_size: int,
    passes: int,
    intra_op: int,
    inter_op: int,
    seed: int,
    warmup_batches: int = 1000,
    optimization: str = "default",
    precision: str = "float32",
) -> tuple[list[float], float]:
    """sparkdl's bridge alone, in a JVM of its own: seconds of each pass over ``rows`` rows.

    ``warmup_batches`` untimed runs go first (the JIT's warm-up; each pass is timed whole).
    A fresh JVM, because TF sizes its intra-op pool from the first session of a process, and the
    Spark JVM's first sessions are sparkdl's 1-thread task sessions. Returns the seconds and
    the bridge JVM's peak RSS in MB. ``optimization`` and ``precision``: the session's compute
    mode, as sparkdl's confs name them. Needs ``$SPARKDL_BENCH_CLASSPATH`` (set by bench/run).
    """
    classpath = os.environ.get("SPARKDL_BENCH_CLASSPATH")
    if not classpath:
        raise RuntimeError("SPARKDL_BENCH_CLASSPATH is not set: run the suite through bench/run")
    graph = workdir / f"{model.spec.name}-bridge.pb"
    graph.write_bytes(model.graph_def)
    java = Path(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    args = [INPUT + ":0", OUTPUT + ":0", model.spec.features, rows, batch_size, intra_op, inter_op]
    cmd = [str(java), "-Xmx4g", "-cp", classpath, "io.sparkdl.bench.BridgeBench", str(graph)]
    cmd += [str(a) for a in [*args, passes, warmup_batches, seed, optimization, precision]]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the bridge JVM failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(lines[-1])
    return [n / 1e9 for n in result["nanos"]], round(result["vmhwm_kb"] / 1024, 1)
