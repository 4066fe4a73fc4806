"""Training and tuning (docs/guide/training.md): a Keras model trained inside Spark tasks,
tuned with CrossValidator (Spark's stock evaluator) running two fits at once, the best model
saved and loaded.

Run: python examples/python/training.py
"""

import tempfile

import numpy as np
import sparkdl
import tensorflow as tf
from pyspark.ml.evaluation import MulticlassClassificationEvaluator
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
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
    predictionCol="prediction",
    epochs=5,
    batchSize=32,
)
grid = ParamGridBuilder().addGrid(estimator.learningRate, [0.0001, 0.01]).build()


# The fitted model's predictionCol (the most probable class, a double) is what Spark's stock
# evaluator reads, as for MLlib's own classifiers.
evaluator = MulticlassClassificationEvaluator(metricName="accuracy", labelCol="label")
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
