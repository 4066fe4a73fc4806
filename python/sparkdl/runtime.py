"""Run TensorFlow graphs and SavedModels in sparkdl's JVM engine, from Python.

This is the engine that executors use, reached from the driver: handy to check a model before
running it over a DataFrame. Arrays cross as raw bytes; dtypes and shapes are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pyspark.sql import SparkSession

# numpy dtype <-> sparkdl (TF) dtype names.
_TF_NAMES = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.int8): "int8",
    np.dtype(np.int16): "int16",
    np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.bool_): "bool",
}
_NUMPY_TYPES = {name: dtype for dtype, name in _TF_NAMES.items()}


def _jvm(spark: SparkSession | None) -> Any:
    spark = spark or SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    return spark.sparkContext._jvm, spark.sparkContext._gateway


def _to_tensor(jvm: Any, gateway: Any, name: str, value: Any) -> Any:
    array = np.asarray(value)
    shape = gateway.new_array(gateway.jvm.long, array.ndim)
    for i, d in enumerate(array.shape):
        shape[i] = int(d)
    jshape = jvm.io.sparkdl.tf.Shape.of(shape)
    if array.dtype.kind in ("U", "S", "O"):
        flat = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in array.ravel()]
        values = gateway.new_array(gateway.jvm.byte, len(flat), 0)
        for i, v in enumerate(flat):
            values[i] = bytearray(v)
        return jvm.io.sparkdl.tf.Tensor.ofStrings(values, jshape)
    if array.dtype not in _TF_NAMES:
        raise TypeError(
            f"input '{name}' has numpy dtype {array.dtype}; expected one of "
            f"{sorted(_TF_NAMES.values())} or strings"
        )
    dtype = jvm.io.sparkdl.tf.DType.fromName(_TF_NAMES[array.dtype])
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
    return jvm.io.sparkdl.tf.Tensor.fromRawBytes(dtype, jshape, data.tobytes())


def _to_numpy(tensor: Any) -> np.ndarray:
    dtype = tensor.dtype().name()
    shape = tuple(tensor.shape().dims())
    if dtype == "string":
        return np.array([bytes(v) for v in tensor.strings()], dtype=object).reshape(shape)
    raw = bytes(tensor.rawBytes())
    return np.frombuffer(raw, dtype=_NUMPY_TYPES[dtype].newbyteorder("<")).reshape(shape)


def _run(jvm: Any, gateway: Any, session: Any, feeds: Mapping[str, Any], fetches: Sequence[str]):
    names = gateway.new_array(gateway.jvm.String, len(feeds))
    tensors = gateway.new_array(jvm.io.sparkdl.tf.Tensor, len(feeds))
    outputs = gateway.new_array(gateway.jvm.String, len(fetches))
    for i, f in enumerate(fetches):
        outputs[i] = f
    made = []
    try:
        for i, (name, value) in enumerate(feeds.items()):
            names[i] = name
            tensors[i] = _to_tensor(jvm, gateway, name, value)
            made.append(tensors[i])
        results = session.run(names, tensors, outputs)
        try:
            return [_to_numpy(t) for t in results]
        finally:
            for t in results:
                t.close()
    finally:
        for t in made:
            t.close()


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
        Tensor name (``"x"`` or ``"x:0"``) to array.
    fetches
        Tensor names to return.
    spark
        The session whose JVM runs the graph. Default: the active session.

    Returns
    -------
    list of numpy.ndarray
        One array per fetch, in order.
    """
    jvm, gateway = _jvm(spark)
    graph = jvm.io.sparkdl.tf.Graph.fromGraphDef(bytearray(graph_def))
    try:
        session = jvm.io.sparkdl.tf.Session.apply(graph, jvm.io.sparkdl.tf.SessionConfig(0, 0))
        try:
            return _run(jvm, gateway, session, feeds, fetches)
        finally:
            session.close()
    finally:
        graph.close()


def run_saved_model(
    export_dir: str,
    inputs: Mapping[str, Any],
    outputs: Sequence[str] | None = None,
    signature: str = "serving_default",
    tags: Sequence[str] = ("serve",),
    spark: SparkSession | None = None,
) -> dict[str, np.ndarray]:
    """Run a SavedModel signature once in the JVM engine.

    Parameters
    ----------
    export_dir
        Local SavedModel directory (``tf.saved_model.save`` or Keras ``model.export``).
    inputs
        Signature input key to array.
    outputs
        Signature output keys to return. Default: all of them.
    signature
        Signature key. Default: ``"serving_default"``.
    tags
        MetaGraph tags. Default: ``("serve",)``.
    spark
        The session whose JVM runs the model. Default: the active session.

    Returns
    -------
    dict of str to numpy.ndarray
        The requested outputs by key.
    """
    jvm, gateway = _jvm(spark)
    jtags = gateway.new_array(gateway.jvm.String, len(tags))
    for i, t in enumerate(tags):
        jtags[i] = t
    model = jvm.io.sparkdl.python.PythonRuntime.loadSavedModel(export_dir, jtags)
    try:
        sig = model.signature(signature)
        keys = (
            list(outputs)
            if outputs is not None
            else sorted(jvm.io.sparkdl.python.PythonRuntime.outputKeys(sig))
        )
        feeds = {sig.input(k).name(): v for k, v in inputs.items()}
        fetches = [sig.output(k).name() for k in keys]
        return dict(zip(keys, _run(jvm, gateway, model.session(), feeds, fetches), strict=True))
    finally:
        model.close()


def tf_version(spark: SparkSession | None = None) -> str:
    """The TensorFlow version of the JVM engine's runtime."""
    jvm, _ = _jvm(spark)
    return jvm.io.sparkdl.python.PythonRuntime.tfVersion()
