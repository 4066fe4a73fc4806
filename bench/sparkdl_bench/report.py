"""Targets, the printed table, and the JSON + markdown files in bench/results/."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparkdl_bench.images import CEILING, IMAGE_METHODS
from sparkdl_bench.measure import Timing
from sparkdl_bench.methods import LABELS, bridge_key, mode_key
from sparkdl_bench.streaming import REFERENCE as STREAM_REFERENCE
from sparkdl_bench.streaming import STREAM_METHODS

REFERENCE = "sparkdl_py"
#: A mode beating the default by more than this (median rows/s) is called out in the notes.
MODE_MARGIN = 0.05


@dataclass
class Target:
    """A goal: ``measured`` against ``threshold`` (``>=`` or ``<``); N/A when not measured."""

    name: str
    measured: float | None
    threshold: float
    op: str  # ">=" or "<"
    unit: str = "x"

    @property
    def status(self) -> str:
        if self.measured is None:
            return "N/A"
        ok = self.measured >= self.threshold if self.op == ">=" else self.measured < self.threshold
        return "PASS" if ok else "MISS"

    def describe(self) -> tuple[str, str, str]:
        value = "-" if self.measured is None else _fmt_value(self.measured, self.unit)
        return value, f"{self.op} {_fmt_value(self.threshold, self.unit)}", self.status

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": self.measured,
            "threshold": self.threshold,
            "op": self.op,
            "unit": self.unit,
            "status": self.status,
        }


def _fmt_value(v: float, unit: str) -> str:
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "%":
        return f"{v * 100:.1f}%"
    return f"{v:.3f} {unit}"


def targets(
    timings: dict[str, dict[str, Timing]],
    first_result: dict[str, dict[str, float]],
    partitions: dict[int, Timing],
    flops: dict[str, int] | None = None,
    peak_gflops: float | None = None,
    bfloat16_diffs: dict[str, dict[str, float]] | None = None,
    task_cost: dict[str, float] | None = None,
) -> list[Target]:
    """The suite's goals, measured where the data is there.

    ``flops``: floating-point operations per row by model; ``peak_gflops``: the machine's
    float32 matmul peak through sparkdl's bridge; ``bfloat16_diffs``: by model, bfloat16's max
    difference to TF Python float32 (``abs``, ``relative`` to the largest output);
    ``task_cost``: :func:`task_cost`'s figures.
    """

    def median(model: str, method: str) -> float | None:
        t = timings.get(model, {}).get(method)
        return t.median if t else None

    def ratio(model: str, method: str, over: Callable[[], float | None]) -> float | None:
        num, den = median(model, method), over()
        return num / den if num is not None and den else None

    out = []
    for model, goal in (("tiny", 5.0), ("mlp", 3.0), ("cnn", 2.0)):
        out.append(
            Target(
                f"sparkdl >= {goal:g}x predict_batch_udf ({model})",
                ratio(model, REFERENCE, lambda m=model: median(m, "predict_batch_udf")),
                goal,
                ">=",
            )
        )
    for model in ("mlp", "cnn"):

        def floor(m: str = model) -> float | None:
            values = [median(m, "tf_python"), median(m, "spark_ceiling")]
            return None if None in values else min(values)

        out.append(
            Target(
                f"sparkdl >= 0.9x min(raw TF Python, Spark ceiling) ({model})",
                ratio(model, REFERENCE, floor),
                0.9,
                ">=",
            )
        )
    # Issue 16: beyond TF Python's own speed, float32 in the default mode.
    for model, goal in (("mlp", 1.3), ("cnn", 1.2)):
        out.append(
            Target(
                f"sparkdl >= {goal:g}x raw TF Python ({model}, float32)",
                ratio(model, REFERENCE, lambda m=model: median(m, "tf_python")),
                goal,
                ">=",
            )
        )
    mlp, mlp_flops = median("mlp", REFERENCE), (flops or {}).get("mlp")
    out.append(
        Target(
            "sparkdl float32 >= 75% of the measured float32 peak (mlp)",
            mlp * mlp_flops / 1e9 / peak_gflops if mlp and mlp_flops and peak_gflops else None,
            0.75,
            ">=",
            "%",
        )
    )
    diff = (bfloat16_diffs or {}).get("mlp")
    out.append(
        Target(
            "sparkdl bfloat16 >= 2x sparkdl float32 (mlp"
            + (
                f"; max diff to float32 {diff['abs']:.2g}, {diff['relative']:.2%} of the largest "
                "output)"
                if diff
                else ")"
            ),
            ratio("mlp", mode_key("bfloat16"), lambda: median("mlp", REFERENCE)),
            2.0,
            ">=",
        )
    )
    for model in ("tiny", "mlp", "cnn"):
        out.append(
            Target(
                f"bridge alone >= 0.95x raw TF Python ({model})",
                ratio(model, "bridge", lambda m=model: median(m, "tf_python")),
                0.95,
                ">=",
            )
        )
    cost = None
    if 2 in partitions and 32 in partitions:
        cost = 1 - partitions[32].median / partitions[2].median
    out.append(Target("2 -> 32 partitions costs sparkdl < 15% (mlp)", cost, 0.15, "<", "%"))
    # Issue 16: sparkdl's own share of that cost, its fixed cost of a task measured apart.
    own = (task_cost or {}).get("share_of_32")
    out.append(
        Target(
            "sparkdl's own cost of 30 more tasks < 5% of the 32-partition job (mlp"
            + (f"; {task_cost['sparkdl_ms']:.3f} ms a task)" if task_cost else ")"),
            own,
            0.05,
            "<",
            "%",
        )
    )
    warm = first_result.get("mlp", {}).get("warm_s")
    out.append(Target("warm time to first result < 1 s (mlp)", warm, 1.0, "<", "s"))
    return out


def image_targets(images: dict[str, Timing]) -> list[Target]:
    """The images section's goals: sparkdl against predict_batch_udf and the decode ceiling."""

    def ratio(over: str) -> float | None:
        num, den = images.get("sparkdl"), images.get(over)
        return num.median / den.median if num and den else None

    return [
        Target("sparkdl >= 2x predict_batch_udf (images)", ratio("predict_batch_udf"), 2.0, ">="),
        Target(
            "sparkdl >= 0.8x decode ceiling, Spark's image source (images)",
            ratio(CEILING),
            0.8,
            ">=",
        ),
    ]


