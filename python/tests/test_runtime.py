"""sparkdl's JVM engine, driven from Python, against TensorFlow Python on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from py4j import protocol as proto
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


def _identity_graph_def(dtype: tf.DType, shape: list[int | None] | None) -> bytes:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(dtype, shape, name="x")
        tf.identity(x, name="y")
    return graph.as_graph_def().SerializeToString()


def test_big_endian_input_is_converted_not_refused(spark):
    values = np.arange(6, dtype=">f4").reshape(2, 3) / 4
    (out,) = runtime.run_graph(_affine_graph_def(), {"x": values}, ["y"], spark)
    (expected,) = runtime.run_graph(_affine_graph_def(), {"x": values.astype("<f4")}, ["y"], spark)
    np.testing.assert_array_equal(out, expected)
    graph_def = _identity_graph_def(tf.int64, [None])
    (ints,) = runtime.run_graph(graph_def, {"x": np.array([1, -2, 2**40], ">i8")}, ["y"], spark)
    assert ints.dtype == np.int64 and ints.tolist() == [1, -2, 2**40]


def test_non_string_element_in_a_string_input_is_refused(spark):
    values = np.array([[b"a", "b"], [b"c", 3]], dtype=object)
    with pytest.raises(TypeError, match=r"input 'x' holds a int at index \(1, 1\) \(3\)"):
        runtime.run_graph(_identity_graph_def(tf.string, [None, 2]), {"x": values}, ["y"], spark)


def test_none_input_is_refused_by_name(spark):
    with pytest.raises(TypeError, match=r"input 'x' is None"):
        runtime.run_graph(_affine_graph_def(), {"x": None}, ["y"], spark)


@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.uint32, "datetime64[s]"])
def test_unsupported_dtype_is_refused_by_name(spark, dtype):
    with pytest.raises(TypeError, match=r"input 'x' has numpy dtype .*; expected one of bool, "):
        runtime.run_graph(_affine_graph_def(), {"x": np.zeros((1, 3), dtype)}, ["y"], spark)


def _two_input_saved_model(path: str) -> tf.Module:
    module = tf.Module()

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.string, name="s"),
            tf.TensorSpec([None] * 6, tf.float32, name="r"),
        ]
    )
    def serve(s: tf.Tensor, r: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"upper": tf.strings.upper(s), "twice": r * 2.0, "total": tf.reduce_sum(r)}

    module.serve = serve
    tf.saved_model.save(module, path, signatures={"serving_default": serve})
    return tf.saved_model.load(path).signatures["serving_default"]


def test_tags_as_one_string_and_all_outputs_by_default(spark, tmp_path):
    expected_fn = _two_input_saved_model(str(tmp_path / "m"))
    inputs = {"s": np.array(["ab", "é"]), "r": np.ones((1, 1, 1, 1, 2, 1), np.float32)}
    out = runtime.run_saved_model(str(tmp_path / "m"), inputs, tags="serve", spark=spark)
    expected = expected_fn(**{k: tf.constant(v) for k, v in inputs.items()})
    assert list(out) == ["total", "twice", "upper"]
    assert out["total"].shape == () and out["total"] == expected["total"].numpy()
    np.testing.assert_array_equal(out["twice"], expected["twice"].numpy())
    assert out["upper"].tolist() == expected["upper"].numpy().tolist()


class _Py4jCalls:
    """Counts the calls py4j makes into the JVM through one gateway client.

    Memory commands are left out: py4j sends one whenever Python's garbage collector frees a
    proxy of a JVM object, whichever code made it (here, earlier tests, when the large inputs
    trigger a collection).
    """

    def __init__(self, client: object) -> None:
        self.commands: list[str] = []
        self._send = client.send_command

    def send_command(self, command: str, *args: object, **kwargs: object) -> object:
        if not command.startswith(proto.MEMORY_COMMAND_NAME):
            self.commands.append(command)
        return self._send(command, *args, **kwargs)


def _count_calls(spark, monkeypatch, run):
    # PySpark 4 talks to the JVM through py4j's ClientServer (pinned threads): its JavaClient
    # is a GatewayClient, whose send_command every JVM call goes through.
    client = spark.sparkContext._gateway._gateway_client
    calls = _Py4jCalls(client)
    with monkeypatch.context() as patch:
        patch.setattr(client, "send_command", calls.send_command)
        result = run()
    return len(calls.commands), result


def _small_and_large_inputs():
    small = {
        "s": np.array(["a", "bc", ""]),
        "r": np.arange(2, dtype=np.float32).reshape(1, 1, 1, 1, 1, 2),
    }
    large = {
        "s": np.array([f"row {i} é" for i in range(1_000_000)], dtype=object),
        "r": np.random.RandomState(0).normal(size=(2, 3, 4, 5, 6, 7)).astype(np.float32),
    }
    return small, large


def test_run_graph_takes_a_constant_number_of_py4j_calls(spark, monkeypatch):
    graph = tf.Graph()
    with graph.as_default():
        s = tf.compat.v1.placeholder(tf.string, [None], name="s")
        r = tf.compat.v1.placeholder(tf.float32, [None] * 6, name="r")
        tf.identity(s, name="s_out")
        tf.multiply(r, 2.0, name="r_out")
    graph_def = graph.as_graph_def().SerializeToString()
    counts = []
    for inputs in _small_and_large_inputs():
        count, (s_out, r_out) = _count_calls(
            spark,
            monkeypatch,
            lambda inputs=inputs: runtime.run_graph(graph_def, inputs, ["s_out", "r_out:0"], spark),
        )
        counts.append(count)
        with tf.compat.v1.Session(graph=graph) as sess:
            expected_s, expected_r = sess.run(
                ["s_out:0", "r_out:0"], {"s:0": inputs["s"], "r:0": inputs["r"]}
            )
        assert s_out.dtype == object and s_out.shape == expected_s.shape
        assert s_out.tolist() == expected_s.tolist()
        assert r_out.dtype == np.float32 and r_out.shape == inputs["r"].shape
        np.testing.assert_array_equal(r_out, expected_r)
    assert counts[0] == counts[1] <= 10, counts


def test_run_saved_model_takes_a_constant_number_of_py4j_calls(spark, monkeypatch, tmp_path):
    expected_fn = _two_input_saved_model(str(tmp_path / "m"))
    counts = []
    for inputs in _small_and_large_inputs():
        count, out = _count_calls(
            spark,
            monkeypatch,
            lambda inputs=inputs: runtime.run_saved_model(str(tmp_path / "m"), inputs, spark=spark),
        )
        counts.append(count)
        expected = expected_fn(s=tf.constant(inputs["s"].tolist()), r=tf.constant(inputs["r"]))
        assert out["upper"].tolist() == expected["upper"].numpy().tolist()
        np.testing.assert_array_equal(out["twice"], expected["twice"].numpy())
        np.testing.assert_allclose(out["total"], expected["total"].numpy(), rtol=1e-6)
    assert counts[0] == counts[1] <= 10, counts
