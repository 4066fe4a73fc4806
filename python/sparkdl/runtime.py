"""Run TensorFlow graphs and SavedModels in sparkdl's JVM engine, from Python.

This is the engine that executors use, reached from the driver: handy to check a model before
running it over a DataFrame. Each run is one py4j call: the arrays cross packed into one byte
string each way (:mod:`sparkdl._tensors`), dtypes and shapes kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pyspark.sql import SparkSession

from sparkdl import _tensors
from sparkdl._gen import contract
from sparkdl._jvm import facade


def _facade(spark: SparkSession | None) -> Any:
    """The JVM's ``io.sparkdl.python.PythonRuntime`` of ``spark`` (default: the active session)."""
    spark = spark or SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    return facade(spark, "PythonRuntime")


def run_graph(
    graph_def: bytes,
    feeds: Mapping[str, Any],
    fetches: Sequence[str],
    spark: SparkSession | None = None,
) -> list[np.ndarray]:
    """Run a serialized GraphDef once in the JVM engine.

    Parameters
    ----------
    graph_def
        Serialized ``GraphDef`` (``graph.as_graph_def().SerializeToString()``), variables frozen.
    feeds
        Tensor name (``"x"`` or ``"x:0"``) to array: a numeric array (bool, int8-64, uint8,
        float32/64, either byte order), or an array of str (sent UTF-8) or bytes for a string
        tensor.
    fetches
        Tensor names to return.
    spark
        The session whose JVM runs the graph. Default: the active session.

    Returns
    -------
    list of numpy.ndarray
        One array per fetch, in order; strings come back as object arrays of bytes.
    """
    results = _facade(spark).runGraph(
        bytes(graph_def), _tensors.pack(feeds.items()), _tensors.pack_names(list(fetches))
    )
    return [array for _, array in _tensors.unpack(results)]


def run_saved_model(
    export_dir: str,
    inputs: Mapping[str, Any],
    outputs: Sequence[str] | None = None,
    signature: str = contract.SAVED_MODEL_SIGNATURE,
    tags: Sequence[str] | str = (contract.SAVED_MODEL_TAG,),
    spark: SparkSession | None = None,
) -> dict[str, np.ndarray]:
    """Run a SavedModel signature once in the JVM engine.

    Parameters
    ----------
    export_dir
        Local SavedModel directory (``tf.saved_model.save`` or Keras ``model.export``).
    inputs
        Signature input key to array, as ``feeds`` of :func:`run_graph`.
    outputs
        Signature output keys to return. Default: all of them.
    signature
        Signature key. Default: ``"serving_default"``.
    tags
        MetaGraph tags; a str is one tag. Default: ``("serve",)``.
    spark
        The session whose JVM runs the model. Default: the active session.

    Returns
    -------
    dict of str to numpy.ndarray
        The requested outputs by key.
    """
    tag_list = [tags] if isinstance(tags, str) else list(tags)
    results = _facade(spark).runSavedModel(
        str(export_dir),
        _tensors.pack_names(tag_list),
        signature,
        _tensors.pack(inputs.items()),
        None if outputs is None else _tensors.pack_names(list(outputs)),
    )
    return dict(_tensors.unpack(results))


def tf_version(spark: SparkSession | None = None) -> str:
    """The TensorFlow version of the JVM engine's runtime."""
    return _facade(spark).tfVersion()


def session_cache_stats(spark: SparkSession | None = None) -> dict[str, dict[str, Any]]:
    """What each executor's session cache loaded, holds and evicted.

    Runs one small Spark job (a barrier stage, one task per task slot, so every executor answers).

    Parameters
    ----------
    spark
        The session. Default: the active one.

    Returns
    -------
    dict
        Executor id -> ``{"loads", "evictions", "sessions", "bytes", "maxBytes",
        "loadsByModel"}``; ``loadsByModel`` maps each model's content key to its loads in that
        executor JVM. ``maxBytes`` is the bound ``spark.sparkdl.sessionCache.maxBytes`` sets.
    """
    spark = spark or SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    stats = facade(spark, "PythonSessionCaches").stats(spark.sparkContext._jsc)
    return {
        str(executor): {
            k: (dict(v) if k == "loadsByModel" else int(v)) for k, v in dict(entry).items()
        }
        for executor, entry in dict(stats).items()
    }


def live_native_objects(
    close_idle_sessions: bool = False, spark: SparkSession | None = None
) -> dict[str, int]:
    """The native objects alive in the JVM engine (this driver's JVM), by kind.

    Parameters
    ----------
    close_idle_sessions
        First close the sessions the executor cache keeps for models no task uses, and the
        image decoders' session (made again on the next decode).
    spark
        The session whose JVM to ask (default: the active one).

    Returns
    -------
    dict
        ``tensors``, ``sessions``, ``graphs`` and ``operationBuilders``: all zero once every job
        is done, idle sessions are closed and nothing leaked.
    """
    counts = _facade(spark).liveNativeObjects(close_idle_sessions)
    return {str(k): int(v) for k, v in counts.items()}
