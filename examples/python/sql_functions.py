"""Models as SQL functions (docs/guide/sql-functions.md).

Run: python examples/python/sql_functions.py
"""

import tempfile

import numpy as np
import sparkdl
import tensorflow as tf
from sparkdl.model import TFModel
from sparkdl.udf import model_runs, registerModelUDF

spark = sparkdl.session()
tf.keras.utils.set_random_seed(2)
mlp = tf.keras.Sequential(
    [
        tf.keras.Input((4,), name="x"),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(2, activation="softmax"),
    ]
)
rng = np.random.default_rng(0)
x = rng.normal(size=(500, 4)).astype(np.float32)
spark.createDataFrame(
    [(i, v.tolist()) for i, v in enumerate(x)], ["id", "x"]
).createOrReplaceTempView("t")

with tempfile.TemporaryDirectory() as tmp:
    mlp.export(f"{tmp}/mlp")
    score = registerModelUDF(
        spark, "mlp", TFModel.from_saved_model(f"{tmp}/mlp", signature="serve")
    )
    confident = spark.sql("SELECT id, mlp(x) AS p FROM t WHERE mlp(x)[0] > 0.5 ORDER BY id")
    rows = confident.collect()
    runs = model_runs(confident)  # blocks the model ran on, not rows
    same = spark.table("t").select("id", score("x").alias("p")).orderBy("id").collect()

expected = mlp.predict(x, verbose=0)
want = [i for i in range(len(x)) if expected[i, 0] > 0.5]
assert [r.id for r in rows] == want
assert np.allclose([r.p for r in same], expected, atol=1e-5)
print(
    f"sql_functions: SELECT mlp(x) ... WHERE mlp(x)[0] > 0.5 kept {len(rows)} of {len(x)} rows "
    f"in {runs} model runs; the DataFrame call equals Keras"
)
spark.stop()
