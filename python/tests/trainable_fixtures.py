"""A trainable SavedModel of a Keras model with two inputs, written by hand to sparkdl's training
contract (docs/training.md, "the trainable model"): ``from_keras_trainable`` takes models of one
input, while ``TFEstimator`` trains any model with the contract's signatures, ``inputMapping``
feeding each input from its column. The tests train it with one and two workers."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def two_input_mlp() -> keras.Model:
    """Inputs ``a`` (5 features) and ``b`` (3), concatenated -> 12 (relu) -> 3 (softmax), its
    weights fixed by seed 3."""
    keras.utils.set_random_seed(3)
    a = keras.Input((5,), name="a")
    b = keras.Input((3,), name="b")
    hidden = keras.layers.Dense(12, activation="relu")(keras.layers.Concatenate()([a, b]))
    return keras.Model([a, b], keras.layers.Dense(3, activation="softmax")(hidden))


def two_input_blobs(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` rows of ``a`` (5 float32) and ``b`` (3 float32) around 3 centres, one-hot labels."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(3, 8)).astype(np.float32)
    labels = rng.integers(0, 3, n)
    x = (centers[labels] + rng.normal(size=(n, 8))).astype(np.float32)
    return x[:, :5], x[:, 5:], np.eye(3, dtype=np.float32)[labels]


def export_two_input_trainable(
    model: keras.Model,
    optimizer: str,
    directory: str,
    a_below: float | None = None,
    collective_timeout: float = 300.0,
) -> None:
    """Writes ``model`` (two inputs ``a``, ``b``; categorical crossentropy, accuracy) as a
    trainable SavedModel. With ``a_below``, every training step first asserts (``tf.debugging``)
    that each ``|a|`` is below it, so a batch with a larger value fails the step in TF."""
    a_spec = tf.TensorSpec([None, 5], tf.float32, name="a")
    b_spec = tf.TensorSpec([None, 3], tf.float32, name="b")
    y_spec = tf.TensorSpec([None, 3], tf.float32, name="y")
    lr_spec = tf.TensorSpec([], tf.float32, name="learning_rate")
    group_specs = [
        tf.TensorSpec([], tf.int32, name=k) for k in ("group_size", "group_key", "instance_key")
    ]
    loss_fn = keras.losses.CategoricalCrossentropy()
    optimizer = keras.optimizers.get(optimizer)
    optimizer.build(model.trainable_variables)

    def checked(a: tf.Tensor) -> tf.Tensor:
        if a_below is None:
            return a
        bound = tf.debugging.assert_less(
            tf.reduce_max(tf.abs(a)), a_below, message=f"a value of input a is at least {a_below}"
        )
        with tf.control_dependencies([bound]):
            return tf.identity(a)

    def figures(y: tf.Tensor, pred: tf.Tensor, loss: tf.Tensor) -> dict[str, tf.Tensor]:
        accuracy = tf.reduce_mean(keras.metrics.categorical_accuracy(y, pred))
        return {"loss": loss, "accuracy": accuracy}

    def gradients(a, b, y):
        with tf.GradientTape() as tape:
            pred = model([checked(a), b], training=True)
            loss = loss_fn(y, pred)
        return tape.gradient(loss, model.trainable_variables), figures(y, pred, loss)

    def reduce_sum(values, group_size, group_key, instance_key):
        return tf.raw_ops.CollectiveReduceV2(
            input=values, group_size=group_size, group_key=group_key, instance_key=instance_key,
            ordering_token=[], merge_op="Add", final_op="Id", timeout_seconds=collective_timeout,
        )

    @tf.function(input_signature=[a_spec, b_spec])
    def serve(a, b):
        return {"output_0": model([a, b], training=False)}

    @tf.function(input_signature=[a_spec, b_spec, y_spec, lr_spec])
    def train_step(a, b, y, learning_rate):
        grads, out = gradients(a, b, y)
        optimizer.learning_rate.assign(learning_rate)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return out

    @tf.function(input_signature=[a_spec, b_spec, y_spec, lr_spec, *group_specs])
    def train_step_allreduce(a, b, y, learning_rate, group_size, group_key, instance_key):
        variables = model.trainable_variables
        grads, out = gradients(a, b, y)
        names = sorted(out)
        rows = tf.cast(tf.shape(a)[0], tf.float32)
        flat = [tf.reshape(g, [-1]) * rows for g in grads]
        flat += [tf.stack([out[k] for k in names]) * rows, tf.reshape(rows, [1])]
        summed = reduce_sum(tf.concat(flat, 0), group_size, group_key, instance_key)
        sizes = [int(np.prod(v.shape)) for v in variables]
        parts = tf.split(summed[:-1] / summed[-1], [*sizes, len(names)])
        optimizer.learning_rate.assign(learning_rate)
        averaged = [tf.reshape(p, v.shape) for p, v in zip(parts, variables, strict=False)]
        optimizer.apply_gradients(zip(averaged, variables, strict=True))
        return {k: parts[-1][i] for i, k in enumerate(names)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="values"), *group_specs])
    def allreduce_sum(values, group_size, group_key, instance_key):
        return {"sum": reduce_sum(values, group_size, group_key, instance_key)}

    @tf.function(input_signature=[a_spec, b_spec, y_spec])
    def evaluate(a, b, y):
        pred = model([a, b], training=False)
        return figures(y, pred, loss_fn(y, pred))

    module = tf.Module()
    module.model_variables = [v.value for v in model.variables]
    module.optimizer_variables = [v.value for v in optimizer.variables]
    module.fns = [serve, train_step, train_step_allreduce, allreduce_sum, evaluate]
    tf.saved_model.save(module, directory, signatures={
        "serving_default": serve, "train_step": train_step, "evaluate": evaluate,
        "train_step_allreduce": train_step_allreduce, "allreduce_sum": allreduce_sum,
    })
