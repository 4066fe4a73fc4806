"""sparkdl's benchmark suite. Run it through ``bench/run`` (which builds the bench jar first).

Every method runs on one ``local[2]`` SparkSession over the same cached data; see
bench/README.md for what each method is and how to read the results.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sparkdl_bench import featurizer as ft  # noqa: E402
from sparkdl_bench import images as im  # noqa: E402
from sparkdl_bench import methods as m  # noqa: E402
from sparkdl_bench import peak as pk  # noqa: E402
from sparkdl_bench import photos as ph  # noqa: E402
from sparkdl_bench import report  # noqa: E402
from sparkdl_bench import streaming as st  # noqa: E402
from sparkdl_bench import training as tr  # noqa: E402
from sparkdl_bench.flops import flops_per_row  # noqa: E402
from sparkdl_bench.measure import (  # noqa: E402
    MachineLoad,
    PeakMemory,
    Timing,
    cpu_description,
    descendants,
    timed,
    warm_up,
)
from sparkdl_bench.models import MODELS, OUTPUT  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
MODEL_SEED = 7
DATA_SEED = 11
IMAGE_SEED = 5  # the PNGs' content
IMAGE_CACHE = BENCH_DIR / "target" / "images"
CHECK_ROWS = 256
TOLERANCE = 1e-5
#: bfloat16 outputs may differ from TF Python's float32 by this much of the largest output.
BFLOAT16_TOLERANCE = 5e-2
#: Other processes taking more than this share of the CPUs make a run "busy".
BUSY_SHARE = 0.10


#: --onednn policy -> (TF_ENABLE_ONEDNN_OPTS for the whole run, every process inheriting it, or
#: None to leave it unset; what the policy means).
ONEDNN_POLICIES: dict[str, tuple[str | None, str]] = {
    "sparkdl": (
        None,
        "as users get them - sparkdl turns oneDNN on, TF Python keeps TF's default for this CPU "
        "(default)",
    ),
    "all": ("1", "every method, TF Python included (the same kernels everywhere)"),
    "none": ("0", "no method (TF's own kernels everywhere)"),
}


def apply_onednn_policy(policy: str) -> None:
    """Sets TF_ENABLE_ONEDNN_OPTS for this process and its children, before TF or Spark start."""
    value = ONEDNN_POLICIES[policy][0]
    if value is None:
        os.environ.pop("TF_ENABLE_ONEDNN_OPTS", None)
    else:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = value


def onednn_in_tf_python() -> bool:
    """Whether this process's TF runs oneDNN kernels (TF decides once, at import)."""
    from tensorflow.python.util import _pywrap_util_port

    return bool(_pywrap_util_port.IsMklEnabled())


def onednn_in_workers(spark: Any, slots: int) -> list[bool]:
    """:func:`onednn_in_tf_python` in the Spark JVM's Python workers (the UDF peers' processes)."""
    rdd = spark.sparkContext.parallelize(range(slots), slots)
    return sorted(set(rdd.map(lambda _: onednn_in_tf_python()).collect()))


SCALINGS = ("partitions", "block_size", "data_rows")


@dataclass(frozen=True)
class Config:
    mode: str
    rows: dict[str, int]
    runs: dict[str, int]
    partitions: int = 4
    block_size: int = 1024
    warmup: int = 1
    warmup_seconds: float = 3.0  # at least this much warm-up per method (JIT), in whole runs
    scale_partitions: list[int] = field(default_factory=lambda: [2, 8, 32])
    task_cost_tasks: int = 200  # one-row partitions of the per-task cost measurement
    scale_block_sizes: list[int] = field(default_factory=list)
    scale_rows: list[int] = field(default_factory=list)
    scale_runs: int = 3
    image_count: int = 2_000
    image_size: int = 224
    image_runs: int = 5
    # The streaming section: micro-batches of this many rows, this many of them.
    stream_rows_per_batch: int = 10_000
    stream_batches: int = 10
    stream_runs: int = 5


