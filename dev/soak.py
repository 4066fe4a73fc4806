"""A soak of mixed sparkdl jobs in one application (issue: reliability). Not part of CI.

Runs map_blocks, a Keras stage, a SQL model function, a reduction, an image stage and a small fit
in a loop for ``--minutes``, loading a new model every few rounds so the session cache evicts,
and samples the driver JVM (local mode: the executors too) every ``--every`` seconds: resident
memory (anonymous and file-backed), the JVM heap (in use and committed), resident memory outside
the heap, direct buffers, Spark's storage memory and the jobs and SQL executions its status store
retains, open file descriptors, threads, sparkdl's files in the temp directory, the sessions the
cache holds and the live native objects. Writes target/soak/soak.csv and soak.png and prints
whether each curve is flat after warm-up (the last third's mean within ``--tolerance`` of the
middle third's; memory may settle, not climb).

Where memory goes (``--diagnose`` is all three): ``--pin-heap`` sets ``-Xms`` to
``--driver-memory`` and pre-touches it, so a growing heap is no growing RSS; ``--live-heap`` runs a
full GC before each sample, so ``heap_mb`` is the live set; ``--nmt`` samples the JVM's native
memory tracking (``jcmd VM.native_memory summary``: its categories, and ``untracked_mb``, the
anonymous resident memory the JVM does not account for: TensorFlow's and the bridge's allocations
and the free memory glibc keeps) and at the end asks glibc to return its free memory
(``jcmd System.trim_native_heap``) and prints how much that was. ``--malloc-arena-max`` and
``--skip`` vary one thing at a time.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

JOB_KINDS = ("map_blocks", "keras", "sql_udf", "reduce", "image", "fit")


def jvm_pid(spark) -> int:
    return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())


def jcmd(pid: int, *command: str) -> str:
    # jcmd attaches to the JVM as the same user; py4j cannot call the DiagnosticCommand MBean
    # (its implementation class is not exported), and jcmd takes ~0.1 s.
    return subprocess.run(["jcmd", str(pid), *command], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def native_memory(pid: int) -> dict[str, float]:
    """Committed MB per native memory tracking category, and their total."""
    summary = jcmd(pid, "VM.native_memory", "summary", "scale=KB")
    total = re.search(r"Total: reserved=\d+KB, committed=(\d+)KB", summary)
    if total is None:
        raise RuntimeError(f"no native memory tracking in the JVM {pid}: {summary.strip()}")
    figures = {"nmt_total_mb": int(total.group(1)) / 1024}
    threads = re.search(r"\(thread #(\d+)\)", summary)  # the threads the JVM started
    if threads is not None:
        figures["jvm_threads"] = int(threads.group(1))
    for name, committed in re.findall(r"-\s+([A-Za-z ]+?) \(reserved=\d+KB, committed=(\d+)KB",
                                      summary):
        figures[f"nmt_{name.lower().replace(' ', '_')}_mb"] = int(committed) / 1024
    return figures


def trim_native_heap(pid: int) -> float:
    """Asks glibc to return its free memory to the OS; the MB of resident memory that freed."""
    out = jcmd(pid, "System.trim_native_heap")
    found = re.search(r"RSS\+Swap: (\d+)([KMG])->(\d+)([KMG])", out)
    if found is None:
        raise RuntimeError(f"unexpected answer from System.trim_native_heap: {out.strip()}")
    scale = {"K": 1 / 1024, "M": 1, "G": 1024}
    before, after = (int(found.group(i)) * scale[found.group(i + 1)] for i in (1, 3))
    return before - after


def sample(spark, pid: int, tmp_root: Path, args: argparse.Namespace) -> dict[str, float]:
    from sparkdl import runtime

    jvm = spark.sparkContext._jvm
    if args.live_heap:
        jvm.java.lang.System.gc()  # a full GC under G1: heap_mb is then the live set
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    kb = {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile")}
    temp = [p for p in tmp_root.iterdir() if "sparkdl" in p.name]
    heap = jvm.java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
    buffers = jvm.java.lang.management.ManagementFactory.getPlatformMXBeans(
        jvm.java.lang.Class.forName("java.lang.management.BufferPoolMXBean"))
    status_store = spark.sparkContext._jsc.sc().statusStore()
    cache = runtime.session_cache_stats(spark)
    figures = {
        "rss_mb": kb["VmRSS"],
        "rss_anon_mb": kb["RssAnon"],
        "rss_file_mb": kb["RssFile"],
        "heap_mb": heap.getUsed() / 2**20,
        "heap_committed_mb": heap.getCommitted() / 2**20,
        # Exactly the memory outside the heap when the heap is pinned and pre-touched (--pin-heap);
        # otherwise a lower bound (committed heap pages may not be resident yet).
        "off_heap_rss_mb": kb["VmRSS"] - heap.getCommitted() / 2**20,
        "direct_mb": sum(b.getMemoryUsed() for b in buffers if b.getName() == "direct") / 2**20,
        "storage_mb": jvm.org.apache.spark.SparkEnv.get().memoryManager().storageMemoryUsed()
        / 2**20,
        "spark_jobs": status_store.jobsList(None).size(),
        "sql_executions": spark._jsparkSession.sharedState().statusStore().executionsCount(),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(fields["Threads"]),
        "temp_files": len(temp),
        "sessions": sum(s["sessions"] for s in cache.values()),
        "session_loads": sum(s["loads"] for s in cache.values()),
        "native_objects": sum(runtime.live_native_objects(spark=spark).values()),
    }
    if args.nmt:
        nmt = native_memory(pid)
        figures.update(nmt)
        # Anonymous resident memory the JVM does not account for: TensorFlow's and the bridge's
        # allocations and the free memory glibc keeps (mapped files are rss_file_mb).
        figures["untracked_mb"] = kb["RssAnon"] - nmt["nmt_total_mb"]
    return figures


def hostile_image_folder(folder: Path) -> Path:
    """Files of issue 21 for readImages: glob characters in names, a PNG that declares 12000 x
    12000 pixels (420 KB, 432 MB decoded) and a truncated JPEG (null images), link loops."""
    import struct
    import zlib

    from PIL import Image

    Image.new("RGB", (5, 4)).save(folder / "br[1].png")
    Image.new("RGBA", (5, 4)).save(folder / "br1.png")
    Image.new("L", (5, 4)).save(folder / "q?.png")
    Image.new("RGB", (5, 4)).save(folder / "qa.png")
    Image.new("RGB", (64, 64)).save(folder / "whole.jpg")
    (folder / "truncated.jpg").write_bytes((folder / "whole.jpg").read_bytes()[:300])
    (folder / "whole.jpg").unlink()

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    deflate = zlib.compressobj(9)
    rows = b"".join(deflate.compress(bytes(1 + 3 * 12000)) for _ in range(12000)) + deflate.flush()
    (folder / "bomb.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 12000, 12000, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )
    (folder / "self").symlink_to(".")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")
    return folder


def session_conf(args: argparse.Namespace) -> dict[str, str]:
    options = []
    if args.pin_heap:  # Spark refuses -Xmx here (spark.driver.memory sets it) but takes -Xms
        options += [f"-Xms{args.driver_memory}", "-XX:+AlwaysPreTouch"]
    if args.nmt:
        options.append("-XX:NativeMemoryTracking=summary")
    conf = {"spark.ui.enabled": "false", "spark.driver.memory": args.driver_memory}
    if options:
        conf["spark.driver.extraJavaOptions"] = " ".join(options)
    return conf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=20.0)
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--out", default="target/soak")
    parser.add_argument("--driver-memory", default="1g",
                        help="spark.driver.memory, the heap's bound (default: Spark's 1g)")
    parser.add_argument("--pin-heap", action="store_true",
                        help="-Xms = --driver-memory, pre-touched: heap growth is no RSS growth")
    parser.add_argument("--live-heap", action="store_true",
                        help="a full GC before each sample: heap_mb is the live set")
    parser.add_argument("--nmt", action="store_true",
                        help="sample native memory tracking; trim glibc's free memory at the end")
    parser.add_argument("--diagnose", action="store_true",
                        help="--pin-heap --live-heap --nmt")
    parser.add_argument("--malloc-arena-max", type=int,
                        help="MALLOC_ARENA_MAX for the JVM (glibc's default: 8 per core)")
    parser.add_argument("--skip", action="append", default=[], choices=JOB_KINDS,
                        help="leave this job kind out of the loop (repeatable)")
    parser.add_argument("--plot", metavar="CSV",
                        help="no run: draw soak.png in --out from an earlier run's soak.csv")
    args = parser.parse_args()
    if args.plot:
        with open(args.plot, newline="") as f:
            samples = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
        Path(args.out).mkdir(parents=True, exist_ok=True)
        report(samples, Path(args.out) / "soak.png", args.tolerance)
        return
    if args.diagnose:
        args.pin_heap = args.live_heap = args.nmt = True

    if args.malloc_arena_max is not None:  # the JVM that PySpark starts inherits the environment
        os.environ["MALLOC_ARENA_MAX"] = str(args.malloc_arena_max)
    import sparkdl
    import tensorflow as tf
    from sparkdl import tensorframes as tfs
    from sparkdl.image import imageSchema
    from sparkdl.ml import KerasEstimator, KerasTransformer, TFImageTransformer
    from sparkdl.model import TFModel
    from sparkdl.udf import registerModelUDF

    spark = sparkdl.session(master="local[2]", **session_conf(args))
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
    image_files = hostile_image_folder(Path(tempfile.mkdtemp(prefix="soak-images-")))
    run = set(JOB_KINDS) - set(args.skip)

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
        if "map_blocks" in run:
            blocks = tfs.map_blocks(lambda x: {"y": tf.reduce_sum(x, axis=1)}, df)
            blocks.agg({"y": "sum"}).collect()
        if "keras" in run:
            KerasTransformer(model=m, inputCol="x", outputCol="p").transform(df).count()
        if "sql_udf" in run:
            m.export(str(work / f"m{rounds}"), verbose=False)
            saved = TFModel.from_saved_model(str(work / f"m{rounds}"), signature="serve")
            udf = registerModelUDF(spark, "soak_model", saved)
            df.select(udf("x")).count()
        if "reduce" in run:
            with tf.Graph().as_default():
                x_input = tf.compat.v1.placeholder(tf.float64, [None], name="label_input")
                tfs.reduce_blocks(tf.reduce_sum(x_input, axis=0, name="label"), df.select("label"))
        if "image" in run:
            TFImageTransformer(model=cnn, inputCol="image", outputCol="f").transform(images).count()
            read = sparkdl.readImages(str(image_files)).collect()  # bombs, loops, glob names
            valid = sorted(Path(r.origin).name for r in read if r.image is not None)
            assert valid == ["br1.png", "br[1].png", "q?.png", "qa.png"], valid
            assert len(read) == 6, [r.origin for r in read]
        if "fit" in run and rounds % 5 == 0:
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
                            **sample(spark, pid, tmp_root, args)})
            print(samples[-1], flush=True)
            last = now
    trimmed = trim_native_heap(pid) if args.nmt else None
    spark.stop()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "soak.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(samples[0]))
        writer.writeheader()
        writer.writerows(samples)
    report(samples, out / "soak.png", args.tolerance)
    if trimmed is not None:
        print(f"soak: at the end glibc returned {trimmed:.0f} MB of free memory to the OS "
              f"(System.trim_native_heap)")


def report(samples: list[dict[str, float]], png: Path, tolerance: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in ("rss_mb", "off_heap_rss_mb", "untracked_mb", "rss_file_mb", "heap_mb",
                        "direct_mb", "storage_mb", "sql_executions", "fds", "threads",
                        "jvm_threads", "temp_files", "sessions") if k in samples[0]]
    nmt = sorted((k for k in samples[0]
                  if k.startswith("nmt_") and k not in ("nmt_total_mb", "nmt_java_heap_mb")),
                 key=lambda k: -samples[-1][k])[:6]  # the JVM's largest native categories
    columns = 6
    panels = keys + (["nmt"] if nmt else [])
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(22, 3.5 * rows), squeeze=False)
    t = [s["seconds"] / 60 for s in samples]
    n = len(samples)
    verdicts = []
    for ax, key in zip(axes.flat, panels, strict=False):
        ax.set_xlabel("minutes")
        if key == "nmt":
            for k in nmt:
                ax.plot(t, [s[k] for s in samples], label=k[4:-3])
            ax.set_title("JVM native memory (NMT committed, MB)")
            ax.legend(fontsize=7)
            continue
        ys = [s[key] for s in samples]
        ax.plot(t, ys, marker=".")
        ax.set_title(key)
        middle = np.mean(ys[n // 3: 2 * n // 3]) if n >= 3 else ys[0]
        final = np.mean(ys[2 * n // 3:]) if n >= 3 else ys[-1]
        flat = final <= middle * (1 + tolerance) + 1  # 1 MB or 1 count: storage_mb is ~0.5
        verdicts.append(f"{key}: middle third {middle:.1f}, last third {final:.1f} -> "
                        f"{'flat' if flat else 'GROWING'}")
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"sparkdl soak: {samples[-1]['rounds']:.0f} rounds of mixed jobs")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    print("\n".join(verdicts))
    print(f"soak: wrote {png}")


if __name__ == "__main__":
    main()
