# Vendored from databricks/tensorframes, src/main/python/tensorframes/core_test.py at commit
# a6c753613c010b724a225b6ea97151e4f25d00df (2019-11-15), Copyright Databricks, Inc., licensed under
# the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
#
# The original TensorFrames test-suite, run against `import tensorframes as tfs` (sparkdl's
# compatibility module). The test bodies are as written; only the harness is adapted:
# - TF1 names (tf.placeholder, ...) come from tf.compat.v1, imported as `tf`;
# - the SparkContext is the one of our conftest's session (the original started and stopped its
#   own in setup_class/teardown_class), and `tensorframes.core._java_api` (the original's
#   private JVM handle, used only to initialize its logging) is gone;
# - nose's setUp/teardown are pytest's setup_method/teardown_method;
# - the `__main__` scratch code (which referenced an undefined graph `g`) is dropped.
# The original's style is kept, so ruff is told to leave this file alone:
# ruff: noqa

from __future__ import print_function

import pytest
from pyspark.sql import DataFrame, SQLContext
from pyspark.sql import Row
from pyspark.sql.functions import col
import tensorflow.compat.v1 as tf
import pandas as pd

import tensorframes as tfs


@pytest.fixture(autouse=True, scope="module")
def _spark_context(spark):
    TestCore.sc = spark.sparkContext


