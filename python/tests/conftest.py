"""One local SparkSession with sparkdl for the whole test run."""

from __future__ import annotations

import os
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Python workers (sparkdl.image's decoders) run this interpreter, with sparkdl, numpy and PIL,
# rather than PySpark's default `python3` from PATH.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def pytest_collection_modifyitems(items):
    """test_cluster first: its driver needs this process's one SparkContext before the shared
    local session below exists (it stops its own sessions when done)."""
    items.sort(key=lambda item: item.path.name != "test_cluster.py")


@pytest.fixture(scope="session")
def spark():
    import sparkdl

    session = sparkdl.session(
        master="local[2]",
        **{"spark.sql.shuffle.partitions": "4", "spark.ui.enabled": "false"},
    )
    session.sparkContext.setLogLevel("WARN")
    yield session
    session.stop()