def stream_targets(streams: dict[str, Timing]) -> list[Target]:
    """The streaming section's goal: sparkdl against predict_batch_udf on the same stream."""
    num, den = streams.get(STREAM_REFERENCE), streams.get("predict_batch_udf_stream")
    return [
        Target(
            "sparkdl stream >= 3x predict_batch_udf on the same stream (mlp)",
            num.median / den.median if num and den else None,
            3.0,
            ">=",
        )
    ]


def stream_findings(streams: dict[str, Timing], batches: int | None = None) -> list[str]:
    """What streaming costs sparkdl against the same rows in batch, and what share of each
    method's time making the rows takes (the rows alone, no model, over each method's time);
    with ``batches`` (micro-batches a run), what the model adds per micro-batch."""
    lines = []
    stream, batch = streams.get("sparkdl_stream"), streams.get("sparkdl_batch")
    if stream and batch:
        lines.append(
            f"Streaming: sparkdl on the stream runs at {stream.median / batch.median:.2f}x the "
            f"same rows in batch ({_rate(stream.median)} vs {_rate(batch.median)} rows/s, "
            "median)."
        )

    def seconds(t: Timing) -> float:
        return t.rows / t.median

    rows_stream, rows_batch = streams.get("rows_stream"), streams.get("rows_batch")
    if stream and batch and rows_stream and rows_batch and batches:
        # What the model adds over making the rows, per micro-batch and per row, in both.
        model_stream = seconds(stream) - seconds(rows_stream)
        model_batch = seconds(batch) - seconds(rows_batch)
        lines.append(
            f"Streaming: sparkdl's model adds {model_stream / batches * 1e3:.1f} ms a micro-batch "
            f"over the rows alone on the stream ({model_stream / stream.rows * 1e6:.2f} us a "
            f"row), {model_batch / batch.rows * 1e6:.2f} us a row in batch (one job); the rows "
            f"alone take {seconds(rows_stream) / batches * 1e3:.1f} ms a micro-batch on the "
            f"stream, {seconds(rows_batch) * 1e3:.1f} ms in batch."
        )
    shares = []
    for rows_key, keys in (
        ("rows_stream", ("sparkdl_stream", "predict_batch_udf_stream")),
        ("rows_batch", ("sparkdl_batch",)),
    ):
        rows = streams.get(rows_key)
        for key in keys:
            t = streams.get(key)
            if rows and t:
                shares.append(f"{STREAM_METHODS[key]} {t.median / rows.median:.0%}")
    if shares:
        lines.append(
            "Streaming: the rows alone (made and written to noop, no model; on the stream with "
            "Spark's own work of each micro-batch) take, of each method's median seconds: "
            + ", ".join(shares)
            + "."
        )
    return lines


