"""Getting started (docs/guide/getting-started.md): a Keras model over a DataFrame, three ways.

Run: python examples/python/getting_started.py  (with sparkdl installed, or its wheel)
"""

import tempfile

import numpy as np
import sparkdl
import tensorflow as tf
from sparkdl import tensorframes as tfs
from sparkdl.ml import KerasTransformer
from sparkdl.model import TFModel
from sparkdl.udf import registerModelUDF

spark = sparkdl.session()  # a local SparkSession with sparkdl's jars attached

# A small Keras model (untrained, seeded): 4 features in, 2 scores out.
tf.keras.utils.set_random_seed(0)
keras_model = tf.keras.Sequential([tf.keras.Input((4,), name="x"), tf.keras.layers.Dense(2)])

rng = np.random.default_rng(0)
rows = [(i, rng.normal(size=4).astype(np.float32).tolist()) for i in range(100)]
df = spark.createDataFrame(rows, ["id", "features"])

# 1. An ML pipeline stage.
scored = KerasTransformer(model=keras_model, inputCol="features", outputCol="scores").transform(df)

# 2. A SQL function.
with tempfile.TemporaryDirectory() as tmp:
    keras_model.export(f"{tmp}/m")  # Keras 3 -> SavedModel
    registerModelUDF(spark, "score", TFModel.from_saved_model(f"{tmp}/m", signature="serve"))
    df.createOrReplaceTempView("t")
    by_sql = spark.sql("SELECT id, score(features) AS scores FROM t ORDER BY id").collect()

# 3. TensorFrames: a TF function of the columns.
doubled = tfs.map_blocks(lambda features: {"twice": features * 2.0}, df)

# The same numbers as Keras in Python.
expected = keras_model.predict(np.array([r[1] for r in rows], np.float32), verbose=0)
stage = np.array([r.scores for r in scored.orderBy("id").collect()])
sql = np.array([r.scores for r in by_sql])
assert np.allclose(stage, expected, atol=1e-5) and np.allclose(sql, expected, atol=1e-5)
assert doubled.count() == 100
print(
    f"getting_started: 100 rows scored by a stage, a SQL function and map_blocks; "
    f"max difference to Keras {np.abs(stage - expected).max():.1e}"
)
spark.stop()
