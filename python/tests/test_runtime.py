"""sparkdl's JVM engine, driven from Python, against TensorFlow Python on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from py4j.protocol import Py4JJavaError
from sparkdl import runtime


def _affine_graph_def() -> bytes:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2) / 7.0)
        tf.nn.tanh(tf.matmul(x, w) * 2.0 + 1.0, name="y")
    return graph.as_graph_def().SerializeToString()


def test_session_loads_the_tf_runtime(spark):
    assert runtime.tf_version(spark) == tf.__version__ == "2.18.0"


def test_graph_def_built_in_python_matches_tf(spark):
    graph_def = _affine_graph_def()
    x = np.random.RandomState(0).normal(size=(7, 3)).astype(np.float32)
    (ours,) = runtime.run_graph(graph_def, {"x": x}, ["y:0"], spark)

    graph = tf.Graph()
    with graph.as_default():
        gd = tf.compat.v1.GraphDef.FromString(graph_def)
        tf.graph_util.import_graph_def(gd, name="")
        with tf.compat.v1.Session(graph=graph) as sess:
            expected = sess.run("y:0", {"x:0": x})
    assert ours.dtype == np.float32 and ours.shape == (7, 2)
    np.testing.assert_allclose(ours, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    "dtype", [np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_]
)
def test_dtypes_round_trip_through_the_jvm(spark, dtype):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.as_dtype(dtype), [None, 2], name="x")
        tf.identity(x, name="y")
    values = (np.arange(-4, 4) % 3).reshape(4, 2).astype(dtype)
    graph_def = graph.as_graph_def().SerializeToString()
    (out,) = runtime.run_graph(graph_def, {"x": values}, ["y"], spark)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, values)


def test_strings_round_trip(spark):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.string, [None], name="x")
        tf.identity(x, name="y")
    values = np.array(["", "spark", "héllo"], dtype=object)
    graph_def = graph.as_graph_def().SerializeToString()
    (out,) = runtime.run_graph(graph_def, {"x": values}, ["y"], spark)
    assert [v.decode("utf-8") for v in out] == list(values)


def test_keras_saved_model_matches_predict(spark, tmp_path):
    tf.keras.utils.set_random_seed(7)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((10,), name="x"),
            tf.keras.layers.Dense(10, activation="relu"),
            tf.keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    x = np.random.RandomState(1).normal(size=(20, 10)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    model.export(str(tmp_path / "m"), verbose=False)
    out = runtime.run_saved_model(str(tmp_path / "m"), {"x": x}, signature="serve", spark=spark)
    assert list(out) == ["output_0"]
    np.testing.assert_allclose(out["output_0"], expected, atol=1e-5, rtol=0)


def test_unknown_tensor_name_is_a_clear_error(spark):
    with pytest.raises(Py4JJavaError, match=r"NotFoundException.*no tensor 'nope:0'"):
        x = np.zeros((1, 3), np.float32)
        runtime.run_graph(_affine_graph_def(), {"x": x}, ["nope:0"], spark)


def test_wrong_feed_dtype_is_a_clear_error(spark):
    with pytest.raises(Py4JJavaError, match=r"feed 'x:0' expects float32 but got a float64"):
        runtime.run_graph(_affine_graph_def(), {"x": np.zeros((1, 3))}, ["y"], spark)
