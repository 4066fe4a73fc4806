"""map_blocks and map_rows over a pandas DataFrame bind as over a Spark DataFrame of the same
columns: the same cast table (which column values may feed which placeholder dtype), the same
placeholders needing a column, the same errors. Both paths run the JVM's one binding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from pyspark.errors import IllegalArgumentException
from pyspark.sql import types as T
from sparkdl import tensorframes as tfs

# Column dtype -> (Spark type, numpy dtype, three values).
COLUMNS = {
    "bool": (T.BooleanType(), np.bool_, [False, True, True]),
    "int8": (T.ByteType(), np.int8, [0, 1, 2]),
    "int16": (T.ShortType(), np.int16, [0, 1, 2]),
    "int32": (T.IntegerType(), np.int32, [0, 1, 2]),
    "int64": (T.LongType(), np.int64, [0, 1, 2]),
    "float32": (T.FloatType(), np.float32, [0.0, 1.5, 2.0]),
    "float64": (T.DoubleType(), np.float64, [0.0, 1.5, 2.0]),
    "string": (T.StringType(), object, ["a", "b", "c"]),
}
PLACEHOLDERS = ["float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "string"]


def _identity(dtype: str) -> tuple[tf.Graph, tf.Tensor]:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.as_dtype(dtype), [None], name="x")
        y = tf.identity(x, name="y")
    return graph, y


def _outcome(run):
    """('ok', values) or ('refused', the binding's error, first line)."""
    try:
        return "ok", run()
    except IllegalArgumentException as e:
        return "refused", str(e).splitlines()[0]


@pytest.mark.parametrize("column", list(COLUMNS))
def test_the_cast_table_is_the_same_for_pandas_and_spark(spark, column):
    spark_type, np_dtype, values = COLUMNS[column]
    df = spark.createDataFrame(
        [(v,) for v in values], T.StructType([T.StructField("x", spark_type)])
    )
    pdf = pd.DataFrame({"x": np.array(values, dtype=np_dtype)})
    outcomes = {}
    for placeholder in PLACEHOLDERS:
        graph, y = _identity(placeholder)
        with graph.as_default():
            on_spark = _outcome(lambda y=y: [r.y for r in tfs.map_blocks(y, df).collect()])
            on_pandas = _outcome(lambda y=y: list(tfs.map_blocks(y, pdf).y))
        what = f"column {column} -> placeholder {placeholder}"
        outcomes[placeholder] = on_spark[0]
        assert on_pandas[0] == on_spark[0], f"{what}: spark {on_spark}, pandas {on_pandas}"
        if on_spark[0] == "refused":
            assert on_pandas[1] == on_spark[1], what
        else:
            expected = [v.decode() if isinstance(v, bytes) else v for v in on_spark[1]]
            found = [v.decode() if isinstance(v, bytes) else v for v in on_pandas[1]]
            np.testing.assert_array_equal(np.array(found), np.array(expected), err_msg=what)
    # The table itself (CastPolicy): a column feeds its own dtype; floats feed floats only.
    assert outcomes[column] == "ok"
    if column.startswith("float"):
        assert {p for p, o in outcomes.items() if o == "ok"} == {"float32", "float64"}


def test_booleans_do_not_feed_floats_on_pandas(spark):
    graph, y = _identity("float32")
    with (
        graph.as_default(),
        pytest.raises(IllegalArgumentException, match="column .x. has type boolean.*float32"),
    ):
        tfs.map_blocks(y, pd.DataFrame({"x": [True, False]}))


def test_placeholders_the_fetches_do_not_need_need_no_column(spark):
    pdf = pd.DataFrame({"x": [1.0, 2.0]})
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float64, [None], name="x")
        tf.compat.v1.placeholder(tf.float64, [None], name="unused")
        y = tf.add(x, 1.0, name="y")
        out = tfs.map_blocks(y, pdf)
    assert out.y.tolist() == [2.0, 3.0]


def test_map_rows_on_pandas_binds_as_on_spark(spark):
    rows = [[1.0, 2.0], [3.0, 4.0, 5.0]]
    df = spark.createDataFrame([(r,) for r in rows], ["v"])
    pdf = pd.DataFrame({"v": rows})
    with tf.Graph().as_default():
        v = tf.compat.v1.placeholder(tf.int32, [None], name="v")
        n = tf.reduce_sum(v, name="n")
        on_spark = _outcome(lambda: tfs.map_rows(n, df).collect())
        on_pandas = _outcome(lambda: tfs.map_rows(n, pdf))
    assert on_spark[0] == on_pandas[0] == "refused"
    assert on_pandas[1] == on_spark[1]
    assert "floats are not cast to integers" in on_pandas[1]
