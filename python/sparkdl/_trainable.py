"""Keras models as trainable SavedModels: the contract sparkdl's JVM engine trains through.

A trainable SavedModel has three signatures over the model's one input ``x`` and the labels ``y``:

* ``serving_default(x) -> {"output_0": predictions}``
* ``train_step(x, y, learning_rate) -> {"loss": ..., <metric>: ...}``: one optimizer step on the
  batch (gradients of the mean loss, applied with the model's optimizer at ``learning_rate``);
  the loss and metrics are those of the batch before the step.
* ``evaluate(x, y) -> {"loss": ..., <metric>: ...}``: the batch's loss and metrics, no step.

and a saver (``saver_def`` in its MetaGraphDef) that writes every variable, the optimizer's
moments and iteration count included, so training resumes where it stopped. docs/training.md
describes the contract for models made by any TF program.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf


def _metric_fn(metric: Any) -> tuple[str, Any]:
    """A stateless ``(y_true, y_pred)`` function for a Keras metric given by name or function."""
    if isinstance(metric, str):
        name = metric
        if metric in ("accuracy", "acc"):
            return "accuracy", None  # resolved against the loss below, as Keras' compile does
        fn = keras.metrics.get(metric)
    else:
        fn = metric
        name = getattr(metric, "name", None) or getattr(metric, "__name__", "metric")
    if isinstance(fn, keras.metrics.Metric):
        raise ValueError(
            f"metric {name!r}: pass a metric function or name (stateless), not a stateful "
            "keras.metrics.Metric object: sparkdl reports each batch's value"
        )
    return name, fn


def _accuracy_for(loss: Any) -> Any:
    loss_name = loss if isinstance(loss, str) else getattr(loss, "name", "") or ""
    if "sparse_categorical" in loss_name:
        return keras.metrics.sparse_categorical_accuracy
    if "binary" in loss_name:
        return keras.metrics.binary_accuracy
    return keras.metrics.categorical_accuracy


def export_trainable(
    model: keras.Model,
    loss: Any,
    optimizer: Any,
    metrics: Sequence[Any] | None,
    directory: str,
) -> list[str]:
    """Write ``model`` as a trainable SavedModel into ``directory``; returns the metric names."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            "from_keras_trainable: the model must have one input and one output; it has "
            f"{len(model.inputs)} and {len(model.outputs)}"
        )
    loss_fn = keras.losses.get(loss)
    optimizer = keras.optimizers.get(optimizer)
    optimizer.build(model.trainable_variables)
    named = [_metric_fn(m) for m in metrics or []]
    named = [(n, f if f is not None else _accuracy_for(loss)) for n, f in named]
    x_spec = tf.TensorSpec([None, *model.inputs[0].shape[1:]], model.inputs[0].dtype, name="x")
    y_shape = [None, *model.outputs[0].shape[1:]]
    if isinstance(loss, str) and "sparse" in loss:
        y_shape = [None]
    y_spec = tf.TensorSpec(y_shape, tf.float32, name="y")

    def results(y: tf.Tensor, pred: tf.Tensor, loss_value: tf.Tensor) -> dict[str, tf.Tensor]:
        out = {"loss": loss_value}
        for name, fn in named:
            out[name] = tf.reduce_mean(tf.cast(fn(y, pred), tf.float32))
        return out

    @tf.function(input_signature=[x_spec])
    def serve(x: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"output_0": model(x, training=False)}

    lr_spec = tf.TensorSpec([], tf.float32, name="learning_rate")

    @tf.function(input_signature=[x_spec, y_spec, lr_spec])
    def train_step(x: tf.Tensor, y: tf.Tensor, learning_rate: tf.Tensor) -> dict[str, tf.Tensor]:
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss_value = tf.reduce_mean(loss_fn(y, pred))
        grads = tape.gradient(loss_value, model.trainable_variables)
        optimizer.learning_rate.assign(learning_rate)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return results(y, pred, loss_value)

    @tf.function(input_signature=[x_spec, y_spec])
    def evaluate(x: tf.Tensor, y: tf.Tensor) -> dict[str, tf.Tensor]:
        pred = model(x, training=False)
        return results(y, pred, tf.reduce_mean(loss_fn(y, pred)))

    # Track the raw tf.Variables, never the Keras model or optimizer: tracking those makes Keras 3
    # save duplicate variables, and a C API session then fails ("Resource ... does not exist").
    module = tf.Module()
    module.model_variables = [v.value for v in model.variables]
    module.optimizer_variables = [v.value for v in optimizer.variables]
    module.serve, module.train_step, module.evaluate = serve, train_step, evaluate
    tf.saved_model.save(
        module,
        directory,
        signatures={"serving_default": serve, "train_step": train_step, "evaluate": evaluate},
    )
    return [n for n, _ in named]


def temporary_trainable(
    model: keras.Model, loss: Any, optimizer: Any, metrics: Sequence[Any] | None
) -> tuple[tempfile.TemporaryDirectory, str]:
    saved = tempfile.TemporaryDirectory(prefix="sparkdl-trainable-")
    path = os.path.join(saved.name, "model")
    export_trainable(model, loss, optimizer, metrics, path)
    return saved, path
