"""sparkdl 1.x's Python API, as docs/migration.md promises it: the names 1.x code calls, with 1.x's
signatures and behaviour, checked against Keras/numpy on the same inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import sparkdl
import tensorflow as tf
from PIL import Image
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.linalg import Vectors
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql.types import StructField, StructType
from sparkdl import KerasImageFileEstimator, KerasImageFileTransformer, KerasTransformer
from sparkdl.image import columnSchema, imageArrayToStruct, imageStructToArray

SIZE = 6


def _loader():
    # A closure, so that cloudpickle ships it by value to the Python workers.
    def load(uri: str) -> np.ndarray:
        from PIL import Image

        return np.asarray(Image.open(uri).convert("RGB"), dtype=np.float32) / 255.0

    return load


_load = _loader()


@pytest.fixture(scope="module")
def images(spark, tmp_path_factory):
    """16 RGB PNGs of two classes, a Keras model file for them, and their DataFrame (uri, one-hot
    label, numeric label)."""
    folder = tmp_path_factory.mktemp("compat1x")
    rng = np.random.default_rng(5)
    rows = []
    for i in range(16):
        label = i % 2
        pixels = rng.integers(0, 128, (SIZE, SIZE, 3)) + 127 * label
        path = folder / f"{i}.png"
        Image.fromarray(pixels.astype(np.uint8)).save(path)
        rows.append((str(path), Vectors.dense(np.eye(2)[label].tolist()), float(label)))
    keras.utils.set_random_seed(6)
    model = keras.Sequential([
        keras.Input((SIZE, SIZE, 3)),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model_file = str(folder / "model.keras")
    model.save(model_file)
    df = spark.createDataFrame(rows, ["uri", "onehot", "y"]).coalesce(1)
    return folder, model_file, df


def _estimator(model_file: str) -> KerasImageFileEstimator:
    return KerasImageFileEstimator(
        inputCol="uri", outputCol="p", labelCol="onehot", modelFile=model_file,
        imageLoader=_load, kerasOptimizer="sgd", kerasLoss="categorical_crossentropy",
        kerasFitParams={"epochs": 1, "batch_size": 4, "verbose": 0},
    )


# ---- 12. KerasTransformer(modelFile=) ---------------------------------------------------------


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_transformer_takes_1x_model_file(spark, tmp_path, suffix):
    x = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    path = str(tmp_path / f"m{suffix}")
    model.save(path)
    df = spark.createDataFrame([([float(v) for v in r],) for r in x], ["features"])

    t = KerasTransformer(inputCol="features", outputCol="out", modelFile=path)
    assert t.getModelFile() == path and t.copy().getModelFile() == path
    got = np.array([r.out for r in t.transform(df).orderBy("features").collect()])
    want_rows = sorted(x.tolist())
    np.testing.assert_allclose(got, model.predict(np.array(want_rows, np.float32), verbose=0),
                               atol=1e-5)

    other = KerasTransformer(inputCol="features", outputCol="out")
    assert other.getModelFile() is None
    assert other.setModelFile(path) is other and other.getModelFile() == path
    assert other.setParams(modelFile=path, outputCol="o2") is other
    assert other.getOutputCol() == "o2" and other.getModelFile() == path
    other.setModel(model)  # a model object: no file any more
    assert other.getModelFile() is None
    with pytest.raises(ValueError, match="pass model or modelFile"):
        KerasTransformer(model=model, modelFile=path)
    with pytest.raises(TypeError, match="modelFile: expected the path of a Keras file"):
        KerasTransformer(modelFile=3)


# ---- 13. KerasImageFileEstimator's 1.x setters and getters ------------------------------------


def test_estimator_has_1x_setters_and_getters_with_1x_defaults():
    est = KerasImageFileEstimator()
    assert est.getKerasOptimizer() == "adam"
    assert est.getKerasFitParams() == {"verbose": 1}
    assert est.getOutputMode() == "vector"
    assert est.getOutputCol() == est.uid + "__output"

    loader = _loader()
    values = {
        "InputCol": "uri", "OutputCol": "out", "LabelCol": "label", "ModelFile": "/m.h5",
        "ImageLoader": loader, "KerasOptimizer": "sgd", "KerasLoss": "mse",
        "KerasFitParams": {"epochs": 3}, "OutputMode": "array",
    }
    for name, value in values.items():
        assert getattr(est, f"set{name}")(value) is est, name
        assert getattr(est, f"get{name}")() == value, name


# ---- 14. the fitted transformer carries the estimator's params --------------------------------


def test_fitted_transformer_has_the_estimators_params(images):
    _, model_file, df = images
    est = _estimator(model_file)
    fitted = est.fit(df)
    for name in ("inputCol", "outputCol", "modelFile", "imageLoader", "outputMode",
                 "kerasFitParams"):
        assert fitted.getOrDefault(name) == est.getOrDefault(name), name
    assert fitted.getKerasFitParams() == {"epochs": 1, "batch_size": 4, "verbose": 0}

    x = np.stack([_load(r.uri) for r in df.collect()])
    untrained = keras.models.load_model(model_file).predict(x, verbose=0)
    trained = np.stack([r.p.toArray() for r in fitted.transform(df).collect()])
    assert np.abs(trained - untrained).max() > 1e-4  # it runs the trained model ...
    fitted.setModelFile(model_file)  # ... until a model file is set: then that file's model
    again = np.stack([r.p.toArray() for r in fitted.transform(df).collect()])
    np.testing.assert_allclose(again, untrained, atol=1e-5)


def test_cross_validator_best_model_has_the_tuned_fit_params(images):
    _, model_file, df = images
    est = _estimator(model_file)
    grid = (ParamGridBuilder()
            .addGrid(est.kerasFitParams, [{"batch_size": 4, "verbose": 0},
                                          {"batch_size": 8, "verbose": 0}])
            .build())
    evaluator = BinaryClassificationEvaluator(rawPredictionCol="p", labelCol="y")
    cv = CrossValidator(estimator=est, estimatorParamMaps=grid, evaluator=evaluator, numFolds=2,
                        seed=1)
    best = cv.fit(df).bestModel
    assert isinstance(best, KerasImageFileTransformer)
    assert "batch_size" in best.getKerasFitParams()
    assert best.getKerasFitParams() in [m[est.kerasFitParams] for m in grid]
    assert best.getModelFile() == model_file


# ---- 16. 1.x names: imageInputPlaceholder, imageIO.filesToDF, loadImagesInternal ---------------


def test_load_images_internal_stores_the_loaders_rgb_as_bgr(images):
    folder, _, df = images

    def failing_for_odd(uri: str) -> np.ndarray:
        from PIL import Image

        if uri.endswith(("1.png", "3.png", "5.png", "7.png", "9.png")):
            raise OSError("unreadable")
        return np.asarray(Image.open(uri).convert("RGB"), dtype=np.float32) / 255.0

    for stage in (KerasImageFileTransformer(imageLoader=failing_for_odd),
                  KerasImageFileEstimator(imageLoader=failing_for_odd)):
        rows = stage.loadImagesInternal(df, "uri").collect()
        assert len(rows) == 16
        for r in rows:
            if r.uri.endswith(("1.png", "3.png", "5.png", "7.png", "9.png")):
                assert r["__sdl_img"] is None
            else:
                np.testing.assert_array_equal(imageStructToArray(r["__sdl_img"]),
                                              _load(r.uri)[..., ::-1])
                assert r["__sdl_img"].origin == r.uri
        with pytest.raises(ValueError, match="inputCol 'nope' is not a column"):
            stage.loadImagesInternal(df, "nope")


def test_files_to_df_reads_paths_and_bytes(spark, images):
    folder, _, _ = images
    sc = spark.sparkContext
    df = sparkdl.image.imageIO.filesToDF(sc, str(folder / "*.png"), numPartitions=3)
    assert [(f.name, f.dataType.simpleString(), f.nullable) for f in df.schema.fields] == [
        ("filePath", "string", False), ("fileData", "binary", False)]
    assert df.rdd.getNumPartitions() == 3
    rows = df.collect()
    assert len(rows) == 16
    for r in rows:
        assert bytes(r.fileData) == open(r.filePath.removeprefix("file:"), "rb").read()
    assert sparkdl.image.filesToDF(sc, str(folder / "0.png")).count() == 1


def test_image_input_placeholder_feeds_tf_image_transformer(spark):
    assert "imageInputPlaceholder" in sparkdl.__all__
    from sparkdl import imageInputPlaceholder
    from sparkdl.transformers.utils import imageInputPlaceholder as by_1x_path

    assert by_1x_path is imageInputPlaceholder

    with pytest.raises(RuntimeError, match=r"inside `with tf.Graph\(\).as_default\(\):`"):
        imageInputPlaceholder()
    with tf.Graph().as_default() as g:
        x = imageInputPlaceholder(nChannels=3)
        assert x.name == "sparkdl_image_input:0" and x.shape.as_list() == [None, None, None, 3]
        out = tf.reduce_mean(x, axis=[1, 2], name="mean")
    pixels = np.random.default_rng(2).integers(0, 255, (3, 4, 5, 3)).astype(np.uint8)
    schema = StructType([StructField("image", columnSchema)])
    df = spark.createDataFrame([(imageArrayToStruct(p),) for p in pixels], schema)
    t = sparkdl.TFImageTransformer(inputCol="image", outputCol="m", graph=g, inputTensor=x,
                                   outputTensor=out, channelOrder="BGR", outputMode="vector")
    got = np.stack([r.m.toArray() for r in t.transform(df).collect()])
    np.testing.assert_allclose(got, pixels.astype(np.float32).mean(axis=(1, 2)), rtol=1e-5)


def test_pil_decode_and_resize_and_fix_color_channel_ordering(images):
    from sparkdl.image.imageIO import PIL_decode_and_resize, fixColorChannelOrdering

    folder, _, _ = images
    path = folder / "0.png"
    with Image.open(path) as img:
        want = np.asarray(img.convert("RGB").resize((3, 2)))[..., ::-1]
    np.testing.assert_array_equal(PIL_decode_and_resize((3, 2))(path.read_bytes()), want)

    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    np.testing.assert_array_equal(fixColorChannelOrdering("RGB", rgb), rgb[..., ::-1])
    assert fixColorChannelOrdering("BGR", rgb) is rgb
    gray = rgb[..., 0]
    assert fixColorChannelOrdering("L", gray) is gray
    with pytest.raises(ValueError, match="'L' is one channel.*got shape \\(2, 3, 3\\)"):
        fixColorChannelOrdering("L", rgb)
    with pytest.raises(ValueError, match="currentOrder is 'HSV'"):
        fixColorChannelOrdering("HSV", rgb)


def test_register_keras_image_udf_takes_1x_keywords(spark, images):
    from sparkdl.udf import registerKerasImageUDF

    folder, model_file, _ = images
    registerKerasImageUDF(udf_name="compat_probs", keras_model_or_file_path=model_file)
    df = sparkdl.readImages(str(folder), dropInvalid=True)  # the folder holds model.keras too
    got = {
        r.origin: np.asarray(r.p)
        for r in df.selectExpr("origin", "compat_probs(image) AS p").collect()
    }
    model = keras.models.load_model(model_file)
    origin = sorted(got)[0]
    rgb = np.asarray(Image.open(origin.removeprefix("file:")).convert("RGB"), np.float32)[None]
    np.testing.assert_allclose(got[origin], model.predict(rgb, verbose=0)[0], atol=1e-5)
    with pytest.raises(TypeError, match="not both"):
        registerKerasImageUDF(spark, "x", model_file, udf_name="y")
