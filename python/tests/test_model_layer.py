"""Defects the model layer fixed once for every entry point, tried from Python as users would."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException, IllegalArgumentException
from pyspark.ml.linalg import SparseVector, VectorUDT
from pyspark.sql import types as T
from sparkdl import tensorframes as tfs
from sparkdl.model import TFModel
from sparkdl.udf import registerModelUDF


def _failure(action) -> str:
    with pytest.raises((Py4JJavaError, CapturedException)) as info:
        action()
    return str(info.value)


def test_a_fetch_below_its_declared_rank_is_an_error_not_a_crash(spark):
    # The reproducer of issue 10: y's run-time rank is 1, its declared rank 3.
    df = spark.createDataFrame([([1.0, 2.0],), ([3.0, 4.0],)], ["x"])
    with tf.Graph().as_default():
        x = tfs.block(df, "x")
        dyn = tf.reshape(x, tf.boolean_mask(tf.shape(x), tf.shape(x) > 0))
        y = tf.compat.v1.placeholder_with_default(dyn, shape=[None, None, None], name="y")
        out = tfs.map_blocks(y, df)
    message = _failure(out.collect)
    assert "fetch 'y:0'" in message and "declares float64[?,?,?]" in message
    # The JVM is still there: the next job runs.
    assert df.count() == 2


def test_sparse_vectors_out_of_bounds_are_an_error_naming_the_column(spark):
    schema = T.StructType([T.StructField("v", VectorUDT())])
    for index in (50000000, -1, 4):
        v = SparseVector(4, [1], [5.0])
        v.indices[0] = index
        df = spark.createDataFrame([(v,)], schema)
        with tf.Graph().as_default():
            z = tf.identity(tfs.block(df, "v"), name="z")
            out = tfs.map_blocks(z, df)
        message = _failure(out.collect)
        assert "column 'v'" in message and f"index {index}" in message


def test_a_model_udf_cannot_shadow_a_builtin(spark, tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((3,), name="x"), tf.keras.layers.Dense(1)])
    model.export(str(tmp_path / "m"), verbose=False)
    tf_model = TFModel.from_saved_model(str(tmp_path / "m"), signature="serve")
    for name in ("abs", "sqrt", "sum", "count", "array"):
        with pytest.raises(IllegalArgumentException, match="built-in"):
            registerModelUDF(spark, name, tf_model)
    assert spark.sql("SELECT abs(-2) AS a").head().a == 2


def test_duplicate_column_names_are_refused(spark):
    a = spark.range(2).selectExpr("cast(id AS double) AS x")
    joined = a.crossJoin(spark.range(2).selectExpr("cast(id AS double) AS x"))
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float64, [None], name="x")
        z = tf.identity(x, name="z")
        with pytest.raises(IllegalArgumentException, match="ambiguous"):
            tfs.map_blocks(z, joined)


@pytest.mark.parametrize("block_size", [1, 2, 3, 4])
def test_skip_keeps_the_same_rows_at_every_block_size(spark, block_size):
    rows = [([3.0],), ([1.0, 2.0],), ([4.0, 5.0, 6.0],), ([7.0],)]
    df = spark.createDataFrame(rows, ["x"])
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float64, [None, 1], name="x")
        z = tf.identity(x * 2, name="z")
        kept = tfs.map_blocks(z, df, block_size=block_size, handle_invalid="skip").collect()
    assert [list(r.z) for r in kept] == [[6.0], [14.0]]
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float64, [None, None], name="x")
        z = tf.identity(x * 2, name="z")
        all_rows = tfs.map_blocks(z, df, block_size=block_size, handle_invalid="skip").collect()
    np.testing.assert_equal([list(r.z) for r in all_rows], [[2 * v for v in r[0]] for r in rows])


def test_double_into_an_int32_model_udf_is_an_error_naming_the_argument(spark):
    with tf.Graph().as_default() as g:
        x = tf.compat.v1.placeholder(tf.int32, [None], name="x")
        tf.identity(x * 2, name="z")
    model = TFModel.from_graph(g, ["z"])
    registerModelUDF(spark, "int_twice", model, inputs=["x"], outputs=["z"])
    spark.createDataFrame([(1.5,), (2.0,)], ["d"]).createOrReplaceTempView("doubles_in")
    expected = r"argument 1 \(model input 'x'\).*not cast to integers"
    with pytest.raises(IllegalArgumentException, match=expected):
        spark.sql("SELECT int_twice(d) FROM doubles_in")
    # Integers feed it (and a float model) as they are.
    spark.createDataFrame([(1,), (2,)], ["i"]).createOrReplaceTempView("ints_in")
    assert [r[0] for r in spark.sql("SELECT int_twice(i) FROM ints_in").collect()] == [2, 4]
