"""TensorFrames' names and habits on sparkdl: ``import tensorframes``, the original README's
examples as written, pandas DataFrames, Columns and variables as TensorFrames took them; results
against TensorFlow Python on the same inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sparkdl.tensorframes
import tensorflow as tf
from pyspark.errors import IllegalArgumentException

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

# The two Python examples of databricks/tensorframes' README.md, verbatim but for the import of
# Row (the pyspark shell had sqlContext; the test provides it).
README_EXAMPLE_1 = """
import tensorflow as tf
import tensorframes as tfs
from pyspark.sql import Row

data = [Row(x=float(x)) for x in range(10)]
df = sqlContext.createDataFrame(data)
with tf.Graph().as_default() as g:
    # The TensorFlow placeholder that corresponds to column 'x'.
    # The shape of the placeholder is automatically inferred from the DataFrame.
    x = tfs.block(df, "x")
    # The output that adds 3 to x
    z = tf.add(x, 3, name='z')
    # The resulting dataframe
    df2 = tfs.map_blocks(z, df)

# The transform is lazy as for most DataFrame operations. This will trigger it:
df2.collect()
"""

README_EXAMPLE_2 = """
from pyspark.sql import Row
# Build a DataFrame of vectors
data = [Row(y=[float(y), float(-y)]) for y in range(10)]
df = sqlContext.createDataFrame(data)
# Because the dataframe contains vectors, we need to analyze it first to find the
# dimensions of the vectors.
df2 = tfs.analyze(df)

# The information gathered by TF can be printed to check the content:
tfs.print_schema(df2)
# root
#  |-- y: array (nullable = false) double[?,2]

# Let's use the analyzed dataframe to compute the sum and the elementwise minimum
# of all the vectors:
# First, let's make a copy of the 'y' column. This will be very cheap in Spark 2.0+
df3 = df2.select(df2.y, df2.y.alias("z"))
with tf.Graph().as_default() as g:
    # The placeholders. Note the special name that end with '_input':
    y_input = tfs.block(df3, 'y', tf_name="y_input")
    z_input = tfs.block(df3, 'z', tf_name="z_input")
    y = tf.reduce_sum(y_input, [0], name='y')
    z = tf.reduce_min(z_input, [0], name='z')
    # The resulting dataframe
    (data_sum, data_min) = tfs.reduce_blocks([y, z], df3)

# The final results are numpy arrays:
print(data_sum)
# [45., -45.]
print(data_min)
# [0., -9.]
"""


def _tf_run(fetches, feeds):
    """TF Python's answer: run ``fetches`` in their graph, variables initialized."""
    graph = (fetches[0] if isinstance(fetches, list) else fetches).graph
    with graph.as_default():
        init = tf.compat.v1.global_variables_initializer()
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(init)
        return sess.run(fetches, feeds)


# ---- the module name ----------------------------------------------------------------------


def test_import_tensorframes_is_sparkdl_tensorframes():
    import tensorframes as tfs

    assert tfs is sparkdl.tensorframes
    assert tfs.map_blocks is sparkdl.tensorframes.map_blocks


def test_the_package_ships_the_tensorframes_module():
    assert 'py-modules = ["tensorframes"]' in PYPROJECT.read_text()  # tomllib needs 3.11
    assert (PYPROJECT.parent / "tensorframes.py").is_file()


def test_readme_examples_run_as_written_with_sqlContext(spark):
    from pyspark.sql import SQLContext

    scope = {"sqlContext": SQLContext.getOrCreate(spark.sparkContext)}
    exec(README_EXAMPLE_1, scope)
    rows = scope["df2"].collect()
    xs = np.array([r.x for r in rows])
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float64, [None], name="x")
        expected = _tf_run(tf.add(x, 3, name="z"), {x: xs})
    np.testing.assert_allclose([r.z for r in rows], expected, rtol=0, atol=0)
    assert rows[0].asDict() == {"x": 0.0, "z": 3.0}

    exec(README_EXAMPLE_2, scope)
    ys = np.array([[float(y), float(-y)] for y in range(10)])
    with tf.Graph().as_default():
        y_in = tf.compat.v1.placeholder(tf.float64, [None, 2])
        expected_sum, expected_min = _tf_run(
            [tf.reduce_sum(y_in, [0]), tf.reduce_min(y_in, [0])], {y_in: ys}
        )
    np.testing.assert_allclose(scope["data_sum"], expected_sum, atol=1e-12)
    np.testing.assert_allclose(scope["data_min"], expected_min, atol=1e-12)


# ---- pandas DataFrames ----------------------------------------------------------------------


