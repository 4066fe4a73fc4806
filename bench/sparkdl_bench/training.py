"""The training section: sparkdl's TFEstimator against Keras ``model.fit``, and parallel tuning.

Both train the same Keras model (same seeded initial weights) on the same rows, in the same
order (no shuffling), in batches of the same size, with the same optimizer (SGD) and learning
rate: Keras in this process on numpy arrays, sparkdl in a Spark task on a cached DataFrame of
those rows. Steady steps/s is steps per epoch over the median time of epochs 2..n, timed where
the training runs (Keras: a callback around each epoch; sparkdl: the training task, reported as
``TFEstimatorModel.epoch_seconds``), so one-off costs (tracing, caching job, session load, save)
stay out of it; the whole fit's steps/s, one-off costs included, is reported too. Final loss: the
last epoch's training loss of each.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

#: name -> (layers, rows, batch size, epochs, learning rate); rows divisible by the batch size.
TRAINING_MODELS: dict[str, tuple[list[int], int, int, int, float]] = {
    "small": ([8, 16, 3], 16_384, 32, 5, 0.01),
    "mlp": ([784, 256, 128, 10], 8_192, 128, 5, 0.01),
}
QUICK_ROWS = {"small": 4_096, "mlp": 2_048}
SEED = 7
ROUNDS = 3
WARM_EPOCHS = 10


@dataclass
class FitFigures:
    seconds: float  # the whole fit, as its caller waited for it
    epoch_seconds: list[float]  # each epoch's training, where it ran
    steps_per_epoch: int
    final_loss: float

    @property
    def steady_steps_per_s(self) -> float:
        return self.steps_per_epoch / float(np.median(self.epoch_seconds[1:]))

    @property
    def whole_fit_steps_per_s(self) -> float:
        return len(self.epoch_seconds) * self.steps_per_epoch / self.seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "epoch_seconds": self.epoch_seconds,
            "steps_per_epoch": self.steps_per_epoch,
            "steady_steps_per_s": self.steady_steps_per_s,
            "whole_fit_steps_per_s": self.whole_fit_steps_per_s,
            "final_loss": self.final_loss,
        }


def _model(layers: list[int]) -> Any:
    import keras

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([keras.Input((layers[0],), name="x")])
    for width in layers[1:-1]:
        model.add(keras.layers.Dense(width, activation="relu"))
    model.add(keras.layers.Dense(layers[-1], activation="softmax"))
    return model


def _data(layers: list[int], rows: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    centers = rng.normal(scale=2.0, size=(layers[-1], layers[0])).astype(np.float32)
    labels = rng.integers(0, layers[-1], rows)
    x = (centers[labels] + rng.normal(size=(rows, layers[0]))).astype(np.float32)
    return x, np.eye(layers[-1], dtype=np.float32)[labels]


def _frame(spark: Any, x: np.ndarray, y: np.ndarray, partitions: int) -> Any:
    import pandas as pd
    from pyspark.sql import types as T

    schema = T.StructType([
        T.StructField("x", T.ArrayType(T.FloatType(), False), False),
        T.StructField("y", T.ArrayType(T.FloatType(), False), False),
    ])
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    df = spark.createDataFrame(pd.DataFrame({"x": list(x), "y": list(y)}), schema)
    df = df.coalesce(partitions).cache()
    df.count()
    return df


def _keras_fit(layers: list[int], x: Any, y: Any, batch: int, epochs: int, lr: float) -> Any:
    import keras

    class EpochTimes(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.seconds.append(time.perf_counter() - self.started)

    model = _model(layers)
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="categorical_crossentropy")
    times = EpochTimes()
    started = time.perf_counter()
    history = model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0,
                        callbacks=[times])
    seconds = time.perf_counter() - started
    return seconds, times.seconds, float(history.history["loss"][-1]), model


def _estimator(layers: list[int], batch: int, lr: float) -> Any:
    from sparkdl.ml import TFEstimator
    from sparkdl.model import TFModel

    trainable = TFModel.from_keras_trainable(_model(layers), "categorical_crossentropy", "sgd")
    return TFEstimator(model=trainable, inputMapping={"x": "x"}, labelCol="y", batchSize=batch,
                       learningRate=lr, shuffle=False, verbose=0)


def _sparkdl_fit(est: Any, df: Any, epochs: int) -> tuple[float, list[float], float, Any]:
    started = time.perf_counter()
    model = est.copy({est.epochs: epochs}).fit(df)
    seconds = time.perf_counter() - started
    return seconds, model.epoch_seconds, float(model.history[-1]["loss"]), model


def compare_with_keras(spark: Any, name: str, quick: bool) -> dict[str, Any]:
    """sparkdl vs Keras fit on one model: figures of both, and their predictions' max diff."""
    layers, rows, batch, epochs, lr = TRAINING_MODELS[name]
    rows = QUICK_ROWS[name] if quick else rows
    x, y = _data(layers, rows)
    df = _frame(spark, x, y, 1)
    est = _estimator(layers, batch, lr)
    # Warm: the JVM compiles the training loop only after thousands of steps (later still when
    # other processes take the CPUs), TF Python traces on its first fit.
    _sparkdl_fit(est, df, WARM_EPOCHS)
    _keras_fit(layers, x, y, batch, 1, lr)
    s_seconds, s_epochs, s_loss, s_model = _sparkdl_fit(est, df, epochs)
    k_seconds, k_epochs, k_loss, k_model = _keras_fit(layers, x, y, batch, epochs, lr)
    got = np.array([r.prediction for r in s_model.transform(df.limit(256)).collect()], np.float32)
    diff = float(np.max(np.abs(got - k_model.predict(x[:256], verbose=0))))
    df.unpersist()
    steps = rows // batch
    return {
        "layers": layers, "rows": rows, "batch_size": batch, "learning_rate": lr,
        "sparkdl": FitFigures(s_seconds, s_epochs, steps, s_loss).to_json(),
        "keras": FitFigures(k_seconds, k_epochs, steps, k_loss).to_json(),
        "prediction_max_abs_diff": diff,
    }


