"""One local SparkSession with sparkdl for the whole test run."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
