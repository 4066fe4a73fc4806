"""Timings and memory: repeated runs after a warm-up, and peak RSS read from /proc."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Timing:
    """Rows/s of one method on one data set: each run's seconds, warm-up excluded."""

    rows: int
    seconds: list[float]
    warmup_seconds: float | None = None  # the last warm-up run's
    warmup_runs: int = 0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    def add_peaks(self, peaks: dict[str, float]) -> None:
        """Keeps the highest peak RSS seen per process kind."""
        for kind, mb in peaks.items():
            self.peak_rss_mb[kind] = max(self.peak_rss_mb.get(kind, 0.0), mb)

    @property
    def rates(self) -> list[float]:
        return [self.rows / s for s in self.seconds]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def low(self) -> float:
        return min(self.rates)

    @property
    def high(self) -> float:
        return max(self.rates)

    def to_json(self) -> dict:
        out = asdict(self)
        out.update(rows_per_s_median=self.median, rows_per_s_min=self.low, rows_per_s_max=self.high)
        return out


def warm_up(
    job: Callable[[], float],
    rows: int,
    warmup: int = 1,
    warmup_seconds: float = 0.0,
    max_warmup: int = 20,
) -> Timing:
    """Warms ``job`` (which returns its own elapsed seconds) up; a Timing with no runs yet.

    Warm-up runs go on until there have been ``warmup`` of them and they took ``warmup_seconds``
    together (the JIT compiles a new code path over several jobs), at most ``max_warmup``.
    """
    warm: list[float] = []
    while len(warm) < max_warmup and (len(warm) < warmup or sum(warm) < warmup_seconds):
        warm.append(job())
    return Timing(rows, [], warm[-1] if warm else None, len(warm))


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# ---- peak RSS -----------------------------------------------------------------------------


def _status(pid: int, key: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status, in kB, or None if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (e.g. the JVM's PySpark daemon and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class PeakMemory:
    """Peak RSS (VmHWM) of the driver's Python, the JVM and the JVM's Python workers.

    :meth:`reset` clears the kernel's high-water marks (``clear_refs`` 5, Linux >= 4.0) so the
    next :meth:`read` covers only what ran in between; where that is not allowed the peaks are
    the processes' lifetime peaks, and :attr:`resettable` says so.
    """

    def __init__(self, python_pid: int, jvm_pid: int) -> None:
        self.python_pid = python_pid
        self.jvm_pid = jvm_pid
        self.resettable = True

    def _workers(self) -> list[int]:
        return descendants(self.jvm_pid)

    def reset(self) -> None:
        for pid in [self.python_pid, self.jvm_pid, *self._workers()]:
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                self.resettable = False

    def read(self) -> dict[str, float]:
        """Peak RSS in MB: python, jvm, and workers (the sum over the JVM's live children)."""

        def mb(pids: Iterable[int]) -> float:
            return round(sum((_status(p, "VmHWM") or 0) for p in pids) / 1024, 1)

        return {
            "python": mb([self.python_pid]),
            "jvm": mb([self.jvm_pid]),
            "workers": mb(self._workers()),
        }


# ---- the machine ---------------------------------------------------------------------------


def cpu_description() -> str:
    """The CPU the run had: its model name, cores, and the vector extensions that decide TF's
    kernels (from /proc/cpuinfo; "unknown CPU" where it is missing)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return f"unknown CPU, {os.cpu_count()} cores"
    fields: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    found = [
        label
        for flag, label in (
            ("avx2", "AVX2"),
            ("avx512f", "AVX-512"),
            ("avx512_bf16", "AVX-512 BF16"),
            ("amx_tile", "AMX"),
        )
        if flag in flags
    ]
    extensions = f" ({', '.join(found)})" if found else ""
    return f"{fields.get('model name', 'unknown CPU')}, {os.cpu_count()} cores{extensions}"


# ---- how busy the machine was -------------------------------------------------------------


def _cpu_ticks(pid: int) -> int:
    """utime + stime, in clock ticks (0 if the process is gone).

    Not its reaped children's (cutime, cstime): :class:`MachineLoad` counts every process of the
    tree itself, and would count a child twice.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    # After the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    return int(fields[11]) + int(fields[12])


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


class MachineLoad:
    """How much CPU other processes took while the suite ran (they skew every number).

    Counts our process tree (this Python, the JVM, its workers) against all busy CPU time. The
    tree is sampled every ``interval`` seconds from a thread, so processes that come and go
    between the start and the end (Python workers, the bridge's JVMs) count as ours too.
    """

    def __init__(self, pids: Callable[[], list[int]], interval: float = 0.5) -> None:
        self._pids = pids
        self._first: dict[int, int] = {}  # pid -> ticks when first seen (0 if born since)
        self._last: dict[int, int] = {}  # pid -> ticks when last seen
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sample_tree(initial=True)
        self._busy0, self._total0 = _machine_ticks()
        self.load_start = os.getloadavg()
        self._thread = threading.Thread(target=self._poll, args=(interval,), daemon=True)
        self._thread.start()

    def _sample_tree(self, initial: bool = False) -> None:
        ticks = {p: _cpu_ticks(p) for p in self._pids()}
        with self._lock:
            for pid, t in ticks.items():
                if t == 0 and pid in self._last:
                    continue  # gone between listing and reading
                self._first.setdefault(pid, t if initial else 0)
                self._last[pid] = max(t, self._last.get(pid, 0))

    def _poll(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._sample_tree()

    def summary(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._sample_tree()
        busy1, total1 = _machine_ticks()
        with self._lock:
            ours = sum(self._last[p] - self._first[p] for p in self._last)
        total = max(total1 - self._total0, 1)
        others = max(0, (busy1 - self._busy0) - ours)
        return {
            "other_processes_cpu_share": round(others / total, 3),
            "loadavg_1m_start": round(self.load_start[0], 2),
            "loadavg_1m_end": round(os.getloadavg()[0], 2),
        }