def mode_findings(timings: dict[str, dict[str, Timing]]) -> list[str]:
    """Each compute mode's speed against the default mode, per model, for sparkdl map_blocks
    and for the bridge alone; a graph optimization beating 'default' by more than
    :data:`MODE_MARGIN` is called out."""
    lines = []
    for (model, by_method), (who, base, key_of) in itertools.product(
        timings.items(),
        [("sparkdl map_blocks", REFERENCE, mode_key), ("bridge alone", "bridge", bridge_key)],
    ):
        ref = by_method.get(base)
        if not ref:
            continue
        found = []
        for mode in ("xla", "none", "bfloat16"):
            t = by_method.get(key_of(mode))
            if not t:
                continue
            r = t.median / ref.median
            found.append(f"{mode} {r:.2f}x")
            if mode != "bfloat16" and r > 1 + MODE_MARGIN:
                lines.append(
                    f"Graph optimization '{mode}' beats 'default' on {model}, {who}: {r:.2f}x "
                    f"({_rate(t.median)} vs {_rate(ref.median)} rows/s; ranges "
                    f"{_rate(t.low)} - {_rate(t.high)} vs {_rate(ref.low)} - {_rate(ref.high)}"
                    + (", not overlapping)." if t.low > ref.high else ", overlapping).")
                )
        if found:
            lines.insert(
                0, f"Modes vs default on {model}, {who} (median rows/s): {', '.join(found)}."
            )
    return lines


def partition_cost_split(
    partitions: dict[int, Timing], ceiling: dict[int, Timing]
) -> dict[str, float] | None:
    """How 2 -> 32 partitions' extra seconds per job split into Spark's own and sparkdl's.

    Spark's share is what its ceiling (the same cached scan to noop, no model) loses going from
    2 to 32 partitions; sparkdl's is the rest. Shares are of sparkdl's 32-partition time, so
    they add up to the target's measure, the drop in rows/s (1 - rate at 32 / rate at 2).
    """
    if not all(p in d for p in (2, 32) for d in (partitions, ceiling)):
        return None

    def seconds(t: Timing) -> float:
        return t.rows / t.median

    at_32 = seconds(partitions[32])
    total = at_32 - seconds(partitions[2])
    spark = seconds(ceiling[32]) - seconds(ceiling[2])
    return {
        "sparkdl_32_s": at_32,
        "extra_s": total,
        "spark_extra_s": spark,
        "total_share": total / at_32,
        "spark_share": spark / at_32,
        "sparkdl_share": (total - spark) / at_32,
    }


def task_cost(
    timings: dict[tuple[str, int], Timing], split: dict[str, float] | None = None
) -> dict[str, float] | None:
    """sparkdl's own fixed cost of a task, from the same rows as 2 partitions and as one row a
    partition, through sparkdl and through Spark's ceiling (keys ``(kind, partitions)``).

    Each extra task adds Spark's per-task cost to both jobs; what it adds to sparkdl beyond the
    ceiling's is sparkdl's own (session lease, plan and model handles, a block of one row).
    With ``split`` (:func:`partition_cost_split`), that cost for the 30 more tasks of 2 -> 32
    partitions as a share of sparkdl's 32-partition job.
    """
    counts = sorted({p for _, p in timings})
    if len(counts) != 2 or not all(
        (k, p) in timings for k in ("sparkdl", "ceiling") for p in counts
    ):
        return None
    few, many = counts

    def added(kind: str) -> float:
        t_few, t_many = timings[(kind, few)], timings[(kind, many)]
        return (t_many.rows / t_many.median - t_few.rows / t_few.median) / (many - few)

    per_task = added("sparkdl") - added("ceiling")
    out = {
        "tasks": float(many),
        "sparkdl_ms": per_task * 1e3,
        "spark_ms": added("ceiling") * 1e3,
    }
    if split:
        out["share_of_32"] = per_task * 30 / split["sparkdl_32_s"]
    return out


# ---- formatting ---------------------------------------------------------------------------


