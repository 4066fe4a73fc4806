"""Named models (docs/guide/named-models.md): transfer learning with DeepImageFeaturizer and
LogisticRegression, and DeepImagePredictor's top classes. Seeded random weights, so it runs
offline; with ImageNet weights (`python -m sparkdl.models prepare MobileNetV2`) the same code
transfers real features.

Run: python examples/python/named_models.py
"""

import os
import tempfile
from pathlib import Path

import numpy as np
import sparkdl
from PIL import Image
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.sql import functions as F
from sparkdl import DeepImageFeaturizer, DeepImagePredictor, models, readImages

with tempfile.TemporaryDirectory() as tmp:
    store, folder = Path(tmp) / "store", Path(tmp) / "images"
    folder.mkdir()
    models.prepare("MobileNetV2", weights="random", seed=0, store=str(store))
    os.environ["SPARKDL_MODEL_STORE"] = str(store)  # or the Spark conf spark.sparkdl.modelStore
    spark = sparkdl.session()

    # Two classes: bright and dark images, 224x224 (MobileNetV2's size: no resizing needed).
    rng = np.random.default_rng(0)
    for i in range(24):
        base = 190 if i % 2 == 0 else 60
        pixels = np.clip(rng.normal(base, 40, (224, 224, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{'bright' if i % 2 == 0 else 'dark'}_{i:02d}.png")

    images = readImages(str(folder)).withColumn(
        "label", F.col("origin").contains("bright").cast("double")
    )
    featurizer = DeepImageFeaturizer(
        inputCol="image", outputCol="features", modelName="MobileNetV2"
    )
    lr = LogisticRegression(maxIter=20, regParam=0.05, elasticNetParam=0.3, labelCol="label")
    model = Pipeline(stages=[featurizer, lr]).fit(images)
    predictions = (
        model.transform(images).select("origin", "label", "prediction", "features").collect()
    )
    accuracy = np.mean([r.label == r.prediction for r in predictions])

    # The features equal the Keras model's on the same pixels (RGB; the struct stores BGR).
    keras_model = models.build("MobileNetV2", weights="random", seed=0)
    first = sorted(predictions, key=lambda r: r.origin)[0]
    rgb = np.array(Image.open(folder / Path(first.origin).name), np.float32)[None]
    expected = keras_model.predict(rgb, verbose=0)["features"][0]
    assert np.allclose(first.features.toArray(), expected, atol=1e-4 * np.abs(expected).max())

    top = (
        DeepImagePredictor(
            inputCol="image",
            outputCol="top",
            modelName="MobileNetV2",
            decodePredictions=True,
            topK=3,
        )
        .transform(images)
        .first()
        .top
    )
    assert len(top) == 3 and top[0].probability >= top[1].probability >= top[2].probability
    spark.stop()

print(
    f"named_models: DeepImageFeaturizer + LogisticRegression, training accuracy {accuracy:.2f} "
    f"(random weights); features equal Keras; top-3 classes e.g. {top[0].description!r}"
)
