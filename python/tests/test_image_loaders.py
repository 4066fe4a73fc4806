"""Issue 25, point 4: KerasImageFileTransformer and KerasImageFileEstimator given readImages'
origins (``file:`` URIs) with a loader that opens paths; ``handleInvalid`` for rows whose loader
fails (error by default, skip, keep)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.ml.linalg import Vectors
from sparkdl import KerasImageFileEstimator, KerasImageFileTransformer

JOB_ERRORS = (Py4JJavaError, CapturedException, ValueError)
SIZE = 6


def _path_loader():
    # A closure (cloudpickle ships it by value) that opens plain local paths, as Keras' and
    # PIL's loaders do; a file: URI is no path to them.
    def open_path(path: str) -> np.ndarray:
        from PIL import Image

        return np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0

    return open_path


def _model() -> keras.Model:
    keras.utils.set_random_seed(5)
    return keras.Sequential([
        keras.Input((SIZE, SIZE, 3)),
        keras.layers.Conv2D(2, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2, activation="softmax"),
    ])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loader rule")  # a space: the URI escapes it as %20
    rng = np.random.default_rng(0)
    paths = []
    for i in range(4):
        path = folder / f"img{i}.png"
        Image.fromarray(rng.integers(0, 255, (SIZE, SIZE, 3)).astype(np.uint8)).save(path)
        paths.append(str(path))
    return paths


def _uri_rows(spark, files):
    """readImages' origins for ``files``, the last row a file that does not exist."""
    from sparkdl.image import readImages

    origins = sorted(r.image.origin for r in readImages(files[0].rsplit("/", 1)[0]).collect())
    assert all(o.startswith("file:") for o in origins), origins
    missing = origins[-1].rsplit("/", 1)[0] + "/missing.png"
    return spark.createDataFrame([(o,) for o in origins + [missing]], ["uri"]).coalesce(1), missing


def test_file_uris_reach_the_loader_as_local_paths(spark, files):
    model = _model()
    df, _ = _uri_rows(spark, files)
    df = df.limit(len(files))
    stage = KerasImageFileTransformer(inputCol="uri", outputCol="p", model=model,
                                      imageLoader=_path_loader())
    rows = stage.transform(df).collect()
    assert all(r.p is not None for r in rows), rows
    assert all(r.uri.startswith("file:") for r in rows)  # the column keeps the URIs
    load = _path_loader()
    expected = model.predict(np.stack([load(p) for p in sorted(files)]), verbose=0)
    np.testing.assert_allclose(np.stack([r.p.toArray() for r in sorted(rows)]), expected,
                               atol=1e-5)
    # Python's URIs escape the space (file:///.../loader%20rule0/...): decoded, as no file has
    # the escaped name.
    escaped = spark.createDataFrame([(Path(p).as_uri(),) for p in sorted(files)], ["uri"])
    assert all("%20" in r.uri for r in escaped.collect())
    again = sorted(stage.transform(escaped).collect())
    np.testing.assert_allclose(np.stack([r.p.toArray() for r in again]), expected, atol=1e-5)


def test_a_failing_loader_is_an_error_naming_the_path_and_the_loader_by_default(spark, files):
    df, missing = _uri_rows(spark, files)
    stage = KerasImageFileTransformer(inputCol="uri", outputCol="p", model=_model(),
                                      imageLoader=_path_loader())
    assert stage.getHandleInvalid() == "error"
    with pytest.raises(JOB_ERRORS) as e:
        stage.transform(df).collect()
    message = str(e.value)
    path = missing[len("file:"):]
    assert (f"KerasImageFileTransformer {stage.uid}: imageLoader 'open_path' failed on "
            f"'{path}'") in message, message
    assert "FileNotFoundError" in message and "handleInvalid" in message


def test_handle_invalid_skip_drops_and_keep_keeps_rows_whose_loader_fails(spark, files):
    df, missing = _uri_rows(spark, files)
    for mode, want in (("skip", len(files)), ("keep", len(files) + 1)):
        stage = KerasImageFileTransformer(inputCol="uri", outputCol="p", model=_model(),
                                          imageLoader=_path_loader(), handleInvalid=mode)
        rows = {r.uri: r.p for r in stage.transform(df).collect()}
        assert len(rows) == want, (mode, rows)
        assert (missing in rows) == (mode == "keep")
        if mode == "keep":
            assert rows[missing] is None
        assert all(v is not None for u, v in rows.items() if u != missing)
    with pytest.raises(ValueError, match="handleInvalid"):
        KerasImageFileTransformer(handleInvalid="drop")


def _labelled(spark, df):
    return spark.createDataFrame(
        [(r.uri, Vectors.dense([1.0, 0.0])) for r in df.collect()], ["uri", "label"]
    ).coalesce(1)


def _estimator(model_file, **kwargs) -> KerasImageFileEstimator:
    return KerasImageFileEstimator(
        inputCol="uri", outputCol="p", labelCol="label", modelFile=model_file,
        imageLoader=_path_loader(), kerasOptimizer="sgd", kerasLoss="categorical_crossentropy",
        kerasFitParams={"epochs": 1, "batch_size": 2, "verbose": 0}, **kwargs,
    )


def test_the_estimator_trains_on_file_uris_and_its_loader_failures_follow_handle_invalid(
    spark, files, tmp_path
):
    model_file = str(tmp_path / "m.keras")
    _model().save(model_file)
    df, missing = _uri_rows(spark, files)
    data = _labelled(spark, df)
    est = _estimator(model_file)
    assert est.getHandleInvalid() == "error"
    with pytest.raises(JOB_ERRORS) as e:
        est.fit(data)
    message = str(e.value)
    path = missing[len("file:"):]
    assert (f"KerasImageFileEstimator {est.uid}: imageLoader 'open_path' failed on "
            f"'{path}'") in message, message
    assert "no row is left to train on" not in message
    # skip trains on the images that load (their paths from file: URIs); so does keep, whose
    # null image no training can feed; the fitted transformer gets the value.
    for mode in ("skip", "keep"):
        fitted = _estimator(model_file, handleInvalid=mode).fit(data)
        assert fitted.getHandleInvalid() == mode
        assert len(fitted.history) == 1
        out = fitted.transform(data).collect()
        assert len(out) == len(files) + (mode == "keep")
