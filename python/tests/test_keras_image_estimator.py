"""KerasImageFileEstimator: trains a Keras model file on image URIs in Spark tasks; the fitted
KerasImageFileTransformer equals Keras fit on the same images and initial weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image
from pyspark.ml.linalg import Vectors
from sparkdl import KerasImageFileEstimator, KerasImageFileTransformer

SIZE = 8


def _loader():
    # A closure, so that cloudpickle ships it by value to the Python workers (which cannot
    # import this test module).
    def load(uri: str) -> np.ndarray:
        from PIL import Image

        return np.asarray(Image.open(uri).convert("RGB"), dtype=np.float32) / 255.0

    return load


_load = _loader()


@pytest.fixture(scope="module")
def images(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("kife")
    rng = np.random.default_rng(3)
    uris, labels = [], []
    for i in range(24):
        label = i % 2
        pixels = rng.integers(0, 128, (SIZE, SIZE, 3)) + 127 * label  # brighter: class 1
        path = folder / f"{i}.png"
        Image.fromarray(pixels.astype(np.uint8)).save(path)
        uris.append(str(path))
        labels.append(np.eye(2, dtype=np.float32)[label])
    keras.utils.set_random_seed(4)
    model = keras.Sequential([
        keras.Input((SIZE, SIZE, 3)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model_file = str(folder / "model.keras")
    model.save(model_file)
    df = spark.createDataFrame(
        [(u, Vectors.dense(y.tolist())) for u, y in zip(uris, labels, strict=True)],
        ["uri", "label"],
    ).coalesce(1)
    return uris, np.stack(labels), model_file, df


def _estimator(model_file: str, **kwargs) -> KerasImageFileEstimator:
    args = dict(inputCol="uri", outputCol="p", labelCol="label", modelFile=model_file,
                imageLoader=_load, kerasOptimizer="sgd", kerasLoss="categorical_crossentropy",
                kerasFitParams={"epochs": 2, "batch_size": 4, "shuffle": False, "verbose": 0})
    args.update(kwargs)
    return KerasImageFileEstimator(**args)


def _keras_fit(model_file, optimizer, x, y):
    model = keras.models.load_model(model_file)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model.predict(x, verbose=0)


def test_fit_equals_keras_fit_on_the_same_images(images):
    uris, y, model_file, df = images
    x = np.stack([_load(u) for u in uris])
    est = _estimator(model_file)
    fitted = est.fit(df)
    assert isinstance(fitted, KerasImageFileTransformer) and len(fitted.history) == 2
    got = np.stack([r.p.toArray() for r in fitted.transform(df).collect()])
    np.testing.assert_allclose(got, _keras_fit(model_file, "sgd", x, y), atol=1e-5)

    maps = [{est.kerasOptimizer: "adam"}, {est.kerasOptimizer: "sgd", est.outputMode: "array"}]
    fitted = dict(est.fitMultiple(df, maps))
    assert sorted(fitted) == [0, 1]
    adam = np.stack([r.p.toArray() for r in fitted[0].transform(df).collect()])
    np.testing.assert_allclose(adam, _keras_fit(model_file, "adam", x, y), atol=1e-5)
    sgd = np.array([r.p for r in fitted[1].transform(df).collect()], np.float32)
    np.testing.assert_allclose(sgd, _keras_fit(model_file, "sgd", x, y), atol=1e-5)


def test_param_errors_name_the_param(images, spark):
    _, _, model_file, df = images
    with pytest.raises(ValueError, match="param imageLoader is not set"):
        KerasImageFileEstimator(inputCol="uri", outputCol="p", labelCol="label",
                                modelFile=model_file, kerasOptimizer="sgd",
                                kerasLoss="mse").fit(df)
    est = _estimator(model_file)
    with pytest.raises(ValueError, match=r"params \['modelFile'\] may not vary"):
        est.fit(df, [{est.modelFile: "other.keras"}])
    with pytest.raises(ValueError, match="kerasFitParams .*'steps'"):
        _estimator(model_file, kerasFitParams={"steps": 3}).fit(df)
    with pytest.raises(ValueError, match="modelFile '/nope.keras' does not exist"):
        _estimator("/nope.keras").fit(df)
    strings = df.selectExpr("uri", "'cat' AS label")
    with pytest.raises(ValueError, match="labelCol 'label' has type string; expected one-hot"):
        est.fit(strings)
    with pytest.raises(ValueError, match="inputCol 'nope' is not a column"):
        _estimator(model_file, inputCol="nope").fit(df)


def _small_loader():
    def load(uri: str) -> np.ndarray:  # half the model's size: a loader that does not resize
        return np.zeros((SIZE // 2, SIZE // 2, 3), np.float32)

    return load


def test_training_errors_name_the_users_columns(images):
    _, _, model_file, df = images
    with pytest.raises(Exception) as e:  # noqa: PT011 (a failed Spark job, py4j or captured)
        _estimator(model_file, imageLoader=_small_loader()).fit(df)
    message = str(e.value)
    assert "inputCol column 'uri' has a cell of shape [4,4,3] where [8,8,3]" in message
    assert "__sparkdl_" not in message and "inputMapping" not in message


def test_validation_split_splits_as_keras_fit(images):
    # Keras trains on the first floor(24 * 0.7) = 16 images (not 24 - floor(7.2) = 17).
    uris, y, model_file, df = images
    x = np.stack([_load(u) for u in uris])
    model = keras.models.load_model(model_file)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    want = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, validation_split=0.3,
                     verbose=0).history
    fit_params = {"epochs": 2, "batch_size": 4, "shuffle": False, "verbose": 0,
                  "validation_split": 0.3}
    history = _estimator(model_file, kerasFitParams=fit_params).fit(df).history
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose([h[key] for h in history], want[key], rtol=1e-5, err_msg=key)


def _failing_loader():
    def load(uri: str) -> np.ndarray:
        raise OSError(f"cannot read {uri}")

    return load


def test_a_loader_that_fails_on_every_image_is_named_with_its_error(images):
    uris, _, model_file, df = images
    est = _estimator(model_file, imageLoader=_failing_loader())
    with pytest.raises(Exception) as e:  # noqa: PT011 - the training job's error, by message
        est.fit(df)
    message = str(e.value)
    assert f"KerasImageFileEstimator {est.uid}: imageLoader 'load' failed on " in message
    assert any(f"'{u}': OSError: cannot read {u}" in message for u in uris), message


def test_a_model_file_without_trainable_weights_is_refused_naming_the_estimator(images, tmp_path):
    _, _, model_file, df = images
    frozen = keras.models.load_model(model_file)
    frozen.trainable = False
    frozen_file = str(tmp_path / "frozen.keras")
    frozen.save(frozen_file)
    est = _estimator(frozen_file)
    with pytest.raises(ValueError, match=rf"KerasImageFileEstimator {est.uid}: modelFile "
                       r"'.*frozen.keras': the Keras model '.*' has no trainable weights"):
        est.fit(df)


def test_two_workers_equal_keras_fit_on_the_same_global_batches(images):
    """numWorkers=2: worker 0 trains images 0-11 and worker 1 images 12-23 in local batches of 2,
    so global batch s is images 2s, 2s+1, 12+2s, 13+2s: Keras' fit on that order, batches of 4."""
    uris, y, model_file, df = images
    x = np.stack([_load(u) for u in uris])
    order = [i for s in range(6) for i in (2 * s, 2 * s + 1, 12 + 2 * s, 13 + 2 * s)]
    model = keras.models.load_model(model_file)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x[order], y[order], batch_size=4, epochs=2, shuffle=False, verbose=0)
    est = _estimator(model_file, numWorkers=2)
    assert est.getNumWorkers() == 2
    fitted = est.fit(df)
    got = np.stack([r.p.toArray() for r in fitted.transform(df).collect()])
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)


def test_the_estimator_and_its_transformer_declare_their_shared_params_once():
    # One declaration each (the fitted transformer gets the estimator's values): a doc or a
    # converter changed on one side can no longer leave the other behind.
    from sparkdl.keras_image import KerasImageFileEstimator, KerasImageFileTransformer

    shared = ["inputCol", "outputCol", "modelFile", "imageLoader", "outputMode",
              "kerasFitParams", "handleInvalid"]
    for name in shared:
        declared = getattr(KerasImageFileEstimator, name)
        assert declared is getattr(KerasImageFileTransformer, name), name
    estimator, transformer = KerasImageFileEstimator(), KerasImageFileTransformer()
    for name in ["outputMode", "kerasFitParams", "handleInvalid"]:
        assert estimator.getOrDefault(name) == transformer.getOrDefault(name), name
