"""Issue 25, point 15: DeepImageFeaturizer keeps the pooled features by default and gives sparkdl
1.x's layout (the last convolution block, flattened) with featureLayout="flattened"; values
against Keras on the same images (seeded random weights, no downloads)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from pyspark.sql import types as T
from sparkdl import models
from sparkdl.image import columnSchema, imageArrayToStruct
from sparkdl.ml import DeepImageFeaturizer

# sparkdl 1.x's featurizer output sizes (its include_top=False model, flattened; ResNet50 as
# Keras 2.2.4, 1.x's pinned version, built it: 7 x 7 x 2048).
ONE_X = {"InceptionV3": 131072, "Xception": 204800, "ResNet50": 100352, "VGG16": 25088,
         "VGG19": 25088}


@pytest.fixture(scope="module")
def store(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("layout-store")
    spark.conf.set("spark.sparkdl.modelStore", str(root))
    models.prepare("MobileNetV2", weights="random", seed=3, store=str(root))
    yield root
    spark.conf.unset("spark.sparkdl.modelStore")


def _images(spark):
    rng = np.random.default_rng(4)
    arrays = [rng.integers(0, 256, (224, 224, 3), dtype=np.uint8) for _ in range(3)]
    schema = T.StructType([T.StructField("i", T.LongType()), T.StructField("image", columnSchema)])
    rows = [(i, imageArrayToStruct(np.ascontiguousarray(a[..., ::-1]), f"img{i}"))
            for i, a in enumerate(arrays)]
    return np.stack(arrays).astype(np.float32), spark.createDataFrame(rows, schema)


def test_flattened_layout_is_the_last_convolution_block_as_keras_gives_it(spark, store):
    x, df = _images(spark)
    expected = models.build("MobileNetV2", weights="random", seed=3).predict(x, verbose=0)
    stage = DeepImageFeaturizer(inputCol="image", outputCol="f", modelName="MobileNetV2")
    assert stage.getFeatureLayout() == "pooled"
    pooled = np.stack([r.f.toArray() for r in stage.transform(df).orderBy("i").collect()])
    assert pooled.shape == (3, 1280)
    np.testing.assert_allclose(pooled, expected["features"],
                               atol=1e-4 * max(np.abs(expected["features"]).max(), 1.0))
    stage.setFeatureLayout("flattened")
    flat = np.stack([r.f.toArray() for r in stage.transform(df).orderBy("i").collect()])
    assert flat.shape == (3, models.flattened_dim("MobileNetV2")) == (3, 7 * 7 * 1280)
    np.testing.assert_allclose(flat, expected["flattened"],
                               atol=1e-4 * max(np.abs(expected["flattened"]).max(), 1.0))
    with pytest.raises(Exception, match="featureLayout"):
        stage.setFeatureLayout("flat").transform(df)


def test_a_store_entry_without_the_flattened_output_says_to_prepare_it_again(spark, store,
                                                                              tmp_path):
    old = tmp_path / "old-store"
    shutil.copytree(store / "MobileNetV2", old / "MobileNetV2")
    meta = json.loads((old / "MobileNetV2" / "model.json").read_text())
    del meta["flattenedDim"]
    (old / "MobileNetV2" / "model.json").write_text(json.dumps(meta))
    _, df = _images(spark)
    spark.conf.set("spark.sparkdl.modelStore", str(old))
    try:
        stage = DeepImageFeaturizer(inputCol="image", outputCol="f", modelName="MobileNetV2",
                                    featureLayout="flattened")
        with pytest.raises(Exception) as e:
            stage.transform(df).collect()
    finally:
        spark.conf.set("spark.sparkdl.modelStore", str(store))
    assert "featureLayout 'flattened'" in str(e.value)
    assert "python -m sparkdl.models prepare MobileNetV2 --overwrite" in str(e.value)


@pytest.mark.parametrize("name", sorted(ONE_X))
def test_flattened_sizes_are_sparkdl_1x_sizes(name):
    import keras

    # 1.x's features: the application without its top, flattened (built without weights).
    size = models.input_size(name)
    base = models.spec(name).application()(weights=None, include_top=False,
                                           input_shape=(*size, 3))
    assert int(np.prod(base.output.shape[1:])) == ONE_X[name] == models.flattened_dim(name)
    keras.backend.clear_session()