class TestCore(object):

    def setup_method(self):
        self.sql = SQLContext(TestCore.sc)
        print("setup")

    def teardown_method(self):
        print("teardown")

    def test_schema(self):
        data = [Row(x=float(x)) for x in range(100)]
        df = self.sql.createDataFrame(data)
        tfs.print_schema(df)

    def test_map_blocks_0(self):
        data = [Row(x=float(x)) for x in range(10)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x")
            # The output that adds 3 to x
            y = tf.Variable(3.0, dtype=tf.double, name='y')
            z = tf.add(x, y, name='z')
            # The resulting dataframe
            df2 = tfs.map_blocks(z, df)
        data2 = df2.collect()
        assert data2[0].z == 3.0, data2

    def test_map_blocks_1(self):
        data = [Row(x=float(x)) for x in range(10)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x")
            # The output that adds 3 to x
            z = tf.add(x, 3, name='z')
            # The resulting dataframe
            df2 = tfs.map_blocks(z, df)
        data2 = df2.collect()
        assert data2[0].z == 3.0, data2

    def test_map_blocks_2(self):
        data = [dict(x=float(x)) for x in range(10)]
        df = pd.DataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x")
            # The output that adds 3 to x
            z = tf.add(x, 3, name='z')
            # The resulting dataframe
            df2 = tfs.map_blocks(z, df)
        data2 = df2
        assert data2.z[0] == 3.0, data2

    def test_map_blocks_3(self):
        data = [dict(x=float(x)) for x in range(10)]
        df = pd.DataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x")
            # The output that adds 3 to x
            y = tf.Variable(3.0, dtype=tf.double, name='y')
            z = tf.add(x, y, name='z')
            # The resulting dataframe
            df2 = tfs.map_blocks(z, df)
        data2 = df2
        assert data2.z[0] == 3.0, data2

    def test_map_blocks_feed_dict(self):
        data = [dict(x_spark=float(x)) for x in range(10)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x_tf")
            # The output that adds 3 to x
            y = tf.Variable(3.0, dtype=tf.double, name='y')
            z = tf.add(x, y, name='z')
            # The resulting dataframe
            df2 = tfs.map_blocks(z, df, feed_dict={'x_tf': 'x_spark'})
        data2 = df2.collect()
        assert data2[0].z == 3.0, data2

    def test_map_rows_1(self):
        data = [Row(x=float(x)) for x in range(5)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[], name="x")
            # The output that adds 3 to x
            z = tf.add(x, 3, name='z')
            # The resulting dataframe
            df2 = tfs.map_rows(z, df)
        data2 = df2.collect()
        assert data2[0].z == 3.0, data2

    def test_map_rows_2(self):
        data = [Row(y=float(y)) for y in range(5)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[], name="x")
            # The output that adds 3 to x
            z = tf.add(x, 3, name='z')
            # The resulting dataframe
            df2 = tfs.map_rows(z, df, feed_dict={'x':'y'})
        data2 = df2.collect()
        assert data2[0].z == 3.0, data2

    def test_map_rows_3(self):
        data = [dict(x=float(x)) for x in range(5)]
        df = pd.DataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x")
            # The output that adds 3 to x
            z = tf.add(x, 3, name='z')
            # The resulting dataframe
            df2 = tfs.map_rows(z, df)
        data2 = df2
        assert data2.z[0] == 3.0, data2

    def test_map_rows_feed_dict(self):
        data = [dict(x_spark=float(x)) for x in range(5)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[], name="x_tf")
            # The output that adds 3 to x
            z = tf.add(x, 3, name='z')
            # The resulting dataframe
            df2 = tfs.map_rows(z, df, feed_dict={'x_tf': 'x_spark'})
        data2 = df2.collect()
        assert data2[0].z == 3.0, data2

    def test_map_rows_4(self):
        data = [dict(y=float(x)) for x in range(5)]
        df = pd.DataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x")
            # The output that adds 3 to x
            z = tf.add(x, 3, name='z')
            # The resulting dataframe
            df2 = tfs.map_rows(z, df, feed_dict={'x':'y'})
        data2 = df2
        assert data2.z[0] == 3.0, data2

    def test_reduce_rows_0(self):
        data = [Row(x=float(x)) for x in range(5)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x_1 = tf.placeholder(tf.double, shape=[], name="x_1")
            x_2 = tf.placeholder(tf.double, shape=[], name="x_2")
            y = tf.Variable(0.0, dtype=tf.double, name='y')
            x_0 = tf.add(y, x_1, name='x_0')
            # The output that adds 3 to x
            x = tf.add(x_0, x_2, name='x')
            # The resulting number
            res = tfs.reduce_rows(x, df)
        assert res == sum([r.x for r in data])

    def test_reduce_rows_1(self):
        data = [Row(x=float(x)) for x in range(5)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x_1 = tf.placeholder(tf.double, shape=[], name="x_1")
            x_2 = tf.placeholder(tf.double, shape=[], name="x_2")
            # The output that adds 3 to x
            x = tf.add(x_1, x_2, name='x')
            # The resulting number
            res = tfs.reduce_rows(x, df)
        assert res == sum([r.x for r in data])

    def test_append_shape(self):
        data = [Row(x=float(x)) for x in range(5)]
        df = self.sql.createDataFrame(data)
        ddf = tfs.append_shape(df, col('x'), [-1])
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x_1 = tf.placeholder(tf.double, shape=[], name="x_1")
            x_2 = tf.placeholder(tf.double, shape=[], name="x_2")
            # The output that adds 3 to x
            x = tf.add(x_1, x_2, name='x')
            # The resulting number
            res = tfs.reduce_rows(x, ddf)
            assert res == sum([r.x for r in data])

    # This test fails
    def test_reduce_blocks_1(self):
        data = [Row(x=float(x)) for x in range(5)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x_input = tf.placeholder(tf.double, shape=[None], name="x_input")
            # The output that adds 3 to x
            x = tf.reduce_sum(x_input, name='x')
            # The resulting dataframe
            res = tfs.reduce_blocks(x, df)
        assert res == sum([r.x for r in data])

    def test_map_blocks_trimmed_0(self):
        data = [Row(x=float(x)) for x in range(3)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x")
            # The output discards the input and return a single row of data
            z = tf.Variable([2], dtype=tf.double, name='z')
            # The resulting dataframe
            df2 = tfs.map_blocks(z, df, trim=True)
        data2 = df2.collect()
        assert data2[0].z == 2, data2

    def test_map_blocks_trimmed_1(self):
        data = [Row(x=float(x)) for x in range(3)]
        df = self.sql.createDataFrame(data)
        with tf.Graph().as_default():
            # The placeholder that corresponds to column 'x'
            x = tf.placeholder(tf.double, shape=[None], name="x")
            # The output discards the input and return a single row of data
            z = tf.constant([2], name='z')
            # The resulting dataframe
            df2 = tfs.map_blocks(z, df, trim=True)
        data2 = df2.collect()
        assert data2[0].z == 2, data2

    def test_groupby_1(self):
        data = [Row(x=float(x), key=str(x % 2)) for x in range(4)]
        df = self.sql.createDataFrame(data)
        gb = df.groupBy("key")
        with tf.Graph().as_default():
            x_input = tfs.block(df, "x", tf_name="x_input")
            x = tf.reduce_sum(x_input, [0], name='x')
            df2 = tfs.aggregate(x, gb)
        data2 = df2.collect()
        assert data2 == [Row(key='0', x=2.0), Row(key='1', x=4.0)], data2