QUICK = Config(
    "quick",
    rows={"tiny": 50_000, "mlp": 20_000, "cnn": 1_000},
    runs={"tiny": 3, "mlp": 3, "cnn": 3},
    warmup_seconds=1.0,
    scale_block_sizes=[128, 1024, 16384],
    scale_rows=[10_000, 50_000],
    task_cost_tasks=50,
    image_count=200,
    image_runs=3,
    stream_rows_per_batch=4_096,
    stream_batches=5,
    stream_runs=3,
)
FULL = Config(
    "full",
    rows={"tiny": 200_000, "mlp": 100_000, "cnn": 20_000},
    runs={"tiny": 5, "mlp": 5, "cnn": 5},
    scale_block_sizes=[128, 256, 512, 1024, 2048, 4096, 8192, 16384],
    scale_rows=[10_000, 100_000, 1_000_000],
)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--no-build", action="store_true", help="bench/run: reuse the last build of the bench jar"
    )
    p.add_argument("--quick", action="store_true", help="small data, fewer runs (< 5 minutes)")
    p.add_argument(
        "--models", default="tiny,mlp,cnn", help="comma-separated: tiny,mlp,cnn ('' for none)"
    )
    p.add_argument(
        "--methods",
        default=",".join(m.METHODS),
        help="comma-separated, of: " + ", ".join(m.METHODS),
    )
    p.add_argument(
        "--modes",
        default=",".join(m.MODES),
        help="comma-separated compute modes of sparkdl map_blocks timed as methods of their own, "
        "of: " + ", ".join(m.MODES) + " ('' for none; bfloat16 is skipped, with a note, where the "
        "CPU lacks it; default: all)",
    )
    p.add_argument(
        "--peak",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the machine's matmul peak (float32, and bfloat16 where supported) through "
        "sparkdl's bridge and TF Python, for GFLOP/s as a fraction of it (default: yes)",
    )
    p.add_argument(
        "--images",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the images section (default: yes)",
    )
    p.add_argument(
        "--image-count",
        type=int,
        help="PNGs in the images section (default: 200 quick, 2,000 full)",
    )
    p.add_argument("--image-size", type=int, help="their height and width (default 224)")
    p.add_argument(
        "--image-methods",
        default=",".join(im.IMAGE_METHODS),
        help="comma-separated, of: " + ", ".join(im.IMAGE_METHODS),
    )
    p.add_argument(
        "--streaming",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the streaming section: the mlp over a rate-micro-batch stream, sparkdl vs "
        "predict_batch_udf on the stream and sparkdl on the same rows in batch (default: yes)",
    )
    p.add_argument(
        "--stream-rows-per-batch",
        type=int,
        help="rows per micro-batch of the streaming section (default 4,096 quick, 10,000 full)",
    )
    p.add_argument(
        "--stream-batches",
        type=int,
        help="micro-batches per stream run (default 5 quick, 10 full)",
    )
    p.add_argument(
        "--stream-methods",
        default=",".join(st.STREAM_METHODS),
        help="comma-separated, of: " + ", ".join(st.STREAM_METHODS),
    )
    p.add_argument(
        "--featurizer",
        action="store_true",
        help="run only the featurizer section: decoded images through ResNet50 and InceptionV3 "
        "(DeepImageFeaturizer vs predict_batch_udf vs raw Keras)",
    )
    p.add_argument(
        "--featurizer-count", type=int, default=1000, help="images in the featurizer section"
    )
    p.add_argument(
        "--featurizer-models",
        default=",".join(ft.MODELS),
        help=f"named models of the featurizer section (default {','.join(ft.MODELS)})",
    )
    p.add_argument(
        "--photos",
        action="store_true",
        help="run only the photos section: 1024x768 JPEGs decoded (sparkdl vs Pillow vs Spark's "
        "image source) and through DeepImageFeaturizer (vs Pillow + Keras pandas UDFs)",
    )
    p.add_argument(
        "--photos-count", type=int, default=2000, help="JPEGs in the photos section"
    )
    p.add_argument(
        "--photos-models",
        default=",".join(ph.MODELS),
        help=f"named models of the photos section (default {','.join(ph.MODELS)}; '' for none)",
    )
    p.add_argument(
        "--training",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the training section: TFEstimator vs Keras fit, parallel tuning (default: yes)",
    )
    p.add_argument("--no-scaling", action="store_true", help="skip the scaling runs")
    p.add_argument(
        "--scaling",
        default=",".join(SCALINGS),
        help="comma-separated scaling runs, of: " + ", ".join(SCALINGS),
    )
    p.add_argument("--runs", type=int, help="timed runs per method (default: by mode and model)")
    p.add_argument("--rows-scale", type=float, default=1.0, help="multiply every model's rows")
    p.add_argument("--slots", type=int, default=2, help="local[N] task slots (default 2)")
    p.add_argument("--driver-memory", default="8g", help="spark.driver.memory (default 8g)")
    p.add_argument(
        "--bridge-inter-op",
        type=int,
        default=0,
        help="inter-op threads of the bridge-alone session (0: TF picks; -1: caller)",
    )
    p.add_argument(
        "--onednn",
        choices=list(ONEDNN_POLICIES),
        default="sparkdl",
        help="which methods run TF's oneDNN kernels: "
        + "; ".join(f"{k}: {meaning}" for k, (_, meaning) in ONEDNN_POLICIES.items()),
    )
    p.add_argument(
        "--jfr",
        action="store_true",
        help="record the JVM with Java Flight Recorder into bench/results/<stamp>.jfr",
    )
    p.add_argument("--out", default=str(BENCH_DIR / "results"), help="results folder")
    args = p.parse_args(argv)
    for name in models_of(args):
        if name not in MODELS:
            p.error(f"unknown model '{name}'; expected some of {','.join(MODELS)}")
    for name in args.scaling.split(","):
        if name not in SCALINGS:
            p.error(f"unknown scaling '{name}'; expected some of {','.join(SCALINGS)}")
    for name in args.methods.split(","):
        if name not in m.METHODS:
            p.error(f"unknown method '{name}'; expected some of {','.join(m.METHODS)}")
    for name in modes_of(args):
        if name not in m.MODES:
            p.error(f"unknown mode '{name}'; expected some of {','.join(m.MODES)}")
    for name in args.image_methods.split(","):
        if name not in im.IMAGE_METHODS:
            p.error(f"unknown image method '{name}'; expected some of {','.join(im.IMAGE_METHODS)}")
    for name in args.stream_methods.split(","):
        if name not in st.STREAM_METHODS:
            p.error(
                f"unknown stream method '{name}'; expected some of {','.join(st.STREAM_METHODS)}"
            )
    for flag, value in (
        ("--stream-rows-per-batch", args.stream_rows_per_batch),
        ("--stream-batches", args.stream_batches),
    ):
        if value is not None and value < 1:
            p.error(f"{flag} is {value}; expected at least 1")
    # The correctness check takes the first 10 images; the model's two strided convolutions
    # need 11 pixels.
    for flag, value, least in (
        ("--image-count", args.image_count, 10),
        ("--image-size", args.image_size, 16),
    ):
        if value is not None and value < least:
            p.error(f"{flag} is {value}; expected at least {least}")
    return args


def models_of(args: argparse.Namespace) -> list[str]:
    return [n for n in args.models.split(",") if n]


def modes_of(args: argparse.Namespace) -> list[str]:
    return [n for n in args.modes.split(",") if n]


def start_spark(args: argparse.Namespace, stamp: str) -> tuple[Any, str | None]:
    import sparkdl

    conf = {
        "spark.driver.memory": args.driver_memory,
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": str(args.slots * 2),
        "spark.python.worker.reuse": "true",
        "spark.ui.showConsoleProgress": "false",
    }
    jfr = None
    if args.jfr:
        jfr = str(Path(args.out) / f"{stamp}.jfr")
        Path(args.out).mkdir(parents=True, exist_ok=True)
        conf["spark.driver.extraJavaOptions"] = (
            f"-XX:StartFlightRecording=filename={jfr},settings=profile,dumponexit=true"
        )
    spark = sparkdl.session(master=f"local[{args.slots}]", app_name="sparkdl-bench", **conf)
    spark.sparkContext.setLogLevel("ERROR")
    return spark, jfr


def output_diff(label: str, model: m.Prepared, out: Any) -> tuple[float, float]:
    """Max |method - TF Python| over the first rows of ``out``, and that over max |TF Python|."""
    rows = out.limit(CHECK_ROWS).collect()
    x = np.array([r[0] for r in rows], np.float32)
    got = np.array([r[OUTPUT] for r in rows], np.float32)
    expected = model.predict(x)
    if got.shape != expected.shape:
        raise SystemExit(f"bench: {label} returned shape {got.shape}; TF Python {expected.shape}")
    diff = float(np.max(np.abs(got - expected)))
    return diff, diff / float(np.max(np.abs(expected)))


def check_outputs(label: str, model: m.Prepared, out: Any) -> float:
    """Max |method - TF Python| over the first rows of ``out``; aborts beyond the tolerance."""
    diff, _ = output_diff(label, model, out)
    if diff > TOLERANCE:
        raise SystemExit(
            f"bench: {label} differs from TF Python by {diff:.3g} (> {TOLERANCE:g}) on the first "
            f"{CHECK_ROWS} rows of {model.spec.name}; refusing to time wrong results"
        )
    return diff


