"""ML stages (docs/guide/ml-stages.md): TFTransformer and KerasTransformer in a pipeline, saved
and loaded.

Run: python examples/python/ml_stages.py
"""

import tempfile

import numpy as np
import sparkdl
import tensorflow as tf
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import VectorAssembler
from sparkdl.ml import KerasTransformer, TFTransformer

spark = sparkdl.session()
rng = np.random.default_rng(0)
rows = [(i, *rng.normal(size=3).tolist()) for i in range(200)]
df = spark.createDataFrame(rows, ["id", "a", "b", "c"])


# A TF2 function of two inputs, and a Keras model.
@tf.function(
    input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.float32)]
)
def scaled(x, w):
    return {"scaled": x * tf.expand_dims(w, 1)}


tf.keras.utils.set_random_seed(1)
keras_model = tf.keras.Sequential(
    [tf.keras.Input((3,)), tf.keras.layers.Dense(4, activation="relu"), tf.keras.layers.Dense(1)]
)

pipeline = Pipeline(
    stages=[
        VectorAssembler(inputCols=["a", "b", "c"], outputCol="features"),
        TFTransformer(
            model=scaled,
            inputMapping={"features": "x", "a": "w"},
            outputMapping={"scaled": "weighted"},
        ),
        KerasTransformer(model=keras_model, inputCol="weighted", outputCol="score"),
    ]
)
fitted = pipeline.fit(df)

with tempfile.TemporaryDirectory() as tmp:
    fitted.write().overwrite().save(f"{tmp}/pipeline")  # params + the models' bytes
    loaded = PipelineModel.load(f"{tmp}/pipeline")  # sparkdl.ml classes come back
    result = loaded.transform(df).orderBy("id").collect()

x = np.array([r[1:] for r in rows], np.float32)
expected = keras_model.predict(x * x[:, :1], verbose=0)
got = np.array([r.score for r in result])
assert np.allclose(got, expected, atol=1e-5), np.abs(got - expected).max()
print(
    f"ml_stages: a saved and loaded pipeline of VectorAssembler, TFTransformer and "
    f"KerasTransformer equals Keras (max difference {np.abs(got - expected).max():.1e})"
)
spark.stop()
