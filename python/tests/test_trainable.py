"""Trainable SavedModels (the training contract): train_step in TF equals Keras' fit."""

from __future__ import annotations

import keras
import keras_fixtures
import numpy as np
import pytest
import tensorflow as tf
from sparkdl._trainable import export_trainable


def _mlp() -> keras.Model:
    return keras_fixtures.mlp()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_train_step_equals_keras_fit(tmp_path, optimizer):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]
    fitted = _mlp()
    fitted.compile(
        optimizer=keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": 0.05}}
        ),
        loss="categorical_crossentropy",
    )
    fitted.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    loss = "categorical_crossentropy"
    names = export_trainable(_mlp(), loss, optimizer, ["accuracy"], str(tmp_path))
    assert names == ["accuracy"]
    loaded = tf.saved_model.load(str(tmp_path))
    step = loaded.signatures["train_step"]
    for _ in range(3):
        for b in range(0, 64, 16):
            out = step(x=x[b:b + 16], y=y[b:b + 16], learning_rate=tf.constant(0.05))
    assert set(out) == {"loss", "accuracy"}
    predictions = loaded.signatures["serving_default"](x=tf.constant(x))["output_0"].numpy()
    np.testing.assert_allclose(predictions, fitted.predict(x, verbose=0), atol=1e-5)
    evaluated = loaded.signatures["evaluate"](x=tf.constant(x), y=tf.constant(y))
    expected_loss = keras.losses.categorical_crossentropy(y, fitted.predict(x, verbose=0))
    np.testing.assert_allclose(float(evaluated["loss"]), float(np.mean(expected_loss)), atol=1e-5)


def test_multi_input_models_and_stateful_metrics_are_refused(tmp_path):
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    two = keras.Model([a, b], keras.layers.Dense(1)(keras.layers.Concatenate()([a, b])))
    with pytest.raises(ValueError, match="one input and one output"):
        export_trainable(two, "mse", "sgd", None, str(tmp_path / "two"))
    with pytest.raises(ValueError, match=r"metric 'auc' \(keras.metrics.AUC\) accumulates state"):
        export_trainable(_mlp(), "mse", "sgd", [keras.metrics.AUC()], str(tmp_path / "auc"))


def test_from_keras_trainable_is_a_model_with_the_training_signatures():
    from sparkdl.model import TFModel

    model = TFModel.from_keras_trainable(_mlp(), "categorical_crossentropy", "adam", ["accuracy"])
    loaded = tf.saved_model.load(model._saved.name)
    assert set(loaded.signatures) == {
        "serving_default", "train_step", "evaluate", "train_step_allreduce", "allreduce_sum"
    }


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_train_step_allreduce_on_two_servers_equals_train_step_on_the_union(tmp_path, optimizer):
    """Two TF gRPC servers in this process (as two barrier tasks in one executor), each with a
    graph session on its own target that loads the SavedModel, as sparkdl's JVM does: local batches
    of 6 and 4 rows give the same figures and weights as train_step on the 10 rows."""
    import threading

    from tensorflow.core.protobuf import config_pb2, tensorflow_server_pb2

    tf1 = tf.compat.v1
    export_trainable(_mlp(), "categorical_crossentropy", optimizer, ["accuracy"], str(tmp_path))
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 8)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 10)]
    addresses = [f"localhost:{_free_port()}" for _ in range(2)]
    leader = "/job:worker/replica:0/task:0"
    servers = []
    for i in range(2):
        server_def = tensorflow_server_pb2.ServerDef(
            protocol="grpc", job_name="worker", task_index=i
        )
        job = server_def.cluster.job.add(name="worker")
        for k, a in enumerate(addresses):
            job.tasks[k] = a
        server_def.default_session_config.experimental.collective_group_leader = leader
        servers.append(tf.distribute.Server(server_def, start=True))

    def run(target, config, signature, feeds_of_step):
        graph = tf.Graph()
        with tf1.Session(target, graph=graph, config=config) as session:
            with graph.as_default():
                meta = tf1.saved_model.loader.load(session, ["serve"], str(tmp_path))
            signatures = meta.signature_def
            sig, serve = signatures[signature], signatures["serving_default"]
            names = {k: v.name for k, v in sig.inputs.items()}
            fetches = {k: v.name for k, v in sig.outputs.items()}
            figures = [
                session.run(fetches, {names[k]: v for k, v in f.items()}) for f in feeds_of_step
            ]
            # The trained weights, through the predictions they make.
            predictions = session.run(serve.outputs["output_0"].name, {serve.inputs["x"].name: x})
            return figures, predictions

    results = [None, None]
    parts = [slice(0, 6), slice(6, 10)]

    def worker(i):
        config = config_pb2.ConfigProto(device_filters=[f"/job:worker/task:{i}"])
        config.experimental.collective_group_leader = leader
        feeds = {"x": x[parts[i]], "y": y[parts[i]], "learning_rate": 0.05, "group_size": 2,
                 "group_key": 7, "instance_key": 1}
        results[i] = run(servers[i].target, config, "train_step_allreduce", [feeds] * 3)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    whole = {"x": x, "y": y, "learning_rate": 0.05}
    expected, predictions = run("", None, "train_step", [whole] * 3)
    for figures, trained in results:
        for got, want in zip(figures, expected, strict=True):
            assert set(got) == {"loss", "accuracy"}
            np.testing.assert_allclose(got["loss"], want["loss"], atol=1e-6)
            np.testing.assert_allclose(got["accuracy"], want["accuracy"], atol=1e-6)
        np.testing.assert_allclose(trained, predictions, atol=1e-6)
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_metrics_by_name_or_object_are_keras_means_named_as_keras_names_them(tmp_path):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((8,), name="x"), keras.layers.Dense(1, "sigmoid")])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 8)).astype(np.float32)
    y = rng.integers(0, 2, (32, 1)).astype(np.float32)
    metrics = ["mae", keras.metrics.BinaryAccuracy(threshold=0.7), "acc", "mse"]
    names = export_trainable(model, "binary_crossentropy", "sgd", metrics, str(tmp_path))
    assert names == ["mae", "binary_accuracy", "acc", "mse"]
    got = tf.saved_model.load(str(tmp_path)).signatures["evaluate"](x=x, y=y)
    pred = model.predict(x, verbose=0)
    want = {"mae": keras.metrics.MeanAbsoluteError(),
            "binary_accuracy": keras.metrics.BinaryAccuracy(threshold=0.7),
            "acc": keras.metrics.BinaryAccuracy(), "mse": keras.metrics.MeanSquaredError()}
    for name, metric in want.items():
        metric.update_state(y, pred)
        np.testing.assert_allclose(float(got[name]), float(metric.result()), atol=1e-6,
                                   err_msg=name)