class Suite:
    def __init__(self, args: argparse.Namespace, cfg: Config, spark: Any, workdir: Path) -> None:
        self.args, self.cfg, self.spark, self.workdir = args, cfg, spark, workdir
        self.jvm = spark.sparkContext._jvm
        self.memory = PeakMemory(os.getpid(), int(self.jvm.io.sparkdl.bench.SparkBench.pid()))
        self.methods = args.methods.split(",")
        #: Modes skipped on this machine -> why (bfloat16 without CPU support).
        self.skipped_modes: dict[str, str] = {}
        #: The modes timed, each as method ``sparkdl_<mode>``.
        self.modes: list[m.Mode] = []
        for name in modes_of(args):
            why = m.bfloat16_unsupported(spark) if name == "bfloat16" else None
            if why:
                self.skipped_modes[name] = why
                log(f"mode {name} skipped: {why}")
            else:
                self.modes.append(m.MODES[name])
        # Modes listed right after the reference method they vary.
        at = self.methods.index("sparkdl_py") + 1 if "sparkdl_py" in self.methods else 0
        self.methods[at:at] = [m.mode_key(mode.name) for mode in self.modes]
        if "bridge" in self.methods:
            at = self.methods.index("bridge") + 1
            self.methods[at:at] = [m.bridge_key(mode.name) for mode in self.modes]
        #: Model -> floating-point operations per row (flops.py says what is counted).
        self.flops: dict[str, int] = {}
        #: Model -> bfloat16's max difference to TF Python float32: absolute, and relative to
        #: the largest output.
        self.bfloat16_diffs: dict[str, dict[str, float]] = {}
        self.peaks: list[pk.Peak] = []
        self.timings: dict[str, dict[str, Timing]] = {}
        self.checks: dict[str, dict[str, float]] = {}
        self.first_result: dict[str, dict[str, float]] = {}
        self.scaling: dict[str, dict[int, Timing]] = {
            "partitions": {},
            "block_size": {},
            "data_rows": {},
        }
        #: Spark's ceiling (noop of the cached scan) at each partition count of the scaling runs.
        self.partition_ceiling: dict[int, Timing] = {}
        #: (kind, partitions) -> the same few rows as 2 partitions and as one row a partition,
        #: sparkdl and the ceiling: sparkdl's own fixed cost of a task (report.task_cost).
        self.task_cost: dict[tuple[str, int], Timing] = {}
        self.prepared: dict[str, m.Prepared] = {}
        self.image_timings: dict[str, Timing] = {}
        self.image_checks: dict[str, float] = {}
        self.image_data: dict[str, Any] = {}
        self.stream_timings: dict[str, Timing] = {}
        self.stream_data: dict[str, Any] = {}
        self.training: dict[str, Any] = {}
        self.fresh_seed = MODEL_SEED + 1000
        self.first_action_s: float | None = None

    def rows(self, name: str) -> int:
        return max(1, int(self.cfg.rows[name] * self.args.rows_scale))

    def runs(self, name: str) -> int:
        return self.args.runs or self.cfg.runs[name]

    def model(self, name: str) -> m.Prepared:
        if name not in self.prepared:
            self.prepared[name] = m.prepare(self.spark, name, MODEL_SEED, self.workdir)
        return self.prepared[name]

    def rounds(self, jobs: dict[Any, Any], rows: int, runs: int) -> dict[Any, Timing]:
        """Times ``jobs`` (each returns its seconds) over ``rows`` rows, ``runs`` times each.

        Warm-up job by job, then the timed runs in rounds: each round runs every job once,
        starting one job later than the round before, so the JIT's late work and other
        processes' load fall on every job alike rather than on whichever ran first. Before each
        run the JVM and Python collect their garbage (no job pays for another's) and the peak
        RSS marks are reset.
        """
        timings = {
            k: warm_up(job, rows, self.cfg.warmup, self.cfg.warmup_seconds)
            for k, job in jobs.items()
        }
        return self._timed(jobs, timings, runs)

    def timed_rounds(self, jobs: dict[Any, Any], rows: int, runs: int) -> dict[Any, Timing]:
        """:meth:`rounds` without the warm-up, for jobs warmed up already."""
        return self._timed(jobs, {k: Timing(rows, []) for k in jobs}, runs)

    def _timed(
        self, jobs: dict[Any, Any], timings: dict[Any, Timing], runs: int
    ) -> dict[Any, Timing]:
        """The timed runs of :meth:`rounds`, appended to ``timings``."""
        keys = list(jobs)
        for r in range(runs if keys else 0):
            shift = r % len(keys)
            for key in keys[shift:] + keys[:shift]:
                self.jvm.System.gc()
                gc.collect()
                self.memory.reset()
                timings[key].seconds.append(jobs[key]())
                timings[key].add_peaks(self.memory.read())
        return timings

    # ---- the machine's peak (large matmuls through the same TF runtime) -----------------

    def run_peak(self) -> None:
        dtypes = ["float32"] + (["bfloat16"] if m.bfloat16_unsupported(self.spark) is None else [])
        threads = os.cpu_count() or self.args.slots
        log(f"peak: matmuls {pk.SIZES} in {dtypes}, sparkdl's bridge (own JVM, {threads} threads)")
        self.peaks = pk.sparkdl_peaks(self.workdir, dtypes, threads)
        log("peak: the same matmuls in TF Python")
        self.peaks += pk.tf_python_peaks(dtypes)
        for p in self.peaks:
            log(f"peak: {p.runtime} {p.dtype} {p.n}: {p.gflops:,.0f} GFLOP/s (best)")

    # ---- one model, every method -------------------------------------------------------

    def run_model(self, name: str) -> None:
        spec, rows, bs = MODELS[name], self.rows(name), self.cfg.block_size
        log(f"{name}: building the model and {rows:,} rows x {spec.features} floats")
        model = self.model(name)
        self.flops[name] = flops_per_row(model.keras)
        df = m.make_data(self.spark, rows, spec.features, self.cfg.partitions, DATA_SEED)

        checks = self.checks.setdefault(name, {})
        start = time.perf_counter()
        checks["sparkdl_py"] = check_outputs(
            "sparkdl map_blocks", model, m.map_blocks(model, df, bs)
        )
        if self.first_action_s is None:
            self.first_action_s = time.perf_counter() - start
        if "predict_batch_udf" in self.methods:
            checks["predict_batch_udf"] = check_outputs(
                "predict_batch_udf", model, m.predict_batch_udf_frame(model, df, bs)
            )
        if "map_in_arrow" in self.methods:
            self.spark.conf.set(m.ARROW_BATCH_CONF, str(bs))
            checks["map_in_arrow"] = check_outputs(
                "mapInArrow", model, m.map_in_arrow_frame(model, df)
            )
            self.spark.conf.unset(m.ARROW_BATCH_CONF)
        for mode in self.modes:
            # Three times: XLA compiles a cluster on its second run with a shape, so the first
            # run of a session is TF's own kernels; the largest difference counts.
            with m.session_conf(self.spark, mode.conf, mode.value):
                found = [output_diff(mode.label, model, m.map_blocks(model, df, bs)) for _ in "123"]
            diff, relative = max(found)
            if mode.name != "bfloat16":
                if diff > TOLERANCE:
                    raise SystemExit(
                        f"bench: {mode.label} differs from TF Python by {diff:.3g} (> "
                        f"{TOLERANCE:g}) on the first {CHECK_ROWS} rows of {name}; refusing to "
                        "time wrong results"
                    )
                checks[m.mode_key(mode.name)] = diff
                continue
            self.bfloat16_diffs[name] = {"abs": diff, "relative": relative}
            log(f"{name}: bfloat16 differs from TF Python float32 by {diff:.3g} ({relative:.2%})")
            if relative > BFLOAT16_TOLERANCE:
                raise SystemExit(
                    f"bench: {mode.label} differs from TF Python float32 by {relative:.3g} of the "
                    f"largest output (> {BFLOAT16_TOLERANCE:g}) on the first {CHECK_ROWS} rows of "
                    f"{name}; refusing to time wrong results"
                )
        log(f"{name}: outputs match TF Python (max diff {max(checks.values()):.2g})")

        self.first_result[name] = self.time_to_first_result(name, df)
        log(f"{name}: time to first result {self.first_result[name]}")

        runs, timings = self.runs(name), self.timings.setdefault(name, {})
        x = m.to_numpy(df, spec.features) if "tf_python" in self.methods else None
        jobs = {
            "sparkdl_py": lambda: m.sparkdl_py_job(model, df, bs),
            "sparkdl_scala": lambda: m.sparkdl_scala_job(model, df, bs),
            "predict_batch_udf": lambda: m.predict_batch_udf_job(model, df, bs),
            "map_in_arrow": lambda: m.map_in_arrow_job(model, df, bs),
            "tf_python": lambda: m.tf_python_pass(model, x, bs),
            "spark_ceiling": lambda: m.spark_ceiling_job(df),
        }
        for mode in m.MODES.values():
            jobs[m.mode_key(mode.name)] = lambda mode=mode: m.sparkdl_mode_job(model, df, bs, mode)
        timings.update(self.rounds({k: jobs[k] for k in self.methods if k in jobs}, rows, runs))
        x = None  # noqa: F841 - frees the numpy copy
        if "bridge" in self.methods:
            # The bridge in each mode too: TF's own speed-up of a mode, without Spark.
            for key, mode in [("bridge", None)] + [(m.bridge_key(o.name), o) for o in self.modes]:
                timings[key] = self.bridge(model, rows, runs, mode)
        for key in self.methods:
            t = timings[key]
            log(
                f"{name}: {m.LABELS[key]}: {t.median:,.0f} rows/s "
                f"({t.low:,.0f} - {t.high:,.0f}); peak RSS MB {t.peak_rss_mb}"
            )
        timings.update({k: timings.pop(k) for k in self.methods})  # report in the given order
        df.unpersist()

    def bridge(self, model: m.Prepared, rows: int, runs: int, mode: m.Mode | None) -> Timing:
        """sparkdl's bridge alone over ``rows`` rows, in ``mode`` (None: default, float32)."""
        self.memory.reset()
        bs = self.cfg.block_size
        conf = {mode.conf: mode.value} if mode else {}
        passes, bridge_rss = m.bridge_passes(
            model,
            self.workdir,
            rows,
            bs,
            self.cfg.warmup + runs,
            self.args.slots,
            self.args.bridge_inter_op,
            DATA_SEED,
            # JIT warm-up: ~16M input floats (1,000 batches on tiny, a few on cnn)
            warmup_batches=max(2, 16_000_000 // (model.spec.features * bs)),
            optimization=conf.get(m.OPTIMIZATION_CONF, "default"),
            precision=conf.get(m.PRECISION_CONF, "float32"),
        )
        warm = passes[: self.cfg.warmup]
        t = Timing(rows, passes[self.cfg.warmup :], warm[-1] if warm else None, len(warm))
        t.add_peaks({**self.memory.read(), "jvm": bridge_rss})  # its own JVM, not Spark's
        return t

    def time_to_first_result(self, name: str, df: Any) -> dict[str, float]:
        """Cold: map_blocks + limit(1).collect() on a model no session has seen; warm: again."""
        self.fresh_seed += 1
        fresh = m.prepare(self.spark, name, self.fresh_seed, self.workdir)  # untimed: the model

        def first() -> Any:
            return m.map_blocks(fresh, df, self.cfg.block_size).limit(1).collect()

        cold = timed(first)
        warm = timed(first)
        return {"cold_s": round(cold, 4), "warm_s": round(warm, 4)}

    # ---- images (a folder of PNGs through a small CNN) ---------------------------------

    def run_images(self) -> None:
        count = self.args.image_count or self.cfg.image_count
        size = self.args.image_size or self.cfg.image_size
        log(f"images: {count:,} PNGs of {size}x{size} (generated once into {IMAGE_CACHE})")
        folder = im.image_folder(IMAGE_CACHE, count, size, IMAGE_SEED)
        methods = im.ImageMethods(self.spark, folder, size, MODEL_SEED, self.workdir)
        self.image_data = {
            "count": count,
            "size": size,
            "folder": str(folder),
            "mb": round(im.folder_bytes(folder) / 2**20, 1),
            "partitions": {
                "readImages": methods.read_images_frame().rdd.getNumPartitions(),
                "image source": methods.image_source_frame().rdd.getNumPartitions(),
            },
            "batch_size": im.BATCH_SIZE,
        }
        keys = self.args.image_methods.split(",")
        self.image_checks = methods.check(keys, TOLERANCE)
        if self.image_checks:
            log(f"images: outputs match Keras (max diff {max(self.image_checks.values()):.2g})")
        jobs = methods.jobs()
        runs = self.args.runs or self.cfg.image_runs
        found = self.rounds({k: jobs[k] for k in keys}, count, runs)
        for key, t in found.items():
            self.image_timings[key] = t
            log(
                f"images: {im.IMAGE_METHODS[key]}: {t.median:,.0f} images/s "
                f"({t.low:,.0f} - {t.high:,.0f}); peak RSS MB {t.peak_rss_mb}"
            )

    # ---- streaming (the mlp over a rate-micro-batch stream) ----------------------------

    def run_streaming(self) -> None:
        name, cfg = st.MODEL, self.cfg
        model = self.model(name)
        methods = st.StreamMethods(
            self.spark,
            model,
            self.args.stream_rows_per_batch or cfg.stream_rows_per_batch,
            self.args.stream_batches or cfg.stream_batches,
            cfg.partitions,
            cfg.block_size,
            DATA_SEED,
            self.workdir,
        )
        keys = self.args.stream_methods.split(",")
        log(
            f"streaming: {name}, {methods.batches} micro-batches of {methods.rows_per_batch:,} "
            f"rows from rate-micro-batch, {methods.partitions} partitions"
        )
        checks = {}
        for key in st.MODEL_METHODS:
            if key in keys:
                # Only the first CHECK_ROWS rows exist in the check's micro-batch.
                out = methods.first_rows(key, CHECK_ROWS)
                checks[key] = check_outputs(st.STREAM_METHODS[key], model, out)
        if checks:
            log(f"streaming: outputs match TF Python (max diff {max(checks.values()):.2g})")
        self.stream_data = {
            "model": name,
            "rows": methods.rows,
            "rows_per_batch": methods.rows_per_batch,
            "batches": methods.batches,
            "partitions": methods.partitions,
            "distinct": st.DISTINCT,
            "block_size": cfg.block_size,
            "check_rows": CHECK_ROWS,
            "checks": checks,
        }
        jobs = methods.jobs()
        runs = self.args.runs or cfg.stream_runs
        found = self.rounds({k: jobs[k] for k in keys}, methods.rows, runs)
        for key, t in found.items():
            self.stream_timings[key] = t
            log(
                f"streaming: {st.STREAM_METHODS[key]}: {t.median:,.0f} rows/s "
                f"({t.low:,.0f} - {t.high:,.0f}); peak RSS MB {t.peak_rss_mb}"
            )

    # ---- training (TFEstimator vs Keras fit; parallel tuning) ---------------------------

    def run_training(self) -> None:
        self.training = tr.run(self.spark, self.cfg.mode == "quick", log)

    # ---- scaling (sparkdl map_blocks from Python, mlp) ---------------------------------

    def run_scaling(self) -> None:
        name, bs, runs = "mlp", self.cfg.block_size, self.args.runs or self.cfg.scale_runs
        spec, rows = MODELS[name], self.rows(name)
        model = self.model(name)

        def job(df: Any, block_size: int) -> Any:
            return lambda: m.sparkdl_py_job(model, df, block_size)

        kinds = self.args.scaling.split(",")
        if "partitions" in kinds:
            self.scale_partitions(spec, rows, runs, job)
        if "block_size" in kinds:
            df = m.make_data(self.spark, rows, spec.features, self.cfg.partitions, DATA_SEED)
            found = self.rounds({b: job(df, b) for b in self.cfg.scale_block_sizes}, rows, runs)
            for b, t in found.items():
                self.scaling["block_size"][b] = t
                log(f"scaling: block size {b}: {t.median:,.0f} rows/s")
            df.unpersist()
        if "data_rows" in kinds:
            # One data set at a time (10^6 mlp rows take 3 GB of cache).
            for n in self.cfg.scale_rows:
                n = max(1, int(n * self.args.rows_scale))
                df = m.make_data(self.spark, n, spec.features, self.cfg.partitions, DATA_SEED)
                self.scaling["data_rows"][n] = t = self.rounds({n: job(df, bs)}, n, runs)[n]
                df.unpersist()
                log(f"scaling: {n:,} rows: {t.median:,.0f} rows/s")

    def scale_partitions(self, spec: Any, rows: int, runs: int, job: Any) -> None:
        bs = self.cfg.block_size
        # Every partitioning's data set cached at once, timed in rounds. Spark's own
        # ceiling runs in the same rounds: how much of a partition's cost is Spark's, not ours.
        frames = {
            p: m.make_data(self.spark, rows, spec.features, p, DATA_SEED)
            for p in self.cfg.scale_partitions
        }
        jobs = {("sparkdl", p): job(df, bs) for p, df in frames.items()}
        jobs |= {("ceiling", p): lambda df=df: m.spark_ceiling_job(df) for p, df in frames.items()}
        found = self.rounds(jobs, rows, runs)
        for (kind, p), t in found.items():
            if kind == "sparkdl":
                self.scaling["partitions"][p] = t
            else:
                self.partition_ceiling[p] = t
            log(f"scaling: {p} partitions, {kind}: {t.median:,.0f} rows/s")
        for df in frames.values():
            df.unpersist()
        self.measure_task_cost(spec, runs, job)

    def measure_task_cost(self, spec: Any, runs: int, job: Any) -> None:
        """sparkdl's fixed cost of a task, apart from the work on its rows: the same rows as 2
        partitions and as one row a partition, through sparkdl and through Spark's ceiling, in
        the same rounds. Going from 2 tasks to one a row adds Spark's per-task cost to both;
        what it adds to sparkdl beyond that is sparkdl's own (report.task_cost)."""
        tasks = self.cfg.task_cost_tasks
        frames = {
            p: m.make_data(self.spark, tasks, spec.features, p, DATA_SEED) for p in (2, tasks)
        }
        jobs = {("sparkdl", p): job(df, self.cfg.block_size) for p, df in frames.items()}
        jobs |= {("ceiling", p): lambda df=df: m.spark_ceiling_job(df) for p, df in frames.items()}
        self.task_cost = self.rounds(jobs, tasks, runs)
        for df in frames.values():
            df.unpersist()
        cost = report.task_cost(self.task_cost)
        if cost:
            log(f"scaling: sparkdl's own cost of a task: {cost['sparkdl_ms']:.3f} ms")


def run_featurizer(args: argparse.Namespace, started: datetime.datetime, stamp: str) -> int:
    """The featurizer section alone (``--featurizer``): its own report, ``<stamp>-featurizer``."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.slots)
    tf.config.threading.set_inter_op_parallelism_threads(args.slots)
    log(f"starting Spark (local[{args.slots}], driver memory {args.driver_memory})")
    spark, _ = start_spark(args, stamp)
    load = MachineLoad(lambda: [os.getpid(), *descendants(os.getpid())])
    cfg = Config("featurizer", rows={}, runs={}, warmup_seconds=0.0)
    keys = list(ft.FEATURIZER_METHODS)
    bfloat16_skipped = m.bfloat16_unsupported(spark)
    if bfloat16_skipped:
        keys.remove("sparkdl_bfloat16")
        log(f"featurizer: bfloat16 skipped: {bfloat16_skipped}")
    runs = args.runs or 1
    timings: dict[str, dict[str, Timing]] = {}
    checks: dict[str, dict[str, float]] = {}
    errors = []
    with tempfile.TemporaryDirectory(prefix="sparkdl-bench-") as tmp:
        suite = Suite(args, cfg, spark, Path(tmp))
        count = args.featurizer_count
        log(f"featurizer: {count:,} decoded 224x224 RGB images")
        images = ft.decoded_images(count, 224, IMAGE_SEED)
        df = ft.image_frame(spark, images, args.slots * 2)
        for name in args.featurizer_models.split(","):
            try:
                log(f"featurizer: {name}: preparing the model store entry and Keras' model")
                methods = ft.FeaturizerMethods(
                    spark, name, images, df, MODEL_SEED, str(Path(tmp) / "store")
                )
                checks[name] = methods.check(keys)
                log(f"featurizer: {name}: outputs match Keras (relative max diff {checks[name]})")
                # The check above warmed every method up (sessions, workers' models, traces):
                # at minutes a run, the timed runs go in rounds without further warm-up.
                found = suite.timed_rounds(methods.jobs(keys), count, runs)
                timings[name] = found
                for key, t in found.items():
                    log(
                        f"featurizer: {name}: {ft.FEATURIZER_METHODS[key]}: {t.median:,.1f} img/s "
                        f"({t.low:,.1f} - {t.high:,.1f}); peak RSS MB {t.peak_rss_mb}"
                    )
            except Exception as e:  # noqa: BLE001 - keep what was measured so far
                log(f"featurizer {name} failed: {e!r}")
                errors.append(f"{name} failed: {type(e).__name__}: {str(e).splitlines()[0]}")
        machine = load.summary()
    spark.stop()
    lines = [
        f"# sparkdl featurizer bench, {started.isoformat()} (local[{args.slots}], driver memory "
        f"{args.driver_memory}, other processes "
        f"{machine['other_processes_cpu_share']:.0%} of the CPUs)",
        "",
        f"{args.featurizer_count:,} decoded 224x224 RGB images (cached image structs, "
        f"{args.slots * 2} partitions; InceptionV3 resizes them to 299x299 by area averaging in "
        f"every method: sparkdl in the JVM, the UDF in its workers, Keras beforehand, untimed); "
        f"{ft.BATCH_SIZE} images per model call; seeded random weights; {runs} timed run(s) "
        "per method in rounds, after a warm-up (the correctness check: sessions, workers' "
        "models, traces). Correctness: the first 8 images' features of sparkdl and "
        f"predict_batch_udf equal Keras within {ft.TOLERANCE:g} of the largest feature; sparkdl "
        "bfloat16 (DeepImageFeaturizer precision='bfloat16') is reported by its max difference "
        f"to Keras float32, relative to the largest feature (stop beyond "
        f"{ft.BFLOAT16_TOLERANCE:g}): {checks}."
        + (f" bfloat16 skipped: {bfloat16_skipped}" if bfloat16_skipped else ""),
        "",
    ]
    targets = []
    for name, found in timings.items():
        ref = found.get("sparkdl")
        lines += [
            f"## {name}",
            "",
            "| method | img/s (median, min - max) | sparkdl / method | "
            "max diff to Keras float32 (of the largest feature) | "
            "peak RSS MB (python / jvm / workers) |",
            "|---|---|---|---|---|",
        ]
        for key, t in found.items():
            ratio = ref.median / t.median if ref else float("nan")
            p = t.peak_rss_mb
            diff = checks.get(name, {}).get(key)
            lines.append(
                f"| {ft.FEATURIZER_METHODS[key]} | {t.median:,.1f} "
                f"({t.low:,.1f} - {t.high:,.1f}) | "
                f"{ratio:.2f}x | {'-' if diff is None else f'{diff:.2g}'} | "
                f"{p.get('python', 0):,.0f} / {p.get('jvm', 0):,.0f} / "
                f"{p.get('workers', 0):,.0f} |"
            )
        for key, goal in (("predict_batch_udf", 1.5), ("keras", 0.9)):
            if ref and key in found:
                r = ref.median / found[key].median
                targets.append((f"{name}: sparkdl >= {goal}x {key}", r, goal, r >= goal))
        lines.append("")
    lines += (
        ["## Targets", ""]
        + [f"- {label}: {r:.2f}x ({'PASS' if ok else 'MISS'})" for label, r, _, ok in targets]
        + [f"- ERROR: {e}" for e in errors]
    )
    md = "\n".join(lines) + "\n"
    print(md)
    results = {
        "meta": {
            "mode": "featurizer",
            "started": started.isoformat(),
            "machine": machine,
            "count": args.featurizer_count,
            "runs": runs,
            "batch_size": ft.BATCH_SIZE,
        },
        "timings": {n: {k: t.to_json() for k, t in f.items()} for n, f in timings.items()},
        "correctness_relative_max_diff": checks,
        "targets": [{"target": t[0], "ratio": t[1], "goal": t[2], "pass": t[3]} for t in targets],
        "errors": errors,
    }
    for path in report.write(Path(args.out), results, md):
        log(f"wrote {path}")
    return 0


def run_photos(args: argparse.Namespace, started: datetime.datetime, stamp: str) -> int:
    """The photos section alone (``--photos``): its own report, ``<stamp>-photos``."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)  # as one task slot, for Pillow's
    tf.config.threading.set_inter_op_parallelism_threads(1)  # peer it is not used; Keras' check
    log(f"starting Spark (local[{args.slots}], driver memory {args.driver_memory})")
    spark, _ = start_spark(args, stamp)
    load = MachineLoad(lambda: [os.getpid(), *descendants(os.getpid())])
    cfg = Config("photos", rows={}, runs={}, warmup_seconds=0.0)
    runs = args.runs or 1
    count = args.photos_count
    log(f"photos: {count:,} JPEGs of {ph.WIDTH}x{ph.HEIGHT} q{ph.QUALITY} (into {IMAGE_CACHE})")
    folder = ph.photo_folder(IMAGE_CACHE, count, IMAGE_SEED)
    mb = sum(p.stat().st_size for p in folder.glob("*.jpg")) / 1e6
    decode: dict[str, Timing] = {}
    mains: dict[str, dict[str, Timing]] = {}
    checks: dict[str, dict[str, float]] = {}
    errors = []
    with tempfile.TemporaryDirectory(prefix="sparkdl-bench-") as tmp:
        suite = Suite(args, cfg, spark, Path(tmp))
        methods = ph.PhotoMethods(spark, folder, args.slots)
        try:
            jobs = methods.decode_jobs()
            for job in jobs.values():  # warm-up: JIT, Python workers, TF's decoders
                job()
            decode = suite.timed_rounds(jobs, count, runs)
            for key, t in decode.items():
                log(f"photos: decode: {ph.DECODE_METHODS[key]}: {t.median:,.1f} img/s "
                    f"({t.low:,.1f} - {t.high:,.1f}); peak RSS MB {t.peak_rss_mb}")  # fmt: skip
        except Exception as e:  # noqa: BLE001 - keep what was measured so far
            log(f"photos: decode failed: {e!r}")
            errors.append(f"decode failed: {type(e).__name__}: {str(e).splitlines()[0]}")
        for name in [n for n in args.photos_models.split(",") if n]:
            try:
                log(f"photos: {name}: preparing the model store entry and Keras' model")
                methods.use_model(name, MODEL_SEED, str(Path(tmp) / "store"))
                checks[name] = methods.check()
                log(f"photos: {name}: features match Keras on Pillow's pixels {checks[name]}")
                keys = list(ph.MAIN_METHODS)
                jobs = methods.main_jobs(keys)
                # Warm-up over the whole folder: the check's 4 photos leave the timed runs the
                # first calls at the partitions' batch sizes (TF's kernels for each new shape).
                for job in jobs.values():
                    job()
                mains[name] = suite.timed_rounds(jobs, count, runs)
                for key, t in mains[name].items():
                    log(f"photos: {name}: {ph.MAIN_METHODS[key]}: {t.median:,.1f} img/s "
                        f"({t.low:,.1f} - {t.high:,.1f}); peak RSS MB {t.peak_rss_mb}")  # fmt: skip
            except Exception as e:  # noqa: BLE001
                log(f"photos {name} failed: {e!r}")
                errors.append(f"{name} failed: {type(e).__name__}: {str(e).splitlines()[0]}")
        spark.conf.unset("spark.sparkdl.modelStore")
        machine = load.summary()
    spark.stop()
    md, targets = photos_report(args, started, machine, count, mb, runs, decode, mains, checks)
    md += "".join(f"- ERROR: {e}\n" for e in errors)
    print(md)
    results = {
        "meta": {
            "mode": "photos",
            "started": started.isoformat(),
            "cpu": cpu_description(),
            "machine": machine,
            "count": count,
            "runs": runs,
            "batch_size": ph.BATCH_SIZE,
        },
        "decode": {k: t.to_json() for k, t in decode.items()},
        "main": {n: {k: t.to_json() for k, t in f.items()} for n, f in mains.items()},
        "correctness_relative_max_diff": checks,
        "targets": [{"target": t[0], "ratio": t[1], "goal": t[2], "pass": t[3]} for t in targets],
        "errors": errors,
    }
    for path in report.write(Path(args.out), results, md):
        log(f"wrote {path}")
    return 0


def photos_report(
    args: argparse.Namespace,
    started: datetime.datetime,
    machine: dict[str, Any],
    count: int,
    mb: float,
    runs: int,
    decode: dict[str, Timing],
    mains: dict[str, dict[str, Timing]],
    checks: dict[str, dict[str, float]],
) -> tuple[str, list[tuple[str, float, float, bool]]]:
    """The photos section's tables, time breakdown and targets (label, ratio, goal, pass)."""

    def rss(t: Timing) -> str:
        p = t.peak_rss_mb
        return f"{p.get('python', 0):,.0f} / {p.get('jvm', 0):,.0f} / {p.get('workers', 0):,.0f}"

    targets: list[tuple[str, float, float, bool]] = []

    def target(label: str, ratio: float, goal: float) -> None:
        targets.append((label, ratio, goal, ratio >= goal))

    lines = [
        f"# sparkdl photos bench, {started.isoformat()} (local[{args.slots}], driver memory "
        f"{args.driver_memory}, other processes {machine['other_processes_cpu_share']:.0%} of "
        "the CPUs)",
        "",
        f"CPU: {cpu_description()}.",
        "",
        f"{count:,} JPEGs of {ph.WIDTH}x{ph.HEIGHT}, quality {ph.QUALITY}, smooth content "
        f"({mb:,.1f} MB), written once by Pillow; {runs} timed run(s) per method in rounds "
        f"after a warm-up; {ph.BATCH_SIZE} images per model call; seeded random weights. "
        "The pure-Python peer runs in the bench's own process on one core: sparkdl's rate is "
        f"divided by its {args.slots} task slots to compare them.",
        "",
        "## Decode only",
        "",
        "| method | img/s (median, min - max) | sparkdl / method | "
        "peak RSS MB (python / jvm / workers) |",
        "|---|---|---|---|",
    ]
    ref = decode.get("sparkdl")
    for key, t in decode.items():
        r = ref.median / t.median if ref else float("nan")
        if key == "pillow_plain":
            r /= args.slots
        per = " (per slot)" if key == "pillow_plain" else ""
        lines.append(
            f"| {ph.DECODE_METHODS[key]} | {t.median:,.1f} ({t.low:,.1f} - {t.high:,.1f}) | "
            f"{r:.2f}x{per} | {rss(t)} |"
        )
    if ref:
        for key, goal in (("pillow_udf", 1.5), ("pillow_plain", 1.0), ("image_source", 1.0)):
            if key in decode:
                r = ref.median / decode[key].median / (args.slots if key == "pillow_plain" else 1)
                target(f"decode: sparkdl >= {goal}x {ph.DECODE_METHODS[key]}", r, goal)
    goals = {"MobileNetV2": 2.0, "ResNet50": 1.2}
    for name, found in mains.items():
        ref = found.get("sparkdl")
        lines += [
            "",
            f"## {name}: decode + resize + features",
            "",
            "| method | img/s (median, min - max) | sparkdl / method | max diff to Keras on "
            "Pillow's pixels (of the largest feature) | peak RSS MB (python / jvm / workers) |",
            "|---|---|---|---|---|",
        ]
        for key, t in found.items():
            r = ref.median / t.median if ref else float("nan")
            diff = checks.get(name, {}).get(key)
            lines.append(
                f"| {ph.MAIN_METHODS[key]} | {t.median:,.1f} ({t.low:,.1f} - {t.high:,.1f}) | "
                f"{r:.2f}x | {'-' if diff is None else f'{diff:.2g}'} | {rss(t)} |"
            )
        if ref and {"sparkdl_decode", "sparkdl_resize", "sparkdl_model"} <= found.keys():
            per = {k: 1000 / found[k].median for k in found}  # ms of job time an image
            total, dr, mdl = per["sparkdl"], per["sparkdl_resize"], per["sparkdl_model"]
            lines += [
                "",
                f"Where sparkdl's time goes ({args.slots} slots, ms of job time an image): "
                f"{total:.2f} in all; decode + resize {dr:.2f} (one call: the decode resizes; "
                f"decode alone, writing the full-size images, {per['sparkdl_decode']:.2f}), the "
                f"model alone over cached resized images {mdl:.2f}, the rest "
                f"{total - dr - mdl:.2f} (the two in one job, and the difference of timings).",
            ]
            for key in ("pillow_keras_udf", "predict_batch_udf"):
                if key in found:
                    lines.append(
                        f"- Ceiling against {ph.MAIN_METHODS[key]}: "
                        f"{found['sparkdl_model'].median / found[key].median:.2f}x, sparkdl's "
                        "model alone against the whole of the peer's job (what sparkdl would "
                        "reach if decoding and resizing cost nothing)."
                    )
        for key in ("pillow_keras_udf", "predict_batch_udf"):
            if ref and key in found and name in goals:
                target(f"{name}: sparkdl >= {goals[name]}x {ph.MAIN_METHODS[key]}",
                       ref.median / found[key].median, goals[name])  # fmt: skip
    lines += ["", "## Targets", ""] + [
        f"- {label}: {r:.2f}x ({'PASS' if ok else 'MISS'})" for label, r, _, ok in targets
    ]
    return "\n".join(lines) + "\n", targets


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    cfg = QUICK if args.quick else FULL
    started = datetime.datetime.now().replace(microsecond=0)
    stamp = started.strftime("%Y%m%dT%H%M%S")
    apply_onednn_policy(args.onednn)
    if args.featurizer:
        return run_featurizer(args, started, stamp)
    if args.photos:
        return run_photos(args, started, stamp)

    import tensorflow as tf

    # Raw TF Python has the machine to itself, in one process: every slot's core for one op.
    tf.config.threading.set_intra_op_parallelism_threads(args.slots)
    tf.config.threading.set_inter_op_parallelism_threads(args.slots)

    log(f"starting Spark (local[{args.slots}], driver memory {args.driver_memory})")
    spark, jfr = start_spark(args, stamp)
    load = MachineLoad(lambda: [os.getpid(), *descendants(os.getpid())])
    with tempfile.TemporaryDirectory(prefix="sparkdl-bench-") as tmp:
        suite = Suite(args, cfg, spark, Path(tmp))
        # A failing method or scaling run is reported, not fatal (a wrong result still is).
        steps = [("peak", suite.run_peak)] if args.peak and models_of(args) else []
        steps += [(f"model {n}", lambda n=n: suite.run_model(n)) for n in models_of(args)]
        if args.streaming:
            steps.append(("streaming", suite.run_streaming))
        if args.images:
            steps.append(("images", suite.run_images))
        if args.training:
            steps.append(("training", suite.run_training))
        if not args.no_scaling:
            steps.append(("scaling", suite.run_scaling))
        errors = []
        for label, step in steps:
            try:
                step()
            except Exception as e:  # noqa: BLE001 - keep what was measured so far
                log(f"{label} failed: {e!r}")
                errors.append(f"{label} failed: {type(e).__name__}: {str(e).splitlines()[0]}")
        machine = load.summary()
        versions = {
            "tensorflow_python": tf.__version__,
            "tensorflow_jvm": spark.sparkContext._jvm.io.sparkdl.tf.TfRuntime.version(),
            "spark": spark.version,
            "python": sys.version.split()[0],
        }
        first_action = suite.first_action_s
        workers_onednn = onednn_in_workers(spark, args.slots)
    spark.stop()

    busy = machine["other_processes_cpu_share"] > BUSY_SHARE
    notes = [
        f"sparkdl from Python via {m.python_api_used()}; from Scala via "
        "io.sparkdl.bench.SparkBench.mapBlocksNoop (TensorFrames.mapBlocks + noop write).",
        "Spark jobs include building the output DataFrame; each writes x and y to noop.",
        f"TF threads: sparkdl sessions intra-op = spark.task.cpus (1), inter-op = caller thread; "
        f"predict_batch_udf and mapInArrow workers intra-op 1, inter-op 1 (one worker per slot); "
        f"raw TF Python intra-op {args.slots}, inter-op {args.slots} (one process, whole machine); "
        f"bridge alone (a JVM of its own) intra-op {args.slots}, inter-op "
        f"{args.bridge_inter_op} (0: TF picks).",
        f"TF kernels (--onednn {args.onednn}): oneDNN "
        f"{'on' if args.onednn != 'none' else 'off'} in sparkdl (JVM), "
        f"{'on' if onednn_in_tf_python() else 'off'} in raw TF Python, "
        f"{'/'.join('on' if w else 'off' for w in workers_onednn)} in the UDF peers' Python "
        "workers.",
        f"mapInArrow gets Arrow batches of {cfg.block_size} rows; predict_batch_udf keeps "
        "Spark's Arrow batches (maxRecordsPerBatch default) and calls the model per "
        f"{cfg.block_size} rows.",
        f"Correctness: first {CHECK_ROWS} rows of sparkdl (and the UDF peers) equal TF Python "
        f"within {TOLERANCE:g}; max diffs {suite.checks}.",
        f"First sparkdl action in the JVM (native load, first model, check): {first_action:.2f} s."
        if first_action is not None
        else "",
        "Peak RSS is per method: kernel high-water marks reset before each timed run, the highest "
        "kept; workers = sum over the JVM's Python workers alive after the run. Timed runs go "
        "in rounds (every method once per round, in rotating order) after per-method warm-ups.",
    ]
    if suite.image_data:
        d = suite.image_data
        notes.append(
            f"Images: {d['count']:,} PNGs of {d['size']}x{d['size']} RGB ({d['mb']} MB, smooth "
            f"seeded noise) in {d['folder']}; partitions as Spark's file source splits the folder "
            f"({', '.join(f'{k} {v}' for k, v in d['partitions'].items())}); "
            f"up to {d['batch_size']} images per model call, within a partition "
            "(TFImageTransformer batchSize, predict_batch_udf batch_size). Correctness: the "
            "first 10 images' outputs of sparkdl "
            f"and predict_batch_udf equal Keras on PIL's pixels within {TOLERANCE:g}; max diffs "
            f"{suite.image_checks}."
        )
    if suite.stream_data:
        notes.append(st.describe(suite.stream_data))
        notes += report.stream_findings(suite.stream_timings, suite.stream_data["batches"])
    notes += report.mode_findings(suite.timings)
    if suite.modes:
        notes.append(
            "Modes: sparkdl map_blocks with spark.sparkdl.graphOptimization (xla, none) or "
            "spark.sparkdl.precision (bfloat16) set for the job and restored after; xla and none "
            f"equal TF Python within {TOLERANCE:g}; bfloat16's max difference to TF Python "
            f"float32 (stop beyond {BFLOAT16_TOLERANCE:g} of the largest output): "
            + (
                ", ".join(
                    f"{k} {d['abs']:.2g} ({d['relative']:.2%})"
                    for k, d in suite.bfloat16_diffs.items()
                )
                or "not run"
            )
            + "."
        )
    notes += [f"Mode {k} skipped: {why}" for k, why in suite.skipped_modes.items()]
    notes += [f"ERROR: {e}" for e in errors]
    if busy:
        notes.append("The machine was busy with other work: these numbers are not final.")
    if jfr:
        notes.append(f"JFR recording: {jfr} (summarise with bench/jfr_top.py).")
    peak_f32 = pk.best(suite.peaks, "sparkdl", "float32")
    spark_share = report.partition_cost_split(suite.scaling["partitions"], suite.partition_ceiling)
    task_cost = report.task_cost(suite.task_cost, spark_share)
    found = report.targets(
        suite.timings,
        suite.first_result,
        suite.scaling["partitions"],
        suite.flops,
        peak_f32.gflops if peak_f32 else None,
        suite.bfloat16_diffs,
        task_cost,
    )
    found += report.image_targets(suite.image_timings)
    found += report.stream_targets(suite.stream_timings)
    results: dict[str, Any] = {
        "meta": {
            "mode": cfg.mode,
            "started": started.isoformat(),
            "master": f"local[{args.slots}]",
            "cpu": cpu_description(),
            "partitions": cfg.partitions,
            "block_size": cfg.block_size,
            "machine": machine,
            "busy": busy,
            "versions": versions,
            "onednn": {
                "policy": args.onednn,
                "tf_python": onednn_in_tf_python(),
                "workers": workers_onednn,
            },
            "notes": [n for n in notes if n],
        },
        "timings": {k: {mk: t.to_json() for mk, t in v.items()} for k, v in suite.timings.items()},
        "first_result": suite.first_result,
        "correctness_max_abs_diff": suite.checks,
        "compute": {
            "flops_per_row": suite.flops,
            "flops_counted": "2 x multiply-adds of Dense and Conv2D layers",
            "peaks": [p.to_json() for p in suite.peaks],
            "peak_gflops_float32": peak_f32.gflops if peak_f32 else None,
            "gflops_median": {
                model: {
                    k: t.median * suite.flops[model] / 1e9
                    for k, t in by_method.items()
                    if model in suite.flops and k != "spark_ceiling"
                }
                for model, by_method in suite.timings.items()
            },
            "bfloat16_max_diff": suite.bfloat16_diffs,
            "modes_skipped": suite.skipped_modes,
        },
        "scaling": {
            k: {str(n): t.to_json() for n, t in v.items()} for k, v in suite.scaling.items()
        },
        "partition_ceiling": {str(n): t.to_json() for n, t in suite.partition_ceiling.items()},
        "images": {
            **suite.image_data,
            "timings": {k: t.to_json() for k, t in suite.image_timings.items()},
            "correctness_max_abs_diff": suite.image_checks,
        },
        "streaming": {
            **suite.stream_data,
            "timings": {k: t.to_json() for k, t in suite.stream_timings.items()},
        },
        "partition_cost_split": spark_share,
        "task_cost": task_cost,
        "task_cost_timings": {f"{k}/{p}": t.to_json() for (k, p), t in suite.task_cost.items()},
        "training": {
            **suite.training,
            "targets": [
                {"what": w, "measured": g, "target": t, "met": ok}
                for w, g, t, ok in tr.targets(suite.training)
            ],
        },
        "targets": [t.to_json() for t in found],
    }
    text, md = (
        report.render(
            results,
            suite.timings,
            suite.scaling,
            suite.partition_ceiling,
            suite.image_timings,
            found,
            markdown=markdown,
            streams=suite.stream_timings,
        )
        for markdown in (False, True)
    )
    if suite.training:
        text += tr.markdown(suite.training)
        md += tr.markdown(suite.training)
    print(text)
    for path in report.write(Path(args.out), results, md):
        log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
