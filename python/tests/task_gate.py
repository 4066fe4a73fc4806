"""A gate that Spark tasks wait at until the test opens it: how a test catches a job mid-flight.

The first row a task passes through :func:`wait_at_gate` writes ``started-<stage>-<partition>-
<attempt>`` (holding the Python worker's pid) into the gate's directory, then waits for the file
``open``; once it exists every row passes straight through, retried tasks included. Pure Python
and TF-free: it runs in PySpark's Python workers, which the executor JVM starts as its children.
This module is pickled by value (``cloudpickle.register_pickle_by_value``): executors need not
import it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

OPEN = "open"


def wait_at_gate(directory: str, timeout: float = 300.0) -> None:
    """Blocks the calling task until the gate in ``directory`` is open."""
    gate = Path(directory)
    if (gate / OPEN).exists():
        return
    from pyspark import TaskContext

    ctx = TaskContext.get()
    name = f"started-{ctx.stageId()}-{ctx.partitionId()}-{ctx.attemptNumber()}"
    if not (gate / name).exists():
        part = gate / f".{name}.{os.getpid()}"
        part.write_text(str(os.getpid()))
        part.rename(gate / name)  # atomic: the test never reads a half-written pid
    deadline = time.monotonic() + timeout
    while not (gate / OPEN).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the gate {gate} was never opened")
        time.sleep(0.02)


def passing(directory: str) -> Callable[[float], float]:
    """An identity function for a Python UDF that waits at the gate."""

    def through(x: float) -> float:
        wait_at_gate(directory)
        return x

    return through


def started(directory: str) -> list[tuple[str, int]]:
    """The tasks that reached the gate: (file name, Python worker pid), in name order."""
    return [(p.name, int(p.read_text())) for p in sorted(Path(directory).glob("started-*"))]


def open_gate(directory: str) -> None:
    (Path(directory) / OPEN).touch()
