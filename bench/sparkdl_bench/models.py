"""The benchmark's models: Keras models built with fixed seeds, frozen to GraphDefs for sparkdl.

sparkdl gets each model as a frozen GraphDef whose placeholder ``x`` (float32 ``[None, n]``)
takes a block of the ``x`` column and whose tensor ``y:0`` is the output. The TF Python peers call
the same Keras model (same weights) through a ``tf.function``; Spark's Python workers rebuild it
from the weights saved by :func:`save_weights`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

INPUT = "x"
OUTPUT = "y"


@dataclass(frozen=True)
class ModelSpec:
    """A benchmark model: its name, input width (floats per row) and output width."""

    name: str
    features: int
    outputs: int
    description: str


MODELS: dict[str, ModelSpec] = {
    "tiny": ModelSpec("tiny", 16, 1, "16 float32 -> Dense 1"),
    "mlp": ModelSpec("mlp", 784, 10, "784 -> Dense 256 relu -> Dense 128 relu -> Dense 10 softmax"),
    "cnn": ModelSpec(
        "cnn",
        3072,
        10,
        "3072 -> 32x32x3 -> conv3x3x32 relu -> maxpool 2 -> conv3x3x64 relu -> global avg pool "
        "-> Dense 10",
    ),
}


def build(name: str, seed: int) -> Any:
    """The Keras model ``name`` with weights drawn from ``seed``."""
    import tensorflow as tf

    spec = MODELS[name]
    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    inputs = tf.keras.Input((spec.features,), name=INPUT)
    if name == "tiny":
        out = layers.Dense(1)(inputs)
    elif name == "mlp":
        h = layers.Dense(256, activation="relu")(inputs)
        h = layers.Dense(128, activation="relu")(h)
        out = layers.Dense(10, activation="softmax")(h)
    elif name == "cnn":
        h = layers.Reshape((32, 32, 3))(inputs)
        h = layers.Conv2D(32, 3, activation="relu")(h)
        h = layers.MaxPooling2D(2)(h)
        h = layers.Conv2D(64, 3, activation="relu")(h)
        h = layers.GlobalAveragePooling2D()(h)
        out = layers.Dense(10)(h)
    else:
        raise ValueError(f"unknown model '{name}'; expected one of {sorted(MODELS)}")
    return tf.keras.Model(inputs, out, name=name)


def predict_function(model: Any, features: int) -> Any:
    """``model`` as a ``tf.function`` of a float32 ``[None, features]`` batch (no retracing)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, features], tf.float32, name=INPUT)])
    def predict(x: Any) -> Any:
        return tf.identity(model(x, training=False), name=OUTPUT)

    return predict


def frozen_graph_def(model: Any, features: int) -> bytes:
    """``model`` as a serialized frozen GraphDef: placeholder ``x`` in, tensor ``y:0`` out."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    concrete = predict_function(model, features).get_concrete_function()
    graph_def = convert_variables_to_constants_v2(concrete).graph.as_graph_def()
    names = {n.name: n.op for n in graph_def.node}
    if names.get(INPUT) != "Placeholder" or OUTPUT not in names:
        raise RuntimeError(f"frozen graph lacks placeholder '{INPUT}' or op '{OUTPUT}'")
    return graph_def.SerializeToString()


def save_weights(model: Any, path: Path) -> Path:
    """Saves ``model``'s weights as ``.npz``, for Python workers to rebuild it."""
    np.savez(path, *model.get_weights())
    return path


# ---- Spark's Python workers ---------------------------------------------------------------

#: (model name, weights file) -> numpy predict function, one per worker process.
_WORKER_MODELS: dict[tuple[str, str], Callable[[np.ndarray], np.ndarray]] = {}


def set_worker_threads(intra_op: int = 1, inter_op: int = 1) -> None:
    """TF's threads in a Spark Python worker, before its first model; later calls change nothing.

    Spark runs one Python worker per task slot, all at once, so each gets ``intra_op`` threads.
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError:
        pass  # TF already started in this worker (an earlier model): settings stand


def worker_predict_fn(
    name: str, weights: str, intra_op: int = 1, inter_op: int = 1
) -> Callable[[np.ndarray], np.ndarray]:
    """The model as numpy -> numpy, loaded once per process; TF threads set on first use."""
    key = (name, weights)
    if key not in _WORKER_MODELS:
        set_worker_threads(intra_op, inter_op)
        model = build(name, seed=0)
        with np.load(weights) as saved:
            model.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
        fn = predict_function(model, MODELS[name].features)
        _WORKER_MODELS[key] = lambda x: fn(x).numpy()
    return _WORKER_MODELS[key]


def make_predict_fn(name: str, weights: str) -> Callable[[np.ndarray], np.ndarray]:
    """For ``predict_batch_udf``: builds (or reuses) the worker's predict function."""
    return worker_predict_fn(name, weights)


def predict_arrow_batches(name: str, weights: str, features: int, batches: Any) -> Any:
    """For ``mapInArrow``: appends ``y`` = model(``x``) to each Arrow batch of column ``x``."""
    import pyarrow as pa

    predict = worker_predict_fn(name, weights)
    for batch in batches:
        x = batch.column(0)
        flat = x.flatten().to_numpy(zero_copy_only=False)
        y = predict(flat.reshape(-1, features))
        width = y.shape[1]
        offsets = pa.array(np.arange(0, (len(y) + 1) * width, width, dtype=np.int32))
        column = pa.ListArray.from_arrays(offsets, pa.array(y.reshape(-1)))
        yield pa.RecordBatch.from_arrays([x, column], names=[INPUT, OUTPUT])
