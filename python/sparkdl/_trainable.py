"""Keras models as trainable SavedModels: the contract sparkdl's JVM engine trains through.

A trainable SavedModel has three signatures over the model's one input ``x`` and the labels ``y``:

* ``serving_default(x) -> {"output_0": predictions}``
* ``train_step(x, y, learning_rate) -> {"loss": ..., <metric>: ...}``: one optimizer step on the
  batch (gradients of the mean loss, applied with the model's optimizer at ``learning_rate``);
  the loss and metrics are those of the batch before the step.
* ``evaluate(x, y) -> {"loss": ..., <metric>: ...}``: the batch's loss and metrics, no step.

and two signatures for data-parallel training (``numWorkers`` > 1), whose all-reduce is TF's
collective ``CollectiveReduceV2`` over the group of workers that run them at once:

* ``train_step_allreduce(x, y, learning_rate, group_size, group_key, instance_key) -> {"loss":
  ..., <metric>: ...}``: ``train_step`` on a global batch made of every worker's local batch: the
  gradients, loss and metrics are averaged over the workers weighted by their local rows, so the
  step and figures equal ``train_step``'s on the union of the local batches.
* ``allreduce_sum(values, group_size, group_key, instance_key) -> {"sum": ...}``: the sum over
  the workers of a float64 vector (each epoch's figures, summed exactly).

and a saver (``saver_def`` in its MetaGraphDef) that writes every variable, the optimizer's
moments and iteration count included, so training resumes where it stopped. docs/training.md
describes the contract for models made by any TF program. The names are the JVM's
(``io.sparkdl.runtime.TrainingSignatures``, through ``sparkdl._gen.contract``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from sparkdl._gen import contract


def _keras_name(obj: Any) -> str:
    """What Keras' ``fit`` names a metric given as an object: its ``name``, else its function's."""
    return getattr(obj, "name", None) or getattr(obj, "__name__", None) or type(obj).__name__


def _accuracy(y_shape: Sequence[Any], pred_shape: Sequence[Any]) -> keras.metrics.Metric:
    """``"accuracy"`` as Keras' ``compile`` resolves it, by the shapes of labels and outputs:
    binary for one output unit, sparse categorical for labels of lower rank (or one unit
    against many), else categorical."""
    if pred_shape[-1] == 1:
        return keras.metrics.BinaryAccuracy()
    if len(y_shape) < len(pred_shape) or (y_shape[-1] == 1 and pred_shape[-1] > 1):
        return keras.metrics.SparseCategoricalAccuracy()
    return keras.metrics.CategoricalAccuracy()


def _metric_fn(
    metric: Any, y_shape: Sequence[Any], pred_shape: Sequence[Any]
) -> tuple[str, Callable[[Any, Any], Any]]:
    """A Keras metric (name, function or object) as ``(name, fn)``, ``fn(y_true, y_pred)`` the
    per-sample values whose mean over the epoch's rows is the epoch's figure, named as Keras'
    ``fit`` names it in its history.

    sparkdl's signatures report a figure per batch and average the batches by their rows, so
    only metrics that are such means can be computed exactly: functions, and Keras metric objects
    that wrap one (``MeanMetricWrapper``: accuracy, mae, mse, crossentropies, ...). Metrics whose
    state is no mean (AUC, precision, recall, RMSE, R2) are refused."""
    if isinstance(metric, str) and metric.lower() in ("accuracy", "acc"):
        resolved = _accuracy(y_shape, pred_shape)
    else:
        resolved = keras.metrics.get(metric)
    name = metric if isinstance(metric, str) else _keras_name(resolved)
    if not isinstance(resolved, keras.metrics.Metric):
        return name, resolved
    wrapper = keras.metrics.MeanMetricWrapper
    if isinstance(resolved, wrapper) and type(resolved).update_state is wrapper.update_state:
        # The wrapped function and its arguments (threshold, k, from_logits, ...); Keras keeps
        # them in these attributes and has no public accessor.
        fn, kwargs = resolved._fn, resolved._fn_kwargs  # noqa: SLF001
        return name, lambda y_true, y_pred: fn(y_true, y_pred, **kwargs)
    raise ValueError(
        f"metric {name!r} (keras.metrics.{type(resolved).__name__}) accumulates state over the "
        "epoch: its epoch value is not a mean of per-row values, which is what sparkdl's training "
        "signatures report (a figure per batch, averaged over the rows); expected a metric that "
        "is such a mean (e.g. 'accuracy', 'binary_accuracy', 'mae', 'mse', or a function of "
        "(y_true, y_pred)), or compute this one from the fitted model's predictions"
    )


def require_trainable_weights(model: keras.Model, who: str) -> None:
    """Refuses a model that has nothing to train (``who``: how the error names the caller)."""
    if not model.trainable_variables:
        frozen = len(model.non_trainable_variables)
        raise ValueError(
            f"{who}: the Keras model '{model.name}' has no trainable weights ({frozen} "
            "non-trainable); expected at least one, as training changes only trainable weights "
            "(set trainable = True on the layers to train)"
        )


def fingerprint(model: keras.Model) -> str:
    """A SHA-256 of all an export of ``model`` depends on: its class and config (structure) and
    each variable's path, dtype, shape, trainability and value. It changes when the model's
    weights or structure change (``set_weights``, a Keras ``fit``), unlike the model's ``id``."""
    digest = hashlib.sha256(type(model).__qualname__.encode())
    try:
        config = json.dumps(model.get_config(), sort_keys=True, default=repr)
    except Exception:  # noqa: BLE001 - a subclassed model may have no config: its variables tell
        config = ""
    digest.update(config.encode())
    for v in model.variables:
        digest.update(f"|{v.path}|{v.dtype}|{tuple(v.shape)}|{v.trainable}|".encode())
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(v)).tobytes())
    return digest.hexdigest()


