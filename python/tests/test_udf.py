"""sparkdl.udf: TF models as SQL functions, checked against TF/Keras run on the same inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException, IllegalArgumentException
from pyspark.sql import functions as F
from sparkdl.model import TFModel
from sparkdl.udf import ModelUDF, model_runs, register_model, registerModelUDF

# Failures inside Spark tasks reach Python as a Py4JJavaError or a converted pyspark exception.
JOB_ERRORS = (Py4JJavaError, CapturedException)


@pytest.fixture(scope="module")
def keras_mlp(tmp_path_factory):
    """A seeded Keras MLP 10 -> 8 (relu) -> 1 (sigmoid), exported; its inputs and predictions."""
    model = keras.Sequential(
        [
            keras.Input((10,), name="x"),
            keras.layers.Dense(
                8, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=1)
            ),
            keras.layers.Dense(
                1, activation="sigmoid", kernel_initializer=keras.initializers.GlorotUniform(seed=2)
            ),
        ]
    )
    path = tmp_path_factory.mktemp("udf") / "mlp"
    model.export(str(path), format="tf_saved_model", verbose=False)
    x = np.random.RandomState(7).standard_normal((20, 10)).astype(np.float32)
    return str(path), x, model.predict(x, verbose=0)


@pytest.fixture(scope="module")
def two_outputs(tmp_path_factory):
    """A SavedModel whose signature takes a, b (float32 [None]) and returns total and prod."""

    class Pair(tf.Module):
        @tf.function(
            input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.float32)]
        )
        def run(self, a, b):
            return {"total": a + b, "prod": a * b}

    module = Pair()
    path = tmp_path_factory.mktemp("udf") / "pair"
    tf.saved_model.save(module, str(path), signatures={"serving_default": module.run})
    rng = np.random.RandomState(8)
    a = rng.standard_normal(12).astype(np.float32)
    b = rng.standard_normal(12).astype(np.float32)
    expected = {k: v.numpy() for k, v in module.run(tf.constant(a), tf.constant(b)).items()}
    return str(path), a, b, expected


@pytest.fixture(scope="module")
def mlp(spark, keras_mlp):
    path, x, _ = keras_mlp
    udf = registerModelUDF(spark, "py_mlp", TFModel.from_saved_model(path, signature="serve"))
    rows = [(i, [float(v) for v in row]) for i, row in enumerate(x)]
    df = spark.createDataFrame(rows, "i int, x array<float>").repartition(3)
    df.createOrReplaceTempView("py_mlp_in")
    return udf


@pytest.fixture(scope="module")
def pair(spark, two_outputs):
    path, a, b, _ = two_outputs
    udf = registerModelUDF(spark, "py_pair", TFModel.from_saved_model(path))
    rows = [(i, float(a[i]), float(b[i])) for i in range(len(a))]
    spark.createDataFrame(rows, "i int, a float, b float").repartition(2).createOrReplaceTempView(
        "py_pair_in"
    )
    return udf


def test_registered_functions_are_listed_and_described(spark, mlp, pair):
    assert isinstance(mlp, ModelUDF)
    assert (mlp.inputs, mlp.outputs) == (["x"], ["output_0"])
    assert (pair.inputs, pair.outputs) == (["a", "b"], ["prod", "total"])
    listed = {f.name: f for f in spark.catalog.listFunctions() if f.name in ("py_mlp", "py_pair")}
    assert set(listed) == {"py_mlp", "py_pair"}
    assert all(f.isTemporary for f in listed.values())
    assert "py_mlp(x)" in listed["py_mlp"].description
    assert "struct<prod:float,total:float>" in listed["py_pair"].description
    described = "\n".join(r[0] for r in spark.sql("DESCRIBE FUNCTION py_pair").collect())
    assert "py_pair(a, b) - runs SavedModel" in described


def test_keras_model_in_sql_matches_predict(spark, mlp, keras_mlp):
    _, _, expected = keras_mlp
    out = spark.sql("SELECT py_mlp(x) AS y FROM py_mlp_in ORDER BY i")
    assert out.schema["y"].dataType.simpleString() == "array<float>"
    got = np.array([r.y for r in out.collect()], dtype=np.float32)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # A double column is cast to the model's float32.
    doubles = spark.sql(
        "SELECT py_mlp(cast(x AS array<double>))[0] AS y FROM py_mlp_in ORDER BY i"
    ).collect()
    np.testing.assert_allclose([r.y for r in doubles], expected[:, 0], atol=1e-5)


def test_the_returned_function_builds_columns(spark, mlp, keras_mlp):
    _, _, expected = keras_mlp
    df = spark.table("py_mlp_in")
    out = df.select("i", mlp("x")[0].alias("y"), F.expr("py_mlp(x)[0]").alias("z")).orderBy("i")
    rows = out.collect()
    np.testing.assert_allclose([r.y for r in rows], expected[:, 0], atol=1e-5)
    np.testing.assert_allclose([r.z for r in rows], expected[:, 0], atol=1e-5)


def test_two_inputs_return_a_struct_of_outputs(spark, pair, two_outputs):
    _, _, _, expected = two_outputs
    out = spark.sql("SELECT py_pair(a, b) AS s FROM py_pair_in ORDER BY i")
    assert out.schema["s"].dataType.simpleString() == "struct<prod:float,total:float>"
    rows = out.collect()
    np.testing.assert_allclose([r.s.total for r in rows], expected["total"], atol=1e-6)
    np.testing.assert_allclose([r.s.prod for r in rows], expected["prod"], atol=1e-6)
    fields = spark.table("py_pair_in").orderBy("i").select(pair("a", F.col("b")).total).collect()
    np.testing.assert_allclose([r[0] for r in fields], expected["total"], atol=1e-6)


def test_calls_in_where_and_other_expressions(spark, mlp, keras_mlp):
    _, _, expected = keras_mlp
    y = expected[:, 0].astype(np.float64)
    ordered = np.sort(y)
    threshold = float(ordered[9] + ordered[10]) / 2  # halfway between two outputs
    where = spark.sql(
        f"SELECT i FROM py_mlp_in WHERE py_mlp(x)[0] > {threshold!r} ORDER BY i"
    ).collect()
    assert [r.i for r in where] == [i for i in range(len(y)) if y[i] > threshold]
    scaled = spark.sql("SELECT 2 * py_mlp(x)[0] + 1 AS z FROM py_mlp_in ORDER BY i").collect()
    np.testing.assert_allclose([r.z for r in scaled], 2 * y + 1, atol=1e-5)
    total = spark.sql("SELECT sum(py_mlp(x)[0]) AS s FROM py_mlp_in").collect()[0].s
    assert abs(total - y.sum()) < 1e-4


def test_execution_is_batched(spark, mlp, keras_mlp):
    _, x, expected = keras_mlp
    row = ", ".join(repr(float(v)) for v in x[0])
    df = spark.range(10000, numPartitions=2).selectExpr("id", f"array({row}) AS x")
    query = df.select(mlp("x")[0].alias("y"))
    rows = query.collect()
    runs = model_runs(query)
    assert len(rows) == 10000
    np.testing.assert_allclose([r.y for r in rows], np.full(10000, expected[0, 0]), atol=1e-5)
    # 2 partitions of 5,000 rows in blocks of 1,024: 5 runs each (local mode: one JVM).
    assert runs == 10


def test_bad_calls_are_clear_errors(spark, mlp, pair):
    with pytest.raises(
        IllegalArgumentException, match=r"py_mlp takes 1 argument\(s\) \(x\), got 2"
    ):
        spark.sql("SELECT py_mlp(x, x) FROM py_mlp_in")
    with pytest.raises(
        IllegalArgumentException, match=r"argument 1 \(model input 'x'\).*type string"
    ):
        spark.sql("SELECT py_mlp(cast(i AS string)) FROM py_mlp_in")
    nulls = spark.createDataFrame([(1.0, 2.0), (3.0, None)], "a float, b float")
    with pytest.raises(JOB_ERRORS, match=r"py_pair: argument 2 \(model input 'b'\) has a null"):
        nulls.select(pair("a", "b")).collect()
    kept = nulls.where("b IS NOT NULL AND py_pair(a, b).total > 0").collect()
    assert len(kept) == 1


def test_bad_registrations_are_clear_errors(spark):
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        tf.identity(x * 2, name="y")
    frozen = TFModel.from_graph_def(graph.as_graph_def())
    with pytest.raises(IllegalArgumentException, match="name the outputs"):
        registerModelUDF(spark, "py_twice", frozen)
    twice = registerModelUDF(spark, "py_twice", frozen, outputs=["y"], batch_size=2)
    got = spark.range(5).selectExpr("py_twice(id) AS y").collect()  # bigint cast to float32
    assert [r.y for r in got] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert twice.inputs == ["x"]
    with pytest.raises(IllegalArgumentException, match="'z' is not a model input"):
        registerModelUDF(spark, "py_bad", frozen, inputs=["z"], outputs=["y"])
    with pytest.raises(TypeError, match="sparkdl.model.TFModel"):
        registerModelUDF(spark, "py_bad", "/models/mlp")


def test_one_name_for_model_udfs():
    # registerModelUDF is the name in Scala and Python; register_model is its PEP 8 alias.
    assert register_model is registerModelUDF
