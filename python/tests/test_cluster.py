"""sparkdl on a real Spark standalone cluster: results equal local mode's, and faults recover.

The module starts a master and two one-core workers on loopback (``standalone_cluster``). Every
computation runs first in local mode (a local session, stopped before the cluster's starts: one
SparkContext per Python process), then on the cluster, where executors are separate JVMs that
load sparkdl from ``spark.jars`` as ``--jars`` users' do. conftest runs this module first, so the
shared local session of the other modules is created after this one is done.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import keras
import keras_fixtures
import numpy as np
import pytest
import sparkdl
import sparkdl.tensorframes as tfs
import task_gate
import tensorflow as tf
from py4j.protocol import Py4JJavaError
from pyspark import cloudpickle
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import functions as F
from pyspark.sql import types as T
from sparkdl import TFImageTransformer
from sparkdl.image import columnSchema, imageArrayToStruct
from sparkdl.ml import TFEstimator, TFTransformer
from sparkdl.model import TFModel
from sparkdl.runtime import session_cache_stats
from sparkdl.udf import registerModelUDF
from standalone_cluster import StandaloneCluster, wait_for

cloudpickle.register_pickle_by_value(task_gate)

JOB_ERRORS = (Py4JJavaError, CapturedException)
# The cluster's session cache bound: the small models of the equality and concurrency tests fit
# many times over; six padded 1 MiB models (test_more_models_than_fit) do not.
CACHE_BOUND = "3m"
# How long a job may take before the test calls it hung (not a performance threshold).
HANG = 180.0
# Recovery times measured by the fault tests, printed at the end of the module (-s shows them).
MEASURED: dict[str, float] = {}


# ---- models, built once with TF/Keras (no Spark) -------------------------------------------


def _mlp_keras() -> keras.Model:
    keras.utils.set_random_seed(21)
    return keras.Sequential(
        [
            keras.Input((6,), name="x"),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


def _cnn_keras() -> keras.Model:
    keras.utils.set_random_seed(7)
    return keras.Sequential(
        [
            keras.Input((6, 5, 3), name="image"),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


def _trainable_keras() -> keras.Model:
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((8,), name="x"),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("cluster-models")
    mlp = _mlp_keras()
    mlp.export(str(root / "mlp"), format="tf_saved_model", verbose=False)
    return {"mlp": str(root / "mlp"), "mlp_keras": mlp, "cnn": _cnn_keras(), "root": root}


# ---- the computations, each run in local mode and on the cluster -----------------------------


def _numbers(spark, n: int = 2000):
    return spark.range(0, n, 1, 4).selectExpr(
        "id",
        "cast(id as double) as x",
        "id % 5 as k",
        "array(cast(id as double) / 100, cast(id % 7 as double)) as v",
    )


def _features(spark, n: int = 64):
    x = np.random.default_rng(4).normal(size=(n, 6)).astype(np.float32)
    rows = [(i, [float(v) for v in r]) for i, r in enumerate(x)]
    # Three partitions without a shuffle: a killed executor loses no shuffle output, which
    # Spark would recompute only after its fetch retries (measured: 42 s against 3 s).
    return spark.createDataFrame(
        spark.sparkContext.parallelize(rows, 3), "i long, x array<float>"
    ), x


def _plus(c: float) -> Callable:
    """A TF1 map_blocks builder: ``z = sin(x) * 2 + c``."""

    def build(df):
        with tf.Graph().as_default():
            x = tfs.block(df, "x")
            return tfs.map_blocks(tf.add(tf.sin(x) * 2.0, c, name="z"), df)

    return build


def run_map_blocks(spark, models):
    out = _plus(3.0)(_numbers(spark))
    return sorted((r.id, r.z) for r in out.select("id", "z").collect())


def run_reduce_blocks(spark, models):
    df = _numbers(spark).select("x", "v")
    with tf.Graph().as_default():
        x_in = tf.compat.v1.placeholder(tf.float64, [None], name="x_input")
        v_in = tf.compat.v1.placeholder(tf.float64, [None, 2], name="v_input")
        x = tf.reduce_sum(x_in, 0, name="x")
        v = tf.reduce_max(v_in, 0, name="v")
        got = tfs.reduce_blocks([x, v], df, block_size=100)
    return [np.asarray(g).tolist() for g in got]


def run_aggregate(spark, models):
    df = _numbers(spark).select("k", "x")
    with tf.Graph().as_default():
        x_in = tf.compat.v1.placeholder(tf.float64, [None], name="x_input")
        out = tfs.aggregate(tf.reduce_sum(x_in, 0, name="x"), df.groupBy("k"), block_size=64)
    return sorted((r.k, r.x) for r in out.collect())


def run_tf_transformer(spark, models):
    df, _ = _features(spark)
    stage = TFTransformer(
        model=TFModel.from_saved_model(models["mlp"], signature="serve"),
        inputMapping={"x": "x"},
        outputMapping={"output_0": "p"},
    )
    return sorted((r.i, [float(v) for v in r.p]) for r in stage.transform(df).collect())


def run_sql_function(spark, models):
    df, _ = _features(spark)
    registerModelUDF(
        spark, "cluster_mlp", TFModel.from_saved_model(models["mlp"], signature="serve")
    )
    df.createOrReplaceTempView("cluster_mlp_in")
    out = spark.sql("SELECT i, cluster_mlp(x) AS p FROM cluster_mlp_in")
    return sorted((r.i, [float(v) for v in r.p]) for r in out.collect())


def _images():
    rng = np.random.default_rng(3)
    sizes = [(6, 5), (9, 7), (4, 4), (12, 10), (6, 5), (8, 8)]
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes]


def run_image_stage(spark, models):
    rows = [
        (i, imageArrayToStruct(a[..., ::-1].copy(), f"img{i}")) for i, a in enumerate(_images())
    ]
    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("image", columnSchema)])
    df = spark.createDataFrame(rows, schema).repartition(2)
    stage = TFImageTransformer(model=models["cnn"], inputCol="image", outputCol="probs")
    return sorted((r.i, r.probs.toArray().tolist()) for r in stage.transform(df).collect())


def run_training_fit(spark, models, workers: int = 1):
    rng = np.random.default_rng(5)
    centers = rng.normal(scale=3.0, size=(3, 8)).astype(np.float32)
    labels = rng.integers(0, 3, 96)
    x = (centers[labels] + rng.normal(size=(96, 8))).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[labels]
    schema = "features array<float>, label array<float>"
    # Two partitions without a shuffle: the same rows in the same order in both modes (a
    # shuffle's reducers read map outputs in arrival order, and SGD depends on the order).
    rows = [(a.tolist(), b.tolist()) for a, b in zip(x, y, strict=True)]
    df = spark.createDataFrame(spark.sparkContext.parallelize(rows, 2), schema)
    trainable = TFModel.from_keras_trainable(_trainable_keras(), "categorical_crossentropy", "sgd")
    est = TFEstimator(
        model=trainable,
        inputMapping={"features": "x"},
        epochs=2,
        batchSize=16,
        learningRate=0.05,
        shuffle=True,
        seed=3,
        numWorkers=workers,
    )
    fitted = est.fit(df)
    out = fitted.transform(
        spark.createDataFrame([(a.tolist(),) for a in x[:12]], "features array<float>")
    )
    return [[float(v) for v in r.prediction] for r in out.collect()]


COMPUTATIONS: dict[str, Callable] = {
    "map_blocks": run_map_blocks,
    "reduce_blocks": run_reduce_blocks,
    "aggregate": run_aggregate,
    "tf_transformer": run_tf_transformer,
    "sql_function": run_sql_function,
    "image_stage": run_image_stage,
    "training_fit": run_training_fit,
    # Data-parallel: on the cluster each worker is its own executor JVM, the all-reduce crosses
    # processes over gRPC; in local mode both workers share one JVM.
    "training_fit_two_workers": lambda spark, models: run_training_fit(spark, models, workers=2),
}


# ---- the cluster and the two sessions ------------------------------------------------------


@pytest.fixture(scope="module")
def local_results(models):
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        pytest.fail("test_cluster must run before any other module starts the shared session")
    spark = sparkdl.session(master="local[2]", **{"spark.ui.enabled": "false"})
    try:
        spark.sparkContext.setLogLevel("WARN")
        return {name: run(spark, models) for name, run in COMPUTATIONS.items()}
    finally:
        spark.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = StandaloneCluster(tmp_path_factory.mktemp("standalone"), workers=2, cores=1, memory="1g")
    c.start()
    try:
        yield c
    finally:
        c.stop()
        assert not c.leftovers(), "processes of the cluster outlived it"


@pytest.fixture(scope="module")
def spark(cluster, local_results):
    session = sparkdl.session(
        master=cluster.master_url,
        app_name="sparkdl-cluster-test",
        **{
            "spark.executor.memory": "640m",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.sparkdl.sessionCache.maxBytes": CACHE_BOUND,
            # Sessions count as their models' bytes alone here, so CACHE_BOUND holds ~3 padded
            # models and the concurrency test's two small ones stay loaded.
            "spark.sparkdl.sessionCache.sessionOverhead": "0",
        },
    )
    try:
        session.sparkContext.setLogLevel("WARN")
        _wait_for_two_executors(session)
        yield session
    finally:
        session.stop()
        for name, seconds in MEASURED.items():
            print(f"[cluster] {name}: {seconds:.2f} s")


def _registered_executors(spark) -> int:
    """Executors registered with the driver (the status tracker also lists the driver)."""
    return len(spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()) - 1


def _wait_for_two_executors(spark) -> None:
    wait_for("two executors registered with the driver", lambda: _registered_executors(spark) == 2)


def _executor_pids(cluster, spark) -> set[int]:
    return {e.pid for e in cluster.executors(spark.sparkContext.applicationId)}


# ---- equal to local mode -------------------------------------------------------------------


def _assert_same(got, want):
    assert len(got) == len(want)
    np.testing.assert_allclose(_flat(got), _flat(want), rtol=1e-6, atol=1e-6)


def _flat(value) -> np.ndarray:
    out: list[float] = []

    def walk(v):
        if isinstance(v, list | tuple | np.ndarray):
            for e in v:
                walk(e)
        else:
            out.append(float(v))

    walk(value)
    return np.asarray(out)


@pytest.mark.parametrize("name", list(COMPUTATIONS))
def test_equals_local_mode(spark, models, local_results, name):
    got = COMPUTATIONS[name](spark, models)
    _assert_same(got, local_results[name])


def test_local_results_equal_tf(models, local_results):
    """The local results the cluster is compared with are TF's (the other modules check more)."""
    ids = np.arange(2000, dtype=np.float64)
    np.testing.assert_allclose(
        [z for _, z in local_results["map_blocks"]], np.sin(ids) * 2.0 + 3.0, rtol=1e-12
    )
    total, vmax = local_results["reduce_blocks"]
    assert total == ids.sum() and vmax == [19.99, 6.0]
    x = np.random.default_rng(4).normal(size=(64, 6)).astype(np.float32)  # as _features
    want = models["mlp_keras"].predict(x, verbose=0)
    np.testing.assert_allclose([p for _, p in local_results["tf_transformer"]], want, atol=1e-5)
    np.testing.assert_allclose([p for _, p in local_results["sql_function"]], want, atol=1e-5)