def parallel_tuning(spark: Any, quick: bool, maps: int = 4) -> dict[str, Any]:
    """``maps`` param maps (learning rates) of the bench MLP in one fitMultiple vs the same fits
    one by one. The MLP, not the small model: a tuning run's fits are worth training, and a
    small-model fit's ~1 s of one-off costs (caching job, session load, first step's graph
    optimisation, save) would otherwise be most of what is measured."""
    layers, rows, batch, _, _ = TRAINING_MODELS["mlp"]
    rows = QUICK_ROWS["mlp"] if quick else rows
    epochs = 2 if quick else 4
    x, y = _data(layers, rows)
    df = _frame(spark, x, y, 2)
    est = _estimator(layers, batch, 0.01).setEpochs(epochs)
    rates = [0.005 * (i + 1) for i in range(maps)]
    grid = [{est.learningRate: r} for r in rates]
    list(est.fitMultiple(df, grid[:2]))  # warm
    parallel_s = sequential_s = float("inf")
    for _ in range(ROUNDS - 1):  # in rounds, the fastest of each kept: load hits both alike
        started = time.perf_counter()
        together = dict(est.fitMultiple(df, grid))
        parallel_s = min(parallel_s, time.perf_counter() - started)
        started = time.perf_counter()
        alone = [est.copy(m).fit(df) for m in grid]
        sequential_s = min(sequential_s, time.perf_counter() - started)
    same = all(together[i].history == alone[i].history for i in range(maps))
    df.unpersist()
    return {
        "maps": maps, "epochs": epochs, "rows": rows, "batch_size": batch,
        "parallel_s": parallel_s, "sequential_s": sequential_s,
        "speedup": sequential_s / parallel_s, "same_histories": same,
    }


