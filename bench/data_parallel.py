"""Data-parallel training speed: the bench CNN and MLP (``sparkdl_bench.models``) trained by
``TFEstimator`` with 1 and 2 workers (``numWorkers``) on the same global batch, on ``local[2]``
or on the test suite's standalone cluster of two one-core workers (``python/tests/
standalone_cluster.py``), and (``local``) Keras ``fit`` of the same model in this process.

    PYTHONPATH=python .venv/bin/python bench/data_parallel.py --where cluster --models cnn,mlp

Prints a JSON line per model: steady steps/s of 1 worker (``one``), 2 workers (``two``) and 1
worker on the local batch (``one_local_batch``, half the global one); scaling efficiency
``two / (2 * one)``; ``allreduce_ms``, a 2-worker step's time less a 1-worker step's on the
local batch (the all-reduce and the wait for the other worker); ``two_vs_keras``. Steady steps/s
as the bench's training section measures them (median of epochs 2.., worker 0's task time).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "python" / "tests")]

import sparkdl  # noqa: E402
from sparkdl_bench import models  # noqa: E402
from sparkdl_bench import training as t  # noqa: E402

EPOCHS = 4


def session(where: str) -> tuple:
    conf = {"spark.ui.showConsoleProgress": "false", "spark.ui.enabled": "false"}
    if where == "local":
        return sparkdl.session(master="local[2]", app_name="dp-bench", **conf), None
    from standalone_cluster import StandaloneCluster, wait_for

    cluster = StandaloneCluster(Path(tempfile.mkdtemp()), workers=2, cores=1, memory="1500m")
    cluster.start()
    conf.update({"spark.executor.memory": "1g", "spark.driver.host": "127.0.0.1",
                 "spark.driver.bindAddress": "127.0.0.1"})
    spark = sparkdl.session(master=cluster.master_url, app_name="dp-bench", **conf)
    tracker = spark.sparkContext._jsc.sc().statusTracker()
    wait_for("two executors", lambda: len(tracker.getExecutorInfos()) - 1 == 2)
    return spark, cluster


def measure(spark, where: str, name: str, rows: int, batch: int) -> dict:
    import keras
    from sparkdl.ml import TFEstimator
    from sparkdl.model import TFModel

    spec = models.MODELS[name]
    rng = np.random.default_rng(7)
    x = rng.normal(size=(rows, spec.features)).astype(np.float32)
    y = np.eye(spec.outputs, dtype=np.float32)[rng.integers(0, spec.outputs, rows)]
    df = t._frame(spark, x, y, 2)
    loss = keras.losses.CategoricalCrossentropy(from_logits=(name == "cnn"))  # cnn: logits
    trainable = TFModel.from_keras_trainable(models.build(name, 7), loss, "sgd")
    est = TFEstimator(model=trainable, inputMapping={"x": "x"}, labelCol="y", batchSize=batch,
                      learningRate=0.01, shuffle=False, verbose=0)
    out: dict = {"model": name, "where": where, "rows": rows, "batch": batch}
    runs = (("one", 1, batch), ("two", 2, batch), ("one_local_batch", 1, batch // 2))
    for key, workers, b in runs:
        e = est.copy({est.numWorkers: workers, est.batchSize: b})
        t._sparkdl_fit(e, df, 2)  # warm: JIT, servers, sessions
        seconds, epoch_s, last, _ = t._sparkdl_fit(e, df, EPOCHS)
        out[key] = t.FitFigures(seconds, epoch_s, rows // b, last).steady_steps_per_s
    df.unpersist()
    out["efficiency"] = out["two"] / (2 * out["one"])
    out["allreduce_ms"] = max(1 / out["two"] - 1 / out["one_local_batch"], 0.0) * 1e3
    if where == "local":
        model = models.build(name, 7)
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss)
        model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)  # trace
        started = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=EPOCHS, shuffle=False, verbose=0)
        out["keras_one_process"] = EPOCHS * (rows // batch) / (time.perf_counter() - started)
        out["two_vs_keras"] = out["two"] / out["keras_one_process"]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--where", choices=["local", "cluster"], default="local")
    p.add_argument("--models", default="cnn,mlp")
    p.add_argument("--rows", type=int, default=2048)
    p.add_argument("--batch", type=int, default=128)
    args = p.parse_args()
    spark, cluster = session(args.where)
    try:
        spark.sparkContext.setLogLevel("ERROR")
        for name in args.models.split(","):
            print(json.dumps(measure(spark, args.where, name, args.rows, args.batch)), flush=True)
    finally:
        spark.stop()
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