def test_executors_are_separate_jvms_loading_sparkdl_from_spark_jars(cluster, spark):
    executors = cluster.executors(spark.sparkContext.applicationId)
    assert len(executors) == 2 and os.getpid() not in {e.pid for e in executors}
    jars = spark.sparkContext.getConf().get("spark.jars")
    assert "sparkdl_2.13" in jars and "tensorflow-core-native" in jars
    for e in executors:
        cmdline = Path(f"/proc/{e.pid}/cmdline").read_bytes().decode()
        assert "sparkdl_2.13" not in cmdline, "sparkdl must come from spark.jars, not a classpath"


# ---- concurrency and the session cache ------------------------------------------------------


def _fresh_graph_job(spark, c: float, via_sql: bool, index: int):
    """z = sin(x) * 2 + c over 400 rows, by map_blocks or a SQL function over the same graph."""
    df = spark.range(0, 400, 1, 4).selectExpr("id", "cast(id as double) as x")
    if not via_sql:
        out = _plus(c)(df).select("id", "z")
    else:
        with tf.Graph().as_default():
            x = tf.compat.v1.placeholder(tf.float64, [None], name="x")
            tf.add(tf.sin(x) * 2.0, c, name="z")
            graph_def = tf.compat.v1.get_default_graph().as_graph_def()
        name = f"cluster_f{index}"
        registerModelUDF(
            spark, name, TFModel.from_graph_def(graph_def), inputs=["x"], outputs=["z"]
        )
        view = f"cluster_concurrent_{index}"
        df.createOrReplaceTempView(view)
        out = spark.sql(f"SELECT id, {name}(x) AS z FROM {view}")
    return sorted((r.id, float(r.z)) for r in out.collect())


