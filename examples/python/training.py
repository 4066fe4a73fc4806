"""Training and tuning (docs/guide/training.md): a Keras model trained inside Spark tasks,
tuned with CrossValidator running two fits at once, the best model saved and loaded.

Run: python examples/python/training.py
"""

import tempfile

import numpy as np
import sparkdl
import tensorflow as tf
from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import functions as F
from sparkdl.ml import KerasEstimator, TFEstimatorModel

spark = sparkdl.session()

# Three seeded blobs in 4 dimensions; label = the blob.
rng = np.random.default_rng(0)
centers = rng.normal(0, 4, (3, 4))
labels = rng.integers(0, 3, 1200)
points = centers[labels] + rng.normal(0, 1, (1200, 4))
df = spark.createDataFrame(
    [(p.astype(np.float32).tolist(), float(y)) for p, y in zip(points, labels, strict=True)],
    ["features", "label"],
)

tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential(
    [
        tf.keras.Input((4,)),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dense(3, activation="softmax"),
    ]
)
estimator = KerasEstimator(
    model=model,
    loss="sparse_categorical_crossentropy",
    optimizer="adam",
    metrics=["accuracy"],
    inputCol="features",
    labelCol="label",
    outputCol="probs",
    epochs=5,
    batchSize=32,
)
grid = ParamGridBuilder().addGrid(estimator.learningRate, [0.0001, 0.01]).build()


class ArgmaxEvaluator(MulticlassClassificationEvaluator):
    """Accuracy of the most probable class in ``probs`` (an array column)."""

    def _evaluate(self, dataset):
        predicted = dataset.withColumn(
            "prediction", F.array_position(F.col("probs"), F.array_max("probs")).cast("double") - 1
        )
        return super()._evaluate(predicted)


evaluator = ArgmaxEvaluator(metricName="accuracy", labelCol="label")
cv = CrossValidator(
    estimator=estimator,
    estimatorParamMaps=grid,
    evaluator=evaluator,
    numFolds=2,
    parallelism=2,
    seed=1,
)
tuned = cv.fit(df)
best = tuned.bestModel
with tempfile.TemporaryDirectory() as tmp:
    best.write().overwrite().save(f"{tmp}/best")
    loaded = TFEstimatorModel.load(f"{tmp}/best")
    accuracy = evaluator.evaluate(loaded.transform(df))

best_rate = grid[int(np.argmax(tuned.avgMetrics))][estimator.learningRate]
assert best_rate == 0.01, "the larger learning rate should win in 5 epochs"
assert accuracy > 0.9, accuracy
print(
    f"training: CrossValidator (2 folds, 2 fits at once) picked learningRate {best_rate} "
    f"(accuracies {[round(float(m), 3) for m in tuned.avgMetrics]}); the saved and loaded best "
    f"model has accuracy {accuracy:.3f}; its last epoch: {best.history[-1]}"
)
spark.stop()
