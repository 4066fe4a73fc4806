"""TensorFrames (docs/guide/tensorframes.md): the original TensorFrames examples, then TF2 style.

Run: python examples/python/tensorframes.py
"""

import numpy as np
import sparkdl
import tensorflow as tf
from pyspark.sql import Row
from sparkdl import tensorframes as tfs

spark = sparkdl.session()

# The original TensorFrames README example (TF1 graph, block placeholder).
data = [Row(x=float(x)) for x in range(10)]
df = spark.createDataFrame(data)
with tf.Graph().as_default():
    x = tfs.block(df, "x")  # a float64 placeholder for a block of column x
    z = tf.add(x, 3, name="z")  # the fetch becomes column z
    df2 = tfs.map_blocks(z, df)
assert [r.z for r in df2.orderBy("x").collect()] == [x + 3.0 for x in range(10)]

# Reductions: fetch "x" reads placeholder "x_input" (blocks) or "x_1"/"x_2" (rows).
with tf.Graph().as_default():
    x_input = tf.compat.v1.placeholder(tf.float64, [None], name="x_input")
    total = tfs.reduce_blocks(tf.reduce_sum(x_input, axis=0, name="x"), df)
with tf.Graph().as_default():
    x_1 = tf.compat.v1.placeholder(tf.float64, [], name="x_1")
    x_2 = tf.compat.v1.placeholder(tf.float64, [], name="x_2")
    smallest = tfs.reduce_rows(tf.minimum(x_1, x_2, name="x"), df)
assert total == 45.0 and smallest == 0.0

# Vectors: analyze records the cell shape, then a TF2 function of the columns.
vectors = spark.createDataFrame([(i, [float(i), float(i) * 2.0]) for i in range(6)], ["k", "v"])
vectors = tfs.analyze(vectors)
norms = tfs.map_blocks(lambda v: {"norm": tf.norm(v, axis=1)}, vectors)
got = np.array([r.norm for r in norms.orderBy("k").collect()])
assert np.allclose(got, [np.hypot(i, 2 * i) for i in range(6)])

# Aggregation per group.
grouped = spark.createDataFrame([(i % 2, float(i)) for i in range(10)], ["key", "x"])
with tf.Graph().as_default():
    x_input = tfs.block(grouped, "x", tf_name="x_input")
    sums = tfs.aggregate(tf.reduce_sum(x_input, axis=0, name="x"), grouped.groupBy("key"))
assert {r.key: r.x for r in sums.collect()} == {0: 20.0, 1: 25.0}

print(
    f"tensorframes: map_blocks, reduce_blocks ({total}), reduce_rows ({smallest}), "
    "analyze + a TF2 function, aggregate per key: all as expected"
)
spark.stop()