def test_eight_concurrent_queries_load_each_model_once_per_executor(spark):
    before = session_cache_stats(spark)
    # Two models new to the executors, each used by four threads: two by map_blocks, two by SQL.
    constants = [0.25, 0.75]
    results: dict[int, object] = {}

    def query(i: int) -> None:
        try:
            results[i] = _fresh_graph_job(spark, constants[i % 2], via_sql=i >= 4, index=i)
        except BaseException as e:  # reported below, with the thread's index
            results[i] = e

    threads = [threading.Thread(target=query, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG)
    assert all(not t.is_alive() for t in threads), "a concurrent query hung"
    ids = np.arange(400, dtype=np.float64)
    for i in range(8):
        assert not isinstance(results[i], BaseException), (i, results[i])
        got = np.array([z for _, z in results[i]])
        np.testing.assert_allclose(got, np.sin(ids) * 2.0 + constants[i % 2], rtol=1e-12)
    after = session_cache_stats(spark)
    assert set(after) == set(before), "an executor was lost"
    new_loads = {
        executor: {
            k: n - before[executor]["loadsByModel"].get(k, 0)
            for k, n in stats["loadsByModel"].items()
            if n != before[executor]["loadsByModel"].get(k, 0)
        }
        for executor, stats in after.items()
    }
    # Each model an executor ran, it loaded once (however many of the 32 tasks it ran).
    assert all(n == 1 for loads in new_loads.values() for n in loads.values()), new_loads
    # map_blocks and the SQL function freeze the same graph differently: two to four models.
    assert 2 <= len(set().union(*new_loads.values())) <= 4, new_loads


def _padded(c: float):
    """map_blocks of ``z = x + c`` with a 1 MiB constant folded in, so it counts 1 MiB."""

    def build(df):
        with tf.Graph().as_default():
            x = tfs.block(df, "x")
            pad = tf.constant(np.full(1 << 18, c, np.float32))
            zero = tf.cast(tf.reduce_sum(pad) * 0.0, tf.float64)
            return tfs.map_blocks(tf.add(x + c, zero, name="z"), df)

    return build


def test_more_models_than_fit_all_run_and_the_cache_keeps_its_bound(spark):
    df = spark.range(0, 200, 1, 2).selectExpr("id", "cast(id as double) as x")
    for i in range(6):
        c = 1000.0 * (i + 1)
        got = sorted((r.id, r.z) for r in _padded(c)(df).select("id", "z").collect())
        assert [z for _, z in got] == [float(j) + c for j in range(200)], i
    stats = session_cache_stats(spark)
    for executor, s in stats.items():
        assert s["maxBytes"] == 3 << 20, s
        assert s["bytes"] <= s["maxBytes"], (executor, s)
    assert sum(s["evictions"] for s in stats.values()) >= 1, stats


# ---- faults --------------------------------------------------------------------------------


def _executors_at_gate(cluster, gate: Path) -> list:
    """The executors running a task that waits at the gate, once there are two, else []."""
    found = {cluster.executor_of(pid) for _, pid in task_gate.started(str(gate))}
    return sorted(found, key=lambda e: e.pid) if len(found) >= 2 else []


def _kill_mid_job(cluster, spark, tmp_path, job: Callable[[str], list]) -> tuple[list, list]:
    """Runs ``job(gate)`` fault-free (the gate open), then again in a thread: once a task waits
    a task of each executor waits at the gate, SIGKILLs one of them and opens the gate. Returns
    (with the kill, fault-free)."""
    _wait_for_two_executors(spark)
    free_gate = tmp_path / "open-gate"
    free_gate.mkdir()
    task_gate.open_gate(str(free_gate))
    started = time.monotonic()
    fault_free = job(str(free_gate))
    MEASURED[f"{job.__name__}: fault-free job"] = time.monotonic() - started
    gate = tmp_path / "gate"
    gate.mkdir()
    done: dict[str, object] = {}

    def run() -> None:
        try:
            done["result"] = job(str(gate))
        except BaseException as e:
            done["error"] = e

    started = time.monotonic()
    thread = threading.Thread(target=run)
    thread.start()
    try:
        # A task of each executor at the gate: both are up, the survivor has a task in flight.
        at_gate = wait_for(
            "a task of each executor at the gate", lambda: _executors_at_gate(cluster, gate)
        )
        victim = at_gate[0]
        os.kill(victim.pid, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(
            "the killed executor to exit", lambda: victim.pid not in _executor_pids(cluster, spark)
        )
    finally:
        task_gate.open_gate(str(gate))
    thread.join(HANG)
    assert not thread.is_alive(), "the job hung after its executor was killed"
    MEASURED[f"{job.__name__}: kill -> job done"] = time.monotonic() - killed
    MEASURED[f"{job.__name__}: job with the kill, start -> done"] = time.monotonic() - started
    assert "error" not in done, done.get("error")
    return done["result"], fault_free


def test_executor_killed_during_map_blocks(cluster, spark, tmp_path, local_results):
    def gated_map_blocks(gate: str) -> list:
        through_gate = F.udf(task_gate.passing(gate), "double")
        df = _numbers(spark).withColumn("x", through_gate("x"))
        return sorted((r.id, r.z) for r in _plus(3.0)(df).select("id", "z").collect())

    got, fault_free = _kill_mid_job(cluster, spark, tmp_path, gated_map_blocks)
    assert got == fault_free
    _assert_same(got, local_results["map_blocks"])
    _wait_for_two_executors(spark)  # the lost executor's replacement


def test_executor_killed_during_a_sql_function_query(
    cluster, spark, models, tmp_path, local_results
):
    registerModelUDF(
        spark, "cluster_mlp_k", TFModel.from_saved_model(models["mlp"], signature="serve")
    )

    def gated_sql(gate: str) -> list:
        df, _ = _features(spark)
        spark.udf.register("gate_pass", task_gate.passing(gate), "double")
        df.selectExpr("i", "x", "gate_pass(cast(i as double)) AS g").createOrReplaceTempView(
            "cluster_gated"
        )
        out = spark.sql("SELECT i, g, cluster_mlp_k(x) AS p FROM cluster_gated")
        return sorted((r.i, [float(v) for v in r.p]) for r in out.collect())

    got, fault_free = _kill_mid_job(cluster, spark, tmp_path, gated_sql)
    assert got == fault_free
    _assert_same(got, local_results["sql_function"])
    _wait_for_two_executors(spark)  # the lost executor's replacement


def test_a_tf_error_in_one_task_names_the_tensor_and_column_and_the_executors_stay_up(
    cluster, spark
):
    pids = _executor_pids(cluster, spark)
    df = spark.range(0, 400, 1, 4).selectExpr(
        "cast(id as double) as x", "CASE WHEN id = 321 THEN cast('NaN' as double) ELSE 1.0 END as w"
    )
    with tf.Graph().as_default():
        x = tfs.block(df, "x")
        w = tfs.block(df, "w")
        checked = tf.debugging.check_numerics(w, "weight w is not finite")
        out = tfs.map_blocks(tf.multiply(x, checked, name="y"), df)
    started = time.monotonic()
    with pytest.raises(JOB_ERRORS) as failure:
        out.collect()
    MEASURED["TF error in one task: job failed after"] = time.monotonic() - started
    message = str(failure.value)
    assert "weight w is not finite" in message
    assert "placeholder 'w' from column 'w'" in message, message[:2000]
    assert "Can't overwrite cause" not in message
    assert _executor_pids(cluster, spark) == pids, "an executor died"
    assert run_map_blocks(spark, None)[:3] == [
        (0, 3.0),
        (1, np.sin(1.0) * 2 + 3),
        (2, np.sin(2.0) * 2 + 3),
    ]


def _saved_model_copy(models, name: str) -> Path:
    import shutil

    target = models["root"] / name
    shutil.copytree(models["mlp"], target)
    return target


@pytest.mark.parametrize("damage", ["missing variables", "corrupt variables"])
def test_a_model_that_cannot_load_on_the_executors_fails_once_clearly(
    cluster, spark, models, damage
):
    path = _saved_model_copy(models, damage.replace(" ", "_"))
    data = next((path / "variables").glob("variables.data-*"))
    if damage == "missing variables":
        data.unlink()
    else:
        data.write_bytes(bytes(255 - b for b in data.read_bytes()))
    pids = _executor_pids(cluster, spark)
    df, _ = _features(spark)
    stage = TFTransformer(
        model=TFModel.from_saved_model(str(path), signature="serve"),
        inputMapping={"x": "x"},
        outputMapping={"output_0": "p"},
    )
    done: dict[str, object] = {}

    def run() -> None:
        try:
            stage.transform(df).collect()
        except BaseException as e:
            done["error"] = e

    started = time.monotonic()
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), "a model that cannot load hung the job"
    MEASURED[f"{damage}: job failed after"] = time.monotonic() - started
    error = done.get("error")
    assert isinstance(error, JOB_ERRORS), error
    message = str(error)
    if damage == "missing variables":  # refused where the model is read, naming the user's path
        assert f"SavedModel '{path}' lacks variables file" in message, message
    else:  # only TF finds out, on the executor: it names the executor and the user's path
        assert "the SavedModel (tags serve" in message
        assert "could not be loaded on executor" in message
        assert f"SavedModel '{path}' does not load" in message, message
    assert "IllegalStateException" not in message
    assert _executor_pids(cluster, spark) == pids, "an executor died"
    assert run_map_blocks(spark, None)[:1] == [(0, 3.0)]


def test_executor_killed_during_a_data_parallel_fit_resumes_from_its_checkpoint(
    cluster, spark, tmp_path
):
    """numWorkers=2 with checkpointDir: an executor SIGKILLed after the first epoch's checkpoint
    fails the fit's barrier stage; sparkdl submits it again, resuming from the last checkpoint,
    and the model and history equal the fault-free fit's (same seeds)."""
    import glob

    _wait_for_two_executors(spark)
    x, y = keras_fixtures.blobs(8, 4096)
    rows = [(a.tolist(), b.tolist()) for a, b in zip(x, y, strict=True)]
    df = spark.createDataFrame(
        spark.sparkContext.parallelize(rows, 2), "features array<float>, label array<float>"
    )
    checkpoints = tmp_path / "checkpoints"
    trainable = TFModel.from_keras_trainable(_trainable_keras(), "categorical_crossentropy", "sgd")
    est = TFEstimator(model=trainable, inputMapping={"features": "x"}, epochs=6, batchSize=16,
                      learningRate=0.05, shuffle=True, seed=3, numWorkers=2,
                      checkpointDir=str(checkpoints), verbose=0)
    probe = spark.createDataFrame([(a.tolist(),) for a in x[:12]], "features array<float>")

    def predictions(model) -> list:
        return [list(r.prediction) for r in model.transform(probe).collect()]

    fault_free = est.fit(df)
    done: dict = {}

    def fit() -> None:
        try:
            done["model"] = est.fit(df)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            done["error"] = e

    thread = threading.Thread(target=fit)
    thread.start()
    wait_for("the first epoch's checkpoint",
             lambda: glob.glob(str(checkpoints / "*" / "epoch-1.history")), timeout=HANG)
    victim = sorted(_executor_pids(cluster, spark))[0]
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    thread.join(HANG)
    assert not thread.is_alive(), "the fit hung after its executor was killed"
    MEASURED["data-parallel fit: kill -> fit done"] = time.monotonic() - killed
    assert "error" not in done, done.get("error")
    # The retry's job (its description, as the Spark UI shows it) started from a checkpoint.
    jobs = spark.sparkContext._jsc.sc().statusStore().jobsList(None)  # a Scala Seq
    found = [jobs.apply(i).description() for i in range(jobs.size())]
    descriptions = [d.get() for d in found if d.isDefined()]
    retried = [d for d in descriptions if re.search(r"attempt 2 of 3, from epoch [1-5]\)", d)]
    assert retried, descriptions
    got = done["model"]
    np.testing.assert_allclose(predictions(got), predictions(fault_free), rtol=1e-6, atol=1e-6)
    assert len(got.history) == 6
    for a, b in zip(got.history, fault_free.history, strict=True):
        assert a.keys() == b.keys()
        np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-6, atol=1e-6)
    assert not glob.glob(str(checkpoints / "*")), "a successful fit deletes its checkpoints"
