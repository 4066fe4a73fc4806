"""A Spark standalone cluster on the loopback interface, started and stopped by the tests.

One master and ``workers`` workers, each a JVM started with pyspark's ``bin/spark-class`` in its own
process group; executors are JVMs the workers start (children in the workers' groups), loading
sparkdl from the jars the application passes in ``spark.jars``. Ports are chosen at run time.
:meth:`StandaloneCluster.stop` kills the process groups, then any JVM or Python worker still
running from the cluster's directory, so nothing outlives a test run, whatever failed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyspark

LOOPBACK = "127.0.0.1"
EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend"


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for(what: str, condition: Callable[[], object], timeout: float = 120.0) -> object:
    """Polls ``condition`` until it returns something truthy; fails naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Executor:
    """An executor JVM of the cluster."""

    pid: int
    executor_id: str
    app_id: str


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _cwd(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _zombie(pid: int) -> bool:
    """Whether ``pid`` has exited and waits only to be reaped (or is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def parent_pid(pid: int) -> int:
    """The parent of ``pid`` (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


class StandaloneCluster:
    """A master and workers with ``cores`` cores and ``memory`` each, under ``root``."""

    def __init__(self, root: Path, workers: int = 2, cores: int = 1, memory: str = "1g"):
        self.root = Path(root).resolve()
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.spark_home = Path(pyspark.__file__).parent
        self._processes: list[subprocess.Popen] = []
        self.master_url = ""
        self._master_ui = 0

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StandaloneCluster:
        """Starts the master, then the workers; returns once every worker has registered."""
        (self.root / "conf").mkdir(parents=True, exist_ok=True)
        (self.root / "logs").mkdir(exist_ok=True)
        try:
            port, self._master_ui = free_port(), free_port()
            self._launch(
                "master",
                "org.apache.spark.deploy.master.Master",
                ["--host", LOOPBACK, "--port", str(port), "--webui-port", str(self._master_ui)],
            )
            self.master_url = f"spark://{LOOPBACK}:{port}"
            wait_for("the master's web UI", lambda: self._state() is not None)
            for i in range(self.workers):
                work = self.root / f"worker-{i}"
                work.mkdir(exist_ok=True)
                self._launch(
                    f"worker-{i}",
                    "org.apache.spark.deploy.worker.Worker",
                    [
                        "--host",
                        LOOPBACK,
                        "--port",
                        str(free_port()),
                        "--webui-port",
                        str(free_port()),
                        "--cores",
                        str(self.cores),
                        "--memory",
                        self.memory,
                        "--work-dir",
                        str(work),
                        self.master_url,
                    ],
                )
            wait_for(
                f"{self.workers} workers to register with {self.master_url}",
                lambda: len(self.alive_workers()) == self.workers,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops every process of the cluster: its process groups, then any leftover."""
        for p in self._processes:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self._processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        self._processes.clear()
        # Orphans (a Python worker whose executor died first) are killed until none is left.
        wait_for("the cluster's processes to exit", lambda: not self._kill(self.leftovers()), 60)

    @staticmethod
    def _kill(pids: list[int]) -> list[int]:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pids

    def leftovers(self) -> list[int]:
        """Processes still running from the cluster: its JVMs and their Python workers."""
        mine = str(self.root)
        return [
            pid
            for pid in _pids()
            if pid != os.getpid()
            and not _zombie(pid)
            and (_cwd(pid).startswith(mine) or any(mine in a for a in _cmdline(pid)))
        ]

    def _launch(self, name: str, main: str, args: list[str]) -> None:
        env = dict(os.environ)
        env.update(
            SPARK_HOME=str(self.spark_home),
            SPARK_CONF_DIR=str(self.root / "conf"),
            SPARK_LOCAL_IP=LOOPBACK,
            SPARK_LOCAL_DIRS=str(self.root / "local"),
            SPARK_DAEMON_MEMORY="256m",
            # Marks the daemons as this cluster's, for leftovers().
            SPARK_DAEMON_JAVA_OPTS=f"-Dsparkdl.test.cluster={self.root}",
        )
        log = open(self.root / "logs" / f"{name}.log", "wb")  # noqa: SIM115 (kept by the process)
        try:
            process = subprocess.Popen(
                [str(self.spark_home / "bin" / "spark-class"), main, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.root,
                env=env,
                start_new_session=True,  # its own process group: executors included
            )
        finally:
            log.close()
        self._processes.append(process)

    # ---- what is running ---------------------------------------------------------------------

    def _state(self) -> dict | None:
        try:
            with urllib.request.urlopen(
                f"http://{LOOPBACK}:{self._master_ui}/json/", timeout=5
            ) as r:
                return json.load(r)
        except OSError:
            return None

    def alive_workers(self) -> list[dict]:
        state = self._state() or {}
        return [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]

    def executors(self, app_id: str | None = None) -> list[Executor]:
        """The executor JVMs running now (of ``app_id`` if given), found by their command line."""
        mine = str(self.root)
        found = []
        for pid in _pids():
            args = _cmdline(pid)
            if EXECUTOR_MAIN not in args or not _cwd(pid).startswith(mine):
                continue
            opts = dict(zip(args, args[1:], strict=False))
            executor = Executor(pid, opts.get("--executor-id", ""), opts.get("--app-id", ""))
            if app_id is None or executor.app_id == app_id:
                found.append(executor)
        return found

    def executor_of(self, pid: int) -> Executor:
        """The executor JVM that ``pid`` (a Python worker, say) descends from."""
        ours = {e.pid: e for e in self.executors()}
        p = pid
        while p > 1:
            if p in ours:
                return ours[p]
            p = parent_pid(p)
        raise LookupError(f"process {pid} runs under no executor of the cluster")