def _rate(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def _ratio(r: float) -> str:
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"


def _table(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
        + [fmt.format(*r) for r in rows]
    )


def render(
    results: dict[str, Any],
    timings: dict[str, dict[str, Timing]],
    scaling: dict[str, dict[Any, Timing]],
    partition_ceiling: dict[int, Timing],
    images: dict[str, Timing],
    found: list[Target],
    markdown: bool,
    streams: dict[str, Timing] | None = None,
) -> str:
    """The whole report as text (aligned columns) or markdown."""
    meta = results["meta"]
    parts = []
    h = "## " if markdown else "== "
    parts.append(
        f"{h}sparkdl benchmark ({meta['mode']}, {meta['started']}, master {meta['master']}, "
        f"{meta['partitions']} partitions, block/batch {meta['block_size']})"
    )
    if meta.get("cpu"):
        parts.append(f"CPU: {meta['cpu']}.")
    load = meta.get("machine", {})
    parts.append(
        f"Other processes took {load.get('other_processes_cpu_share', 0) * 100:.0f}% of the CPUs "
        f"during the run (load {load.get('loadavg_1m_start')} -> {load.get('loadavg_1m_end')})."
        + (" Numbers from a busy machine are not final." if meta.get("busy") else "")
    )
    compute = results.get("compute", {})
    flops, peak = compute.get("flops_per_row", {}), compute.get("peak_gflops_float32")
    rows = []
    for model, by_method in timings.items():
        ref = by_method.get(REFERENCE)
        for key, t in by_method.items():
            ratio = _ratio(ref.median / t.median) if ref else "-"
            rss = t.peak_rss_mb
            g = t.median * flops[model] / 1e9 if model in flops and key != "spark_ceiling" else None
            rows.append(
                [
                    model,
                    LABELS[key],
                    f"{t.rows:,}",
                    _rate(t.median),
                    f"{_rate(t.low)} - {_rate(t.high)}",
                    ratio,
                    "-" if g is None else f"{g:.3g}",
                    "-" if g is None or not peak else f"{g / peak:.0%}",
                    " / ".join(f"{rss.get(k, 0):.0f}" for k in ("python", "jvm", "workers")),
                ]
            )
    header = [
        "model",
        "method",
        "rows",
        "rows/s (median)",
        "min - max",
        "sparkdl py / method",
        "GFLOP/s",
        "of f32 peak",
        "peak RSS MB py / jvm / workers",
    ]
    if rows:
        parts.append(_table(header, rows, markdown))
    if flops:
        parts.append(
            "FLOPs per row (2 x multiply-adds of Dense and Conv2D layers): "
            + ", ".join(f"{k} {v:,}" for k, v in flops.items())
            + "."
        )
    peaks = compute.get("peaks", [])
    if peaks:
        parts.append(f"{h}machine peak: square matmuls, best of the timed runs")
        parts.append(
            _table(
                ["runtime", "dtype", "n", "GFLOP/s (best)", "seconds (min - max)"],
                [
                    [
                        "sparkdl bridge (own JVM)" if p["runtime"] == "sparkdl" else "TF Python",
                        p["dtype"],
                        f"{p['n']:,}",
                        f"{p['gflops_best']:.0f}",
                        f"{min(p['seconds']):.3f} - {max(p['seconds']):.3f}",
                    ]
                    for p in peaks
                ],
                markdown,
            )
        )
        parts.append(
            f"float32 peak for the fractions: {peak:.0f} GFLOP/s (sparkdl bridge, best size)."
            if peak
            else "No float32 peak through sparkdl's bridge: fractions not computed."
        )

    first = results.get("first_result", {})
    if first:
        parts.append(f"{h}time to first result (sparkdl map_blocks + limit(1).collect())")
        parts.append(
            _table(
                ["model", "cold (fresh model, session load)", "warm (cached session)"],
                [[m, f"{v['cold_s']:.3f} s", f"{v['warm_s']:.3f} s"] for m, v in first.items()],
                markdown,
            )
        )
    for kind, by_value in scaling.items():
        if not by_value:
            continue
        parts.append(f"{h}scaling: sparkdl map_blocks (Python) on mlp by {kind}")
        base = next(iter(by_value.values())).median
        ceiling = partition_ceiling if kind == "partitions" else {}
        header = [kind.replace("_", " "), "rows", "rows/s (median)", "min - max", "vs first"]
        if ceiling:
            header += ["s/job", "Spark ceiling s/job"]
        rows = []
        for k, t in by_value.items():
            row = [
                f"{k:,}",
                f"{t.rows:,}",
                _rate(t.median),
                f"{_rate(t.low)} - {_rate(t.high)}",
                f"{t.median / base:.2f}x",
            ]
            if ceiling:
                c = ceiling.get(k)
                row += [f"{t.rows / t.median:.3f}", f"{c.rows / c.median:.3f}" if c else "-"]
            rows.append(row)
        parts.append(_table(header, rows, markdown))
        split = results.get("partition_cost_split")
        if kind == "partitions" and split:
            parts.append(
                f"2 -> 32 partitions adds {split['extra_s']:.3f} s per job "
                f"({split['total_share'] * 100:.1f}% of the {split['sparkdl_32_s']:.3f} s at 32); "
                "Spark's "
                f"ceiling alone adds {split['spark_extra_s']:.3f} s "
                f"({split['spark_share'] * 100:.1f}%), leaving "
                f"{split['sparkdl_share'] * 100:.1f}% to sparkdl."
            )
            cost = results.get("task_cost")
            if cost:
                parts.append(
                    f"Measured apart ({cost['tasks']:,.0f} one-row partitions against 2, sparkdl "
                    f"and the ceiling in the same rounds), a task costs Spark "
                    f"{cost['spark_ms']:.3f} ms and sparkdl {cost['sparkdl_ms']:.3f} ms more: "
                    + (
                        f"{cost['share_of_32'] * 100:.1f}% of the 32-partition job for its 30 "
                        "more tasks. The rest of sparkdl's share is not per-task work of its own "
                        "(see bench/README.md, Scaling)."
                        if "share_of_32" in cost
                        else "no 2 -> 32 split to compare with."
                    )
                )
    if images:
        d = results.get("images", {})
        parts.append(
            f"{h}images: {d.get('count', 0):,} PNGs of {d.get('size')}x{d.get('size')} -> "
            "cheap CNN (2 strided convs, global pool, Dense 10)"
        )
        ref = images.get("sparkdl")
        rows = []
        for key, t in images.items():
            rss = t.peak_rss_mb
            rows.append(
                [
                    IMAGE_METHODS[key],
                    f"{t.rows:,}",
                    _rate(t.median),
                    f"{_rate(t.low)} - {_rate(t.high)}",
                    _ratio(ref.median / t.median) if ref else "-",
                    " / ".join(f"{rss.get(k, 0):.0f}" for k in ("python", "jvm", "workers")),
                ]
            )
        header = [
            "method",
            "images",
            "images/s (median)",
            "min - max",
            "sparkdl / method",
            "peak RSS MB py / jvm / workers",
        ]
        parts.append(_table(header, rows, markdown))
    if streams:
        d = results.get("streaming", {})
        parts.append(
            f"{h}streaming: {d.get('model')} over a rate-micro-batch stream, "
            f"{d.get('batches')} micro-batches of {d.get('rows_per_batch', 0):,} rows"
        )
        ref = streams.get(STREAM_REFERENCE)
        rows = []
        for key, t in streams.items():
            rss = t.peak_rss_mb
            rows.append(
                [
                    STREAM_METHODS[key],
                    f"{t.rows:,}",
                    _rate(t.median),
                    f"{_rate(t.low)} - {_rate(t.high)}",
                    _ratio(ref.median / t.median) if ref else "-",
                    " / ".join(f"{rss.get(k, 0):.0f}" for k in ("python", "jvm", "workers")),
                ]
            )
        header = [
            "method",
            "rows",
            "rows/s (median)",
            "min - max",
            "sparkdl stream / method",
            "peak RSS MB py / jvm / workers",
        ]
        parts.append(_table(header, rows, markdown))
    parts.append(f"{h}targets")
    parts.append(
        _table(
            ["target", "measured", "goal", "status"],
            [[t.name, *t.describe()] for t in found],
            markdown,
        )
    )
    notes = meta.get("notes", [])
    if notes:
        parts.append(f"{h}notes")
        parts.append("\n".join(f"- {n}" for n in notes))
    return "\n\n".join(parts) + "\n"


def write(out_dir: Path, results: dict[str, Any], markdown: str) -> list[Path]:
    """Writes ``<stamp>-<mode>.json`` / ``.md`` and ``latest.json`` / ``latest.md``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = (
        f"{results['meta']['started'].replace(':', '').replace('-', '')}-{results['meta']['mode']}"
    )
    paths = []
    for name in (stem, "latest"):
        j, m = out_dir / f"{name}.json", out_dir / f"{name}.md"
        j.write_text(json.dumps(results, indent=2, default=str) + "\n")
        m.write_text(markdown)
        paths += [j, m]
    return paths