def data_parallel(spark: Any, quick: bool) -> dict[str, Any]:
    """The bench MLP at one global batch with 1 and 2 data-parallel workers (``numWorkers``):
    steady steps/s of each (worker 0's epochs), the scaling efficiency (2-worker rate) / (2 x
    1-worker rate), and the seconds a step spends on the all-reduce and waiting for the other
    worker, estimated as a 2-worker step's time less a 1-worker step's on the local batch (half
    the global one). On whatever cluster the session runs (the bench's: local[2], both workers
    in one JVM sharing its cores)."""
    layers, rows, batch, _, lr = TRAINING_MODELS["mlp"]
    rows = QUICK_ROWS["mlp"] if quick else rows
    epochs = 3 if quick else 4
    x, y = _data(layers, rows)
    df = _frame(spark, x, y, 2)
    est = _estimator(layers, batch, lr)
    figures = {}
    runs = (("one", 1, batch), ("two", 2, batch), ("one_local_batch", 1, batch // 2))
    for name, workers, b in runs:
        e = est.copy({est.numWorkers: workers, est.batchSize: b})
        _sparkdl_fit(e, df, 2)  # warm: JIT, servers, sessions
        seconds, epoch_s, loss, _ = _sparkdl_fit(e, df, epochs)
        figures[name] = FitFigures(seconds, epoch_s, rows // b, loss).to_json()
    df.unpersist()
    one, two = figures["one"]["steady_steps_per_s"], figures["two"]["steady_steps_per_s"]
    local = figures["one_local_batch"]["steady_steps_per_s"]
    return {
        "layers": layers, "rows": rows, "batch_size": batch, **figures,
        "scaling_efficiency": two / (2 * one),
        "allreduce_s_per_step": max(1 / two - 1 / local, 0.0),
    }


def run(spark: Any, quick: bool, log: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in TRAINING_MODELS:
        out[name] = r = compare_with_keras(spark, name, quick)
        log(f"training {name}: sparkdl {r['sparkdl']['steady_steps_per_s']:,.0f} steps/s "
            f"(final loss {r['sparkdl']['final_loss']:.6f}), Keras fit "
            f"{r['keras']['steady_steps_per_s']:,.0f} steps/s "
            f"(final loss {r['keras']['final_loss']:.6f})")
    out["parallel"] = p = parallel_tuning(spark, quick)
    log(f"training: {p['maps']} param maps at once {p['parallel_s']:.2f} s, one by one "
        f"{p['sequential_s']:.2f} s ({p['speedup']:.2f}x)")
    out["workers"] = w = data_parallel(spark, quick)
    log(f"training mlp: 1 worker {w['one']['steady_steps_per_s']:,.0f} steps/s, 2 workers "
        f"{w['two']['steady_steps_per_s']:,.0f} steps/s (scaling efficiency "
        f"{w['scaling_efficiency']:.2f}, all-reduce {w['allreduce_s_per_step'] * 1e3:.2f} ms/step)")
    return out


def targets(results: dict[str, Any]) -> list[tuple[str, float, float, bool]]:
    """(what, measured, target, met) of the training section."""
    found = []
    for name, want in (("small", 5.0), ("mlp", 1.2)):
        if name in results:
            r = results[name]
            ratio = r["sparkdl"]["steady_steps_per_s"] / r["keras"]["steady_steps_per_s"]
            found.append((f"training {name}: sparkdl / Keras fit steps/s", ratio, want,
                          ratio >= want))
            loss = abs(r["sparkdl"]["final_loss"] - r["keras"]["final_loss"])
            found.append((f"training {name}: |final loss difference|", loss, 1e-4, loss <= 1e-4))
    if "parallel" in results:
        s = results["parallel"]["speedup"]
        found.append(("training: 4 maps at once / one by one", s, 1.7, s >= 1.7))
    return found


def markdown(results: dict[str, Any]) -> str:
    lines = ["", "## Training (sparkdl TFEstimator vs Keras fit)", "",
             "| model | rows x batch | sparkdl steady steps/s | Keras steady steps/s | ratio | "
             "sparkdl whole fit | Keras whole fit | final loss sparkdl / Keras |",
             "|---|---|---|---|---|---|---|---|"]
    for name in TRAINING_MODELS:
        if name not in results:
            continue
        r = results[name]
        s, k = r["sparkdl"], r["keras"]
        lines.append(
            f"| {name} {'-'.join(map(str, r['layers']))} | {r['rows']:,} x {r['batch_size']} | "
            f"{s['steady_steps_per_s']:,.0f} | {k['steady_steps_per_s']:,.0f} | "
            f"{s['steady_steps_per_s'] / k['steady_steps_per_s']:.2f}x | "
            f"{s['whole_fit_steps_per_s']:,.0f} | {k['whole_fit_steps_per_s']:,.0f} | "
            f"{s['final_loss']:.6f} / {k['final_loss']:.6f} |"
        )
    if "parallel" in results:
        p = results["parallel"]
        lines += ["", f"Parallel tuning: {p['maps']} param maps of the MLP ({p['epochs']} epochs, "
                  f"{p['rows']:,} rows) in one fitMultiple {p['parallel_s']:.2f} s, one by one "
                  f"{p['sequential_s']:.2f} s: {p['speedup']:.2f}x (same histories: "
                  f"{p['same_histories']})."]
    if "workers" in results:
        w = results["workers"]
        lines += ["", f"Data-parallel: the MLP, {w['rows']:,} rows in global batches of "
                  f"{w['batch_size']}: 1 worker {w['one']['steady_steps_per_s']:,.0f} steps/s, 2 "
                  f"workers {w['two']['steady_steps_per_s']:,.0f} steps/s (final loss "
                  f"{w['one']['final_loss']:.6f} / {w['two']['final_loss']:.6f}); scaling "
                  f"efficiency {w['scaling_efficiency']:.2f}; all-reduce and waiting "
                  f"{w['allreduce_s_per_step'] * 1e3:.2f} ms a step."]
    lines += ["", "| target | measured | wanted | |", "|---|---|---|---|"]
    for what, got, want, ok in targets(results):
        lines.append(f"| {what} | {got:.3g} | {want:g} | {'PASS' if ok else 'MISS'} |")
    return "\n".join(lines) + "\n"
