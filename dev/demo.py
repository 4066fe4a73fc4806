"""sparkdl's demo: a Keras model from Python, run by the JVM engine, beside Keras' own answers."""

from __future__ import annotations

import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import sparkdl  # noqa: E402
import sparkdl.tensorframes as tfs  # noqa: E402
import tensorflow as tf  # noqa: E402
from sparkdl import runtime  # noqa: E402


def build_model() -> tf.keras.Model:
    """A small seeded classifier: 10 features -> Dense(16, relu) -> Dense(3, softmax)."""
    tf.keras.utils.set_random_seed(42)
    return tf.keras.Sequential(
        [
            tf.keras.Input((10,), name="features"),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(3, activation="softmax"),
        ]
    )


def main() -> None:
    model = build_model()
    x = np.random.RandomState(0).normal(size=(1000, 10)).astype(np.float32)
    expected = model.predict(x, verbose=0)

    spark = sparkdl.session(
        master="local[2]",
        **{"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"},
    )
    spark.sparkContext.setLogLevel("ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "classifier")
        model.export(path, verbose=False)
        start = time.perf_counter()
        out = runtime.run_saved_model(path, {"features": x}, signature="serve")
        elapsed = time.perf_counter() - start
    ours = out["output_0"]

    # The same model over a DataFrame: a TF2 function of the `features` column, run in blocks
    # by the executors, each holding one session for the model.
    df = spark.createDataFrame(list(enumerate(x.tolist())), ["id", "features"]).repartition(4)
    df = tfs.analyze(df)
    scored = tfs.map_blocks(lambda features: {"probs": model(features)}, df)
    start = time.perf_counter()
    rows = scored.select("id", "probs").orderBy("id").collect()
    df_elapsed = time.perf_counter() - start
    ours_df = np.array([r.probs for r in rows], np.float32)

    print(f"sparkdl {sparkdl.__version__}, TF runtime in the JVM: {runtime.tf_version()}")
    print(f"model: Keras {model.count_params()} params, 1000 rows x 10 features\n")
    print(f"{'row':>4}  {'sparkdl (JVM engine)':<34}  {'Keras model.predict':<34}")
    for i in range(5):
        fmt = " ".join(f"{v:.6f}" for v in ours[i])
        ref = " ".join(f"{v:.6f}" for v in expected[i])
        print(f"{i:>4}  {fmt:<34}  {ref:<34}")
    diff = float(np.max(np.abs(ours - expected)))
    diff_df = float(np.max(np.abs(ours_df - expected)))
    print(f"\nmax |sparkdl - keras| over {ours.size} values: {diff:.3g}  ({elapsed * 1e3:.0f} ms)")
    print("\nThe model over a DataFrame (tensorframes.map_blocks, 4 partitions):")
    tfs.print_schema(scored)
    timing = f"({df_elapsed * 1e3:.0f} ms)"
    print(f"max |sparkdl - keras| over {ours_df.size} values: {diff_df:.3g}  {timing}")
    spark.stop()
    if max(diff, diff_df) > 1e-5:
        raise SystemExit("demo: results differ from Keras by more than 1e-5")


if __name__ == "__main__":
    main()
