"""Real named architectures (seeded random weights) through sparkdl's engine: the store that
``sparkdl.models.prepare`` writes, read by DeepImageFeaturizer and DeepImagePredictor in the JVM,
gives what Keras gives for the same model on the same images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from pyspark.sql import types as T
from sparkdl import models
from sparkdl.image import columnSchema, imageArrayToStruct
from sparkdl.ml import DeepImageFeaturizer, DeepImagePredictor


@pytest.fixture(scope="module")
def store(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("named-store")
    spark.conf.set("spark.sparkdl.modelStore", str(root))
    yield root
    spark.conf.unset("spark.sparkdl.modelStore")


def _images(height: int, width: int) -> list[np.ndarray]:
    """RGB uint8 images at the model's size, a gray and an RGBA one among them."""
    rng = np.random.default_rng(2)
    rgb = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(2)]
    gray = rng.integers(0, 256, (height, width), dtype=np.uint8)
    rgba = np.dstack([rgb[0], np.full((height, width), 255, np.uint8)])
    return [*rgb, gray, rgba]


def _struct(array: np.ndarray, i: int):
    if array.ndim == 2:
        return imageArrayToStruct(array, f"gray{i}")
    order = [2, 1, 0, 3] if array.shape[2] == 4 else [2, 1, 0]
    return imageArrayToStruct(np.ascontiguousarray(array[..., order]), f"img{i}")


def _as_rgb(array: np.ndarray) -> np.ndarray:
    """What the model sees: gray repeated into 3 channels, alpha dropped, as float32."""
    img = Image.fromarray(array).convert("RGB")
    return np.asarray(img, dtype=np.float32)


@pytest.mark.parametrize("name", ["MobileNetV2", "EfficientNetB0"])
def test_named_model_in_the_engine_equals_keras(spark, store, name):
    models.prepare(name, weights="random", seed=0, store=str(store))
    height, width = models.input_size(name)
    images = _images(height, width)
    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("image", columnSchema)])
    df = spark.createDataFrame([(i, _struct(a, i)) for i, a in enumerate(images)], schema)
    keras_model = models.build(name, weights="random", seed=0)
    expected = keras_model.predict(np.stack([_as_rgb(a) for a in images]), verbose=0)
    features = DeepImageFeaturizer(inputCol="image", outputCol="f", modelName=name)
    got = np.stack([r.f.toArray() for r in features.transform(df).orderBy("i").collect()])
    scale = np.abs(expected["features"]).max()
    np.testing.assert_allclose(got, expected["features"], atol=1e-4 * max(scale, 1.0))
    predictor = DeepImagePredictor(inputCol="image", outputCol="p", modelName=name)
    probs = np.stack([r.p.toArray() for r in predictor.transform(df).orderBy("i").collect()])
    np.testing.assert_allclose(probs, expected["predictions"], atol=1e-4)
    top = DeepImagePredictor(inputCol="image", outputCol="top", modelName=name,
                             decodePredictions=True, topK=10).transform(df).head().top
    assert len(top) == 10 and [t.probability for t in top] == sorted(
        (t.probability for t in top), reverse=True)
    wnids = [w for w, _ in models.imagenet_classes()]
    assert top[0]["class"] == wnids[int(np.argmax(expected["predictions"][0]))]


def test_a_large_named_model_runs_with_a_default_driver(spark, store):
    """VGG16 (528 MB of variables) in a JVM of the default 1 GB heap: executors read the model
    from the store by path; packing it into an archive on the driver would not fit."""
    max_heap = spark._jvm.java.lang.Runtime.getRuntime().maxMemory()
    assert max_heap <= 1.1 * 2**30, f"the test needs the default driver memory; heap {max_heap}"
    name = "VGG16"
    models.prepare(name, weights="random", seed=1, store=str(store))
    images = _images(*models.input_size(name))[:2]
    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("image", columnSchema)])
    df = spark.createDataFrame([(i, _struct(a, i)) for i, a in enumerate(images)], schema)
    features = DeepImageFeaturizer(inputCol="image", outputCol="f", modelName=name)
    got = np.stack([r.f.toArray() for r in features.transform(df).orderBy("i").collect()])
    expected = models.build(name, weights="random", seed=1).predict(
        np.stack([_as_rgb(a) for a in images]), verbose=0)["features"]
    np.testing.assert_allclose(got, expected, atol=1e-4 * max(np.abs(expected).max(), 1.0))