# How long a worker's collective waits for the others before failing with DEADLINE_EXCEEDED:
# a worker that died or failed before its step leaves the others waiting this long at most.
COLLECTIVE_TIMEOUT_SECONDS = 300.0


def export_trainable(
    model: keras.Model,
    loss: Any,
    optimizer: Any,
    metrics: Sequence[Any] | None,
    directory: str,
    who: str = "from_keras_trainable",
    collective_timeout: float = COLLECTIVE_TIMEOUT_SECONDS,
) -> list[str]:
    """Write ``model`` as a trainable SavedModel into ``directory``; returns the metric names.
    ``who`` is how errors name the caller; ``collective_timeout`` bounds (in seconds) how long
    a data-parallel step waits for the other workers."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"{who}: the model must have one input and one output; it has "
            f"{len(model.inputs)} and {len(model.outputs)}"
        )
    require_trainable_weights(model, who)
    x_shape = [None, *model.inputs[0].shape[1:]]
    x_spec = tf.TensorSpec(x_shape, model.inputs[0].dtype, name=contract.KEY_FEATURES)
    pred_shape = [None, *model.outputs[0].shape[1:]]
    y_shape = [None] if isinstance(loss, str) and "sparse" in loss else pred_shape
    y_spec = tf.TensorSpec(y_shape, tf.float32, name=contract.KEY_LABEL)
    try:
        named = [_metric_fn(m, y_shape, pred_shape) for m in metrics or []]
    except ValueError as e:
        raise ValueError(f"{who}: {e}") from None
    loss_fn = keras.losses.get(loss)
    optimizer = keras.optimizers.get(optimizer)
    optimizer.build(model.trainable_variables)

    def results(y: tf.Tensor, pred: tf.Tensor, loss_value: tf.Tensor) -> dict[str, tf.Tensor]:
        out = {contract.KEY_LOSS: loss_value}
        for name, fn in named:
            out[name] = tf.reduce_mean(tf.cast(fn(y, pred), tf.float32))
        return out

    @tf.function(input_signature=[x_spec])
    def serve(x: tf.Tensor) -> dict[str, tf.Tensor]:
        return {contract.KEY_SERVE_OUTPUT: model(x, training=False)}

    lr_spec = tf.TensorSpec([], tf.float32, name=contract.KEY_LEARNING_RATE)

    @tf.function(input_signature=[x_spec, y_spec, lr_spec])
    def train_step(x: tf.Tensor, y: tf.Tensor, learning_rate: tf.Tensor) -> dict[str, tf.Tensor]:
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss_value = tf.reduce_mean(loss_fn(y, pred))
        grads = tape.gradient(loss_value, model.trainable_variables)
        optimizer.learning_rate.assign(learning_rate)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return results(y, pred, loss_value)

    group_specs = [tf.TensorSpec([], tf.int32, name=k) for k in contract.GROUP_INPUTS]

    def all_reduce_sum(
        values: tf.Tensor, group_size: tf.Tensor, group_key: tf.Tensor, instance_key: tf.Tensor
    ) -> tf.Tensor:
        return tf.raw_ops.CollectiveReduceV2(
            input=values,
            group_size=group_size,
            group_key=group_key,
            instance_key=instance_key,
            ordering_token=[],
            merge_op="Add",
            final_op="Id",
            timeout_seconds=collective_timeout,
        )

    @tf.function(input_signature=[x_spec, y_spec, lr_spec, *group_specs])
    def train_step_allreduce(
        x: tf.Tensor,
        y: tf.Tensor,
        learning_rate: tf.Tensor,
        group_size: tf.Tensor,
        group_key: tf.Tensor,
        instance_key: tf.Tensor,
    ) -> dict[str, tf.Tensor]:
        variables = model.trainable_variables
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss_value = tf.reduce_mean(loss_fn(y, pred))
        grads = tape.gradient(loss_value, variables)
        grads = [
            tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables, strict=True)
        ]
        figures = results(y, pred, loss_value)
        # One collective per step: every gradient and figure weighted by the local rows, and the
        # rows; dividing the sums by the rows gives the global batch's mean gradient and figures
        # whatever the local batches' sizes.
        rows = tf.cast(tf.shape(x)[0], tf.float32)
        flat = [
            tf.reshape(tf.cast(tf.convert_to_tensor(g), tf.float32), [-1]) * rows for g in grads
        ]
        names = list(figures)
        flat.append(tf.stack([tf.cast(figures[k], tf.float32) for k in names]) * rows)
        flat.append(tf.reshape(rows, [1]))
        summed = all_reduce_sum(tf.concat(flat, 0), group_size, group_key, instance_key)
        mean = summed[:-1] / summed[-1]
        sizes = [int(np.prod(v.shape)) for v in variables]
        parts = tf.split(mean, [*sizes, len(names)])
        averaged = [
            tf.cast(tf.reshape(p, v.shape), v.dtype) for p, v in zip(parts, variables, strict=False)
        ]
        optimizer.learning_rate.assign(learning_rate)
        optimizer.apply_gradients(zip(averaged, variables, strict=True))
        return {k: parts[-1][i] for i, k in enumerate(names)}

    # float64: the epoch's figures are sums over many rows (float32 would round them).
    values_spec = tf.TensorSpec([None], tf.float64, name=contract.KEY_VALUES)

    @tf.function(input_signature=[values_spec, *group_specs])
    def allreduce_sum(
        values: tf.Tensor, group_size: tf.Tensor, group_key: tf.Tensor, instance_key: tf.Tensor
    ) -> dict[str, tf.Tensor]:
        return {contract.KEY_SUM: all_reduce_sum(values, group_size, group_key, instance_key)}

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
    module.train_step_allreduce, module.allreduce_sum = train_step_allreduce, allreduce_sum
    tf.saved_model.save(
        module,
        directory,
        signatures={
            contract.SIGNATURE_SERVE: serve,
            contract.SIGNATURE_TRAIN_STEP: train_step,
            contract.SIGNATURE_EVALUATE: evaluate,
            contract.SIGNATURE_TRAIN_STEP_ALLREDUCE: train_step_allreduce,
            contract.SIGNATURE_ALLREDUCE_SUM: allreduce_sum,
        },
    )
    return [n for n, _ in named]
