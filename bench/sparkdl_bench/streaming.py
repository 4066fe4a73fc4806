"""The streaming section: the bench's MLP over a ``rate-micro-batch`` stream, three ways.

The stream's rows are made in the JVM (``io.sparkdl.bench.StreamBench``): Spark's
``rate-micro-batch`` source gives a fixed number of ``value`` rows per micro-batch (0, 1, ... in
order of micro-batches, whatever the timing), and each value becomes the MLP's ``x`` by a lookup
in a table of seeded rows. sparkdl's ``map_blocks`` and ``predict_batch_udf`` run on that stream,
sparkdl's ``map_blocks`` on the same rows in batch, and the rows alone (no model) in both, so the
report can say what making the rows costs. Every stream run starts from a fresh checkpoint and
runs an exact number of micro-batches to ``noop`` (``StreamBench.noopBatches``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from sparkdl_bench import methods as m
from sparkdl_bench.models import INPUT

#: Method keys, in report order, with their labels.
STREAM_METHODS: dict[str, str] = {
    "sparkdl_stream": "sparkdl map_blocks, stream",
    "predict_batch_udf_stream": "predict_batch_udf + TF Python, stream",
    "sparkdl_batch": "sparkdl map_blocks, batch (the same rows)",
    "rows_stream": "rows alone, stream -> noop (no model)",
    "rows_batch": "rows alone, batch -> noop (no model)",
}
#: The reference of the section's ratios.
REFERENCE = "sparkdl_stream"
#: The methods whose output is checked against TF Python (the others have no model).
MODEL_METHODS = ("sparkdl_stream", "predict_batch_udf_stream", "sparkdl_batch")
#: The model of the section.
MODEL = "mlp"
#: Distinct rows of the lookup table a value picks from (value % DISTINCT): 3 MB of the MLP's
#: 784 floats, built once per JVM.
DISTINCT = 1024


class StreamMethods:
    """Every method of the section over one stream shape, for one prepared model."""

    def __init__(
        self,
        spark: SparkSession,
        model: m.Prepared,
        rows_per_batch: int,
        batches: int,
        partitions: int,
        block_size: int,
        seed: int,
        workdir: Path,
    ) -> None:
        self.spark, self.model = spark, model
        self.rows_per_batch, self.batches, self.partitions = rows_per_batch, batches, partitions
        self.block_size, self.seed = block_size, seed
        self.checkpoints = workdir / "stream-checkpoints"
        self.bench = spark.sparkContext._jvm.io.sparkdl.bench.StreamBench
        self.runs = 0

    @property
    def rows(self) -> int:
        return self.rows_per_batch * self.batches

    def stream(self, rows_per_batch: int | None = None) -> DataFrame:
        """The rate stream's rows as column ``x``, ``rows_per_batch`` a micro-batch."""
        jdf = self.bench.rateRows(
            self.spark._jsparkSession,
            INPUT,
            self.model.spec.features,
            rows_per_batch or self.rows_per_batch,
            self.partitions,
            DISTINCT,
            self.seed,
        )
        return DataFrame(jdf, self.spark)

    def batch(self, rows: int | None = None) -> DataFrame:
        """The same rows as a batch DataFrame (values 0 .. rows - 1), made the same way."""
        jdf = self.bench.rangeRows(
            self.spark._jsparkSession,
            INPUT,
            self.model.spec.features,
            rows or self.rows,
            self.partitions,
            DISTINCT,
            self.seed,
        )
        return DataFrame(jdf, self.spark)

    def frames(self) -> dict[str, Callable[[DataFrame], DataFrame]]:
        """Each method's output from its input rows (a stream or a batch, per :meth:`is_stream`)."""
        model, bs = self.model, self.block_size
        return {
            "sparkdl_stream": lambda df: m.map_blocks(model, df, bs),
            "predict_batch_udf_stream": lambda df: m.predict_batch_udf_frame(model, df, bs),
            "sparkdl_batch": lambda df: m.map_blocks(model, df, bs),
            "rows_stream": lambda df: df,
            "rows_batch": lambda df: df,
        }

    @staticmethod
    def is_stream(key: str) -> bool:
        return key.endswith("_stream")

    def _checkpoint(self, key: str) -> Path:
        self.runs += 1
        return self.checkpoints / f"{key}-{self.runs}"

    def run_stream(self, frame: Callable[[DataFrame], DataFrame], key: str) -> float:
        """Seconds to build ``frame`` over the stream and run :attr:`batches` micro-batches of it
        to noop from a fresh checkpoint (removed after, untimed)."""
        checkpoint = self._checkpoint(key)
        start = time.perf_counter()
        out = frame(self.stream())
        built = time.perf_counter() - start
        try:
            nanos = self.bench.noopBatches(out._jdf, self.batches, str(checkpoint))
        finally:
            shutil.rmtree(checkpoint, ignore_errors=True)
        return built + nanos / 1e9

    def run_batch(self, frame: Callable[[DataFrame], DataFrame]) -> float:
        start = time.perf_counter()
        m.noop(frame(self.batch()))
        return time.perf_counter() - start

    def jobs(self) -> dict[str, Callable[[], float]]:
        """Each method as a job returning its seconds over :attr:`rows` rows."""
        return {
            key: (
                (lambda f=frame, k=key: self.run_stream(f, k))
                if self.is_stream(key)
                else (lambda f=frame: self.run_batch(f))
            )
            for key, frame in self.frames().items()
        }

    def first_rows(self, key: str, rows: int) -> DataFrame:
        """Method ``key``'s output over the first ``rows`` rows: for a stream, one micro-batch of
        them (trigger availableNow) collected by a ``memory`` sink."""
        frame = self.frames()[key]
        if not self.is_stream(key):
            return frame(self.batch(rows))
        name = f"bench_check_{key}"
        checkpoint = self._checkpoint(f"check-{key}")
        query = (
            frame(self.stream(rows))
            .writeStream.format("memory")
            .queryName(name)
            .option("checkpointLocation", str(checkpoint))
            .trigger(availableNow=True)
            .start()
        )
        query.awaitTermination()
        shutil.rmtree(checkpoint, ignore_errors=True)
        if query.exception() is not None:
            raise RuntimeError(f"{STREAM_METHODS[key]} failed: {query.exception()}")
        out = self.spark.table(name)
        found = out.count()
        if found != rows:
            raise SystemExit(
                f"bench: streaming: {STREAM_METHODS[key]} wrote {found} rows in its first "
                f"micro-batch; expected {rows}"
            )
        return out


def describe(data: dict[str, Any]) -> str:
    """How the section's rows are made and run, for the report's notes."""
    return (
        f"Streaming: {data['model']}, {data['batches']} micro-batches of "
        f"{data['rows_per_batch']:,} rows ({data['rows']:,} rows) from Spark's rate-micro-batch "
        f"source in {data['partitions']} partitions, each value v made into x by a lookup of row "
        f"v % {data['distinct']:,} of a seeded table (StreamBench.vectors); each run from a fresh "
        "checkpoint, trigger as fast as it can, every micro-batch written whole to noop "
        "(foreachBatch, stopped after the last one); the batch lines run values "
        f"0 .. {data['rows'] - 1:,} through the same row making, to noop. Block/batch size "
        f"{data['block_size']:,}. Correctness: the first {data['check_rows']} rows (one "
        "micro-batch, memory sink, for the streams) equal TF Python within the tolerance; max "
        f"diffs {data['checks']}."
    )