def test_map_blocks_on_pandas_matches_tf_and_leaves_the_input(spark):
    pdf = pd.DataFrame({"x": [float(i) for i in range(6)], "v": [[i, -2.0 * i] for i in range(6)]})
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float64, [None], name="x")
        v = tf.compat.v1.placeholder(tf.float32, [None, 2], name="vec")
        w = tf.Variable([[1.5], [0.25]], dtype=tf.float32, name="w")
        s = tf.add(tf.sin(x), 0.5, name="s")
        m = tf.matmul(v, w, name="m")
        out = sparkdl.tensorframes.map_blocks([s, m], pdf, feed_dict={"vec": "v"})
        expected_s, expected_m = _tf_run(
            [s, m], {x: pdf.x.to_numpy(), v: np.array(pdf.v.tolist(), dtype=np.float32)}
        )
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["x", "v", "s", "m"]
    assert list(pdf.columns) == ["x", "v"]  # the input is not modified
    np.testing.assert_allclose(out.s.to_numpy(), expected_s, rtol=1e-12)
    np.testing.assert_allclose(np.stack(out.m.to_numpy()), expected_m, rtol=1e-6)


def test_map_blocks_on_pandas_trim_and_row_count(spark):
    pdf = pd.DataFrame({"x": [1.0, 2.0, 4.0]})
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float64, [None], name="x")
        total = tf.reduce_sum(x, keepdims=True, name="total")
        trimmed = sparkdl.tensorframes.map_blocks(total, pdf, trim=True)
        assert list(trimmed.columns) == ["total"]
        assert trimmed.total.tolist() == [7.0]
        with pytest.raises(ValueError, match=r"fetch 'total' has shape \[1\].*3.*trim=True"):
            sparkdl.tensorframes.map_blocks(total, pdf)


def test_map_rows_on_pandas_runs_each_row(spark):
    pdf = pd.DataFrame({"v": [[1.0, 2.0], [3.0, 4.0, 5.0]]})  # ragged: only rows can take it
    with tf.Graph().as_default():
        v = tf.compat.v1.placeholder(tf.float64, [None], name="v")
        n = tf.reduce_sum(tf.square(v), name="n")
        out = sparkdl.tensorframes.map_rows(n, pdf)
        expected = [_tf_run(n, {v: np.array(cell)}) for cell in pdf.v]
    np.testing.assert_allclose(out.n.to_numpy(dtype=float), expected, rtol=1e-12)


def test_pandas_errors_name_the_placeholder_and_column(spark):
    pdf = pd.DataFrame({"a": [1.0], "b": ["text"]})
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.float64, [None], name="x")
        y = tf.add(x, 1.0, name="y")
        # The Spark path's binding and words (test_pandas_binding.py compares the two).
        with pytest.raises(
            IllegalArgumentException, match="placeholder 'x'.*matches no column.*a, b"
        ):
            sparkdl.tensorframes.map_blocks(y, pdf)
        with pytest.raises(IllegalArgumentException, match="column 'b' has type string.*'x'"):
            sparkdl.tensorframes.map_blocks(y, pdf, feed_dict={"x": "b"})
    with pytest.raises(TypeError, match="pandas DataFrame takes TF1 tensors"):
        sparkdl.tensorframes.map_rows(lambda a: a + 1.0, pdf)


# ---- Columns, variables, block sizes ----------------------------------------------------------


def test_append_shape_takes_a_column(spark):
    from pyspark.sql.functions import col

    df = spark.createDataFrame([([1.0, 2.0],), ([3.0, 4.0],)], ["y"])
    for column in (col("y"), df.y, df["y"]):
        shaped = sparkdl.tensorframes.append_shape(df, column, [None, 2])
        assert "double[?,2]" in sparkdl.tensorframes.explain(shaped)
    with pytest.raises(ValueError, match="expression, not a column"):
        sparkdl.tensorframes.append_shape(df, col("y")[0], [None])


def test_a_variable_is_fetched_at_its_initial_value(spark):
    df = spark.createDataFrame([(float(i),) for i in range(3)], ["x"])
    with tf.Graph().as_default():
        tf.compat.v1.placeholder(tf.float64, [None], name="x")
        z = tf.Variable([2.5, -1.0], dtype=tf.float64, name="z")
        expected = _tf_run(z.value(), {})
        rows = sparkdl.tensorframes.map_blocks(z, df.coalesce(1), trim=True).collect()
    np.testing.assert_allclose([r.z for r in rows], expected, atol=0)


@pytest.mark.parametrize("block_size", [0, 2**31, -1, 2.5, True])
def test_block_size_out_of_range_names_the_param(spark, block_size):
    df = spark.createDataFrame([(1.0,)], ["x"])
    with tf.Graph().as_default():
        x = sparkdl.tensorframes.block(df, "x")
        y = tf.add(x, 1.0, name="y")
        total = tf.reduce_sum(tf.compat.v1.placeholder(tf.float64, [None], "x_input"), name="x")
        message = rf"block_size={block_size!r}: expected an int from 1 to 2147483647"
        with pytest.raises(ValueError, match=message):
            sparkdl.tensorframes.map_blocks(y, df, block_size=block_size)
        with pytest.raises(ValueError, match=message):
            sparkdl.tensorframes.reduce_blocks(total, df, block_size=block_size)
        with pytest.raises(ValueError, match=message):
            sparkdl.tensorframes.aggregate(total, df.groupBy("x"), block_size=block_size)
