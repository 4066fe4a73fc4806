"""Issue 14's "errors that say what the user did", from Python: each bad input a user tried gets
an error naming the user's column, param, input or file, tested by message; where the input is
now accepted instead, the result is checked against TensorFlow Python."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from sparkdl import TFModel, TFTransformer, runtime, udf
from sparkdl import tensorframes as tfs

JOB_ERRORS = (Py4JJavaError, CapturedException)
v1 = tf.compat.v1


@pytest.fixture(scope="module")
def graph_def():
    """x (float64[?]) -> total (a sum over rows) and twice; u (uint8[?]) -> same; both -> w."""
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float64, [None], name="x")
        u = v1.placeholder(tf.uint8, [None], name="u")
        tf.reduce_sum(x, keepdims=True, name="total")
        tf.multiply(x, 2.0, name="twice")
        tf.identity(u, name="same")
        tf.add(x, tf.cast(u, tf.float64), name="w")
    return graph.as_graph_def()


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A SavedModel (tag serve): y = x * 3 + 1 over float32[?]; TF Python's function too."""

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
        def __call__(self, x):
            return {"y": x * 3.0 + 1.0}

    model = Model()
    path = tmp_path_factory.mktemp("errors") / "saved_model"
    tf.saved_model.save(model, str(path))
    return str(path), model


# ---- stages and SQL functions: no TensorFrames advice --------------------------------------


def test_transformer_row_count_error_names_the_param_not_trim(spark, graph_def):
    df = spark.createDataFrame([(1.0,), (2.0,)], ["a"]).coalesce(1)
    stage = TFTransformer(
        model=TFModel.from_graph_def(graph_def),
        inputMapping={"a": "x"},
        outputMapping={"total": "out"},
    )
    with pytest.raises(JOB_ERRORS) as e:
        stage.transform(df).collect()
    message = str(e.value)
    assert f"TFTransformer {stage.uid}: model output 'total' (total:0) returned 1 rows" in message
    assert "each model output of outputMapping needs the batch's row count" in message
    assert "need trim=True" not in message and "__sparkdl_" not in message


def test_transformer_null_cell_names_the_users_column(spark, graph_def):
    df = spark.createDataFrame([(None,)], "a double")
    stage = TFTransformer(
        model=TFModel.from_graph_def(graph_def),
        inputMapping={"a": "x"},
        outputMapping={"twice": "out"},
    )
    with pytest.raises(JOB_ERRORS) as e:
        stage.transform(df).collect()
    assert "inputMapping column 'a' has a null cell" in str(e.value)
    assert "__sparkdl_" not in str(e.value)


def test_keras_estimator_errors_name_it_and_its_input_col(spark):
    import keras
    from sparkdl.ml import KerasEstimator

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    rows = [([1.0, 2.0], [1.0]), (None, [0.0]), ([3.0], [1.0])]
    df = spark.createDataFrame(rows, "features array<float>, label array<float>")
    est = KerasEstimator(model=model, loss="mse", inputCol="features", labelCol="label", epochs=1)
    ragged = df.na.drop().filter("size(features) = 1")
    for data, problem in [
        (df.limit(2), "inputCol column 'features' has a null cell"),
        (ragged, "inputCol column 'features' has a cell of shape"),
    ]:
        with pytest.raises(JOB_ERRORS) as e:
            est.fit(data)
        assert f"KerasEstimator {est.uid}: {problem}" in str(e.value)
        assert "TFEstimator" not in str(e.value) and "inputMapping" not in str(e.value)
    missing = KerasEstimator(model=model, loss="mse", inputCol="x", labelCol="label")
    expected = f"KerasEstimator {missing.uid}: inputCol names column 'x'"
    with pytest.raises(JOB_ERRORS, match=expected):
        missing.fit(df)


def test_sql_function_unfed_input_names_its_inputs_not_feed_dict(spark, graph_def):
    model = TFModel.from_graph_def(graph_def)
    with pytest.raises(Exception, match=r"placeholder\(s\) u, which no argument feeds") as e:
        udf.register_model(spark, "errors_unfed", model, inputs=["x"], outputs=["w"])
    assert "name them as inputs when registering (inputs: x)" in str(e.value)
    assert "feed_dict" not in str(e.value)


