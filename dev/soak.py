"""A soak of mixed sparkdl jobs in one application (issue: reliability). Not part of CI.

Runs map_blocks, a Keras stage, a SQL model function, a reduction, an image stage and a small fit
in a loop for ``--minutes``, loading a new model every few rounds so the session cache evicts,
and samples the driver JVM (local mode: the executors too) every ``--every`` seconds: resident
memory (and the JVM heap in use), open file descriptors, threads, sparkdl's files in the temp
directory, the sessions the cache holds and the live native objects. Writes
target/soak/soak.csv and soak.png and prints whether each curve is flat after warm-up (the last
third's mean within ``--tolerance`` of the middle third's; memory may settle, not climb).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def jvm_pid(spark) -> int:
    return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())


def sample(spark, pid: int, tmp_root: Path) -> dict[str, float]:
    from sparkdl import runtime

    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    temp = [p for p in tmp_root.iterdir() if "sparkdl" in p.name]
    jvm = spark.sparkContext._jvm.java.lang.Runtime.getRuntime()
    cache = runtime.session_cache_stats(spark)
    return {
        "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
        "heap_mb": (jvm.totalMemory() - jvm.freeMemory()) / 2**20,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(fields["Threads"]),
        "temp_files": len(temp),
        "sessions": sum(s["sessions"] for s in cache.values()),
        "native_objects": sum(runtime.live_native_objects(spark=spark).values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=20.0)
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--out", default="target/soak")
    args = parser.parse_args()

    import sparkdl
    import tensorflow as tf
    from sparkdl import tensorframes as tfs
    from sparkdl.image import imageSchema
    from sparkdl.ml import KerasEstimator, KerasTransformer, TFImageTransformer
    from sparkdl.model import TFModel
    from sparkdl.udf import registerModelUDF

    spark = sparkdl.session(master="local[2]", **{"spark.ui.enabled": "false"})
    spark.sparkContext.setLogLevel("ERROR")
    pid = jvm_pid(spark)
    tmp_root = Path(tempfile.gettempdir())
    rng = np.random.default_rng(0)
    rows = [(i, rng.normal(size=8).astype(np.float32).tolist(), float(i % 3)) for i in range(4000)]
    df = spark.createDataFrame(rows, ["id", "x", "label"]).cache()
    images = spark.createDataFrame(
        [(sparkdl.imageArrayToStruct(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)),)
         for _ in range(64)], imageSchema).cache()
    work = Path(tempfile.mkdtemp(prefix="soak-"))

    def model(seed: int) -> tf.keras.Model:
        tf.keras.utils.set_random_seed(seed)
        return tf.keras.Sequential([tf.keras.Input((8,), name="x"),
                                    tf.keras.layers.Dense(16, activation="relu"),
                                    tf.keras.layers.Dense(3, activation="softmax")])

    cnn = tf.keras.Sequential([tf.keras.Input((24, 24, 3)), tf.keras.layers.Conv2D(4, 3),
                               tf.keras.layers.GlobalAveragePooling2D()])
    samples: list[dict[str, float]] = []
    start = last = time.monotonic()
    rounds = 0
    while time.monotonic() - start < args.minutes * 60:
        m = model(rounds // 5)  # a new model every 5 rounds: the cache loads and evicts
        tfs.map_blocks(lambda x: {"y": tf.reduce_sum(x, axis=1)}, df).agg({"y": "sum"}).collect()
        KerasTransformer(model=m, inputCol="x", outputCol="p").transform(df).count()
        m.export(str(work / f"m{rounds}"), verbose=False)
        saved = TFModel.from_saved_model(str(work / f"m{rounds}"), signature="serve")
        udf = registerModelUDF(spark, "soak_model", saved)
        df.select(udf("x")).count()
        with tf.Graph().as_default():
            x_input = tf.compat.v1.placeholder(tf.float64, [None], name="label_input")
            tfs.reduce_blocks(tf.reduce_sum(x_input, axis=0, name="label"), df.select("label"))
        TFImageTransformer(model=cnn, inputCol="image", outputCol="f").transform(images).count()
        if rounds % 5 == 0:
            KerasEstimator(model=m, loss="sparse_categorical_crossentropy", optimizer="sgd",
                           inputCol="x", labelCol="label", outputCol="p", epochs=1,
                           batchSize=256).fit(df.limit(1000))
        for p in work.iterdir():  # the SavedModels of earlier rounds
            if p.name != f"m{rounds}":
                shutil.rmtree(p, ignore_errors=True)
        rounds += 1
        now = time.monotonic()
        if now - last >= args.every or not samples:
            samples.append({"seconds": round(now - start, 1), "rounds": rounds,
                            **sample(spark, pid, tmp_root)})
            print(samples[-1], flush=True)
            last = now
    spark.stop()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "soak.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(samples[0]))
        writer.writeheader()
        writer.writerows(samples)
    report(samples, out / "soak.png", args.tolerance)


def report(samples: list[dict[str, float]], png: Path, tolerance: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["rss_mb", "heap_mb", "fds", "threads", "temp_files", "sessions"]
    fig, axes = plt.subplots(1, len(keys), figsize=(22, 3.5))
    t = [s["seconds"] / 60 for s in samples]
    n = len(samples)
    verdicts = []
    for ax, key in zip(axes, keys, strict=True):
        ys = [s[key] for s in samples]
        ax.plot(t, ys, marker=".")
        ax.set_title(key)
        ax.set_xlabel("minutes")
        middle = np.mean(ys[n // 3: 2 * n // 3]) if n >= 3 else ys[0]
        final = np.mean(ys[2 * n // 3:]) if n >= 3 else ys[-1]
        flat = final <= middle * (1 + tolerance) + (0 if key.endswith("_mb") else 1)
        verdicts.append(f"{key}: middle third {middle:.1f}, last third {final:.1f} -> "
                        f"{'flat' if flat else 'GROWING'}")
    fig.suptitle(f"sparkdl soak: {samples[-1]['rounds']} rounds of mixed jobs")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    print("\n".join(verdicts))
    print(f"soak: wrote {png}")


if __name__ == "__main__":
    main()