def test_uint8_input_from_an_int_column_says_uint8_and_how(spark, graph_def):
    model = TFModel.from_graph_def(graph_def)
    df = spark.createDataFrame([(1,)], "i int")
    stage = TFTransformer(model=model, inputMapping={"i": "u"}, outputMapping={"same": "out"})
    with pytest.raises(Exception) as e:
        stage.transform(df)
    message = str(e.value)
    assert "inputMapping column 'i' has type int (int32 values)" in message
    assert "expected uint8 values" in message and "cast to uint8 inside the model" in message
    assert "expected values of int" not in message

    # A SQL function is typed when registered, with int for a uint8 input (Spark has none).
    with pytest.raises(Exception, match=r"argument 1 \(model input 'u'\) has type int") as e:
        udf.register_model(spark, "errors_uint8", model, inputs=["u"], outputs=["same"])
    assert "cast to uint8 inside the model" in str(e.value)


# ---- sparkdl.runtime ----------------------------------------------------------------------


def test_run_saved_model_takes_one_tag_as_a_string(spark, saved_model):
    path, model = saved_model
    x = np.array([1.5, -2.0], np.float32)
    out = runtime.run_saved_model(path, {"x": x}, tags="serve")
    np.testing.assert_allclose(out["y"], model(tf.constant(x))["y"].numpy(), rtol=1e-6)
    with pytest.raises(Exception, match="servex"):  # one tag, not its characters
        runtime.run_saved_model(path, {"x": x}, tags="servex")


def test_none_inputs_are_named(spark, saved_model, graph_def):
    path, _ = saved_model
    with pytest.raises(TypeError, match="input 'x' is None; expected an array"):
        runtime.run_saved_model(path, {"x": None})
    with pytest.raises(TypeError, match="input 'x' is None; expected an array"):
        runtime.run_graph(graph_def.SerializeToString(), {"x": None}, ["twice:0"])
    with pytest.raises(TypeError, match=r"input 's' holds a NoneType at index \(1,\)"):
        runtime.run_graph(b"", {"s": np.array(["a", None], dtype=object)}, ["t:0"])


def test_big_endian_float32_is_accepted(spark, saved_model):
    path, model = saved_model
    big = np.array([0.5, 2.0, -3.25], dtype=">f4")
    out = runtime.run_saved_model(path, {"x": big})
    expected = model(tf.constant(big.astype(np.float32)))["y"].numpy()
    np.testing.assert_allclose(out["y"], expected, rtol=1e-6)


# ---- files --------------------------------------------------------------------------------


def test_graph_def_file_paths(spark, graph_def, tmp_path):
    with pytest.raises(Exception, match=f"GraphDef file '{tmp_path}' is a directory; expected"):
        TFModel.from_graph_def_file(str(tmp_path)).input_names(spark)
    missing = tmp_path / "missing.pb"
    with pytest.raises(Exception, match=f"GraphDef file '{missing}' does not exist"):
        TFModel.from_graph_def_file(str(missing)).input_names(spark)
    path = tmp_path / "graph.pb"
    path.write_bytes(graph_def.SerializeToString())
    model = TFModel.from_graph_def_file(path.as_uri())  # file:///...
    assert path.as_uri().startswith("file://")
    df = spark.createDataFrame([(1.25,), (-4.0,)], ["a"])
    stage = TFTransformer(model=model, inputMapping={"a": "x"}, outputMapping={"twice": "out"})
    assert [r.out for r in stage.transform(df).collect()] == [2.5, -8.0]


# ---- TF2 functions with a lookup table ------------------------------------------------------


def _table():
    keys, values = tf.constant(["a", "b"]), tf.constant([1, 2], tf.int64)
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, values), -1)


def test_lookup_table_in_a_function_says_what_is_unsupported(spark):
    table = _table()

    def look(s):
        return table.lookup(s)

    df = spark.createDataFrame([("a",), ("c",)], ["s"])
    with pytest.raises(ValueError) as e:
        tfs.map_blocks(look, df)
    message = str(e.value)
    assert message.startswith("function 'look' captures '")
    assert "a lookup table of tf.lookup" in message
    assert "map_blocks, map_rows and TFModel.from_function do not support it" in message
    assert "unknown parameter" not in message


def test_lookup_table_through_a_saved_model_as_the_error_advises(spark, tmp_path):
    class Lookup(tf.Module):
        def __init__(self):
            super().__init__()
            self.table = _table()

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="s")])
        def __call__(self, s):
            return {"id": self.table.lookup(s)}

    module = Lookup()
    tf.saved_model.save(module, str(tmp_path / "lookup"))
    keys = ["b", "a", "zz"]
    expected = module(tf.constant(keys))["id"].numpy().tolist()
    df = spark.createDataFrame([(k,) for k in keys], ["s"]).coalesce(1)
    stage = TFTransformer(
        model=TFModel.from_saved_model(str(tmp_path / "lookup")),
        inputMapping={"s": "s"},
        outputMapping={"id": "id"},
    )
    assert [r.id for r in stage.transform(df).collect()] == expected == [2, 1, -1]
