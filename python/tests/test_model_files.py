"""Model files from the user: Keras files in safe mode, SavedModels read by path, and errors
that name the user's path or file (issue 14's security and error items)."""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
from sparkdl import _connect
from sparkdl.ml import KerasTransformer
from sparkdl.model import TFModel


@pytest.fixture(scope="module")
def features() -> np.ndarray:
    return np.random.default_rng(5).normal(size=(12, 4)).astype(np.float32)


@pytest.fixture(scope="module")
def features_df(spark, features):
    rows = [(i, [float(v) for v in f]) for i, f in enumerate(features)]
    return spark.createDataFrame(rows, "id long, features array<float>")


def _column(df, col: str) -> np.ndarray:
    rows = df.orderBy("id").select(col).collect()
    return np.array([np.asarray(r[0], dtype=np.float64) for r in rows])


def _lambda_file(tmp_path: Path, marker: Path) -> Path:
    """A .keras file whose Lambda layer carries Python bytecode (Keras saves a lambda's code)
    that, when run, writes `marker`."""
    doubled = eval(  # a lambda whose code names the marker as a constant, as an attacker's would
        f"lambda x: (__import__('pathlib').Path({str(marker)!r}).write_text('ran'), x * 2.0)[1]"
    )
    model = keras.Sequential([keras.Input((4,), name="x"), keras.layers.Lambda(doubled)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    marker.unlink(missing_ok=True)  # building the model ran it once
    return path


def test_keras_files_load_in_safe_mode_by_default(tmp_path, features_df, features):
    marker = tmp_path / "ran"
    path = _lambda_file(tmp_path, marker)
    with pytest.raises(ValueError, match="safe_mode"):
        TFModel.from_keras(str(path))
    with pytest.raises(ValueError, match="safe_mode"):
        KerasTransformer(model=str(path), inputCol="features", outputCol="y")
    assert not marker.exists(), "loading a Keras file in safe mode ran code from it"
    # Opting out (a file trusted as code) loads it, and then its code runs.
    t = KerasTransformer(model=str(path), safe_mode=False, inputCol="features", outputCol="y")
    np.testing.assert_allclose(_column(t.transform(features_df), "y"), features * 2, atol=1e-6)


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04 a broken zip"])
@pytest.mark.parametrize(("suffix", "why"), [(".keras", "zip archive"), (".h5", "HDF5 file")])
def test_a_corrupt_keras_file_is_named_as_such(tmp_path, content, suffix, why):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"'{path}' is not a Keras file: not an? .*{why}"):
        TFModel.from_keras(str(path))


def _saved_model(tmp_path: Path, name: str) -> tuple[Path, keras.Model]:
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,), name="x"), keras.layers.Dense(3)])
    path = tmp_path / name
    model.export(str(path), format="tf_saved_model", verbose=False)
    return path, model


def test_a_saved_model_read_by_path_equals_keras(spark, tmp_path, features_df, features):
    path, model = _saved_model(tmp_path, "by_path")
    by_path = TFModel.from_saved_model(str(path), by_path=True)
    source = by_path._to_java(spark).source()
    assert source.getClass().getSimpleName() == "SavedModelReference"
    assert "read by each executor" in source.describe()
    t = KerasTransformer(model=by_path, inputCol="features", outputCol="y")
    np.testing.assert_allclose(_column(t.transform(features_df), "y"),
                               model.predict(features, verbose=0), atol=1e-5)


def _java_error(call) -> str:
    with pytest.raises(Exception) as e:  # noqa: PT011 (py4j, PySpark or Python errors alike)
        call()
    return str(e.value)


def test_saved_model_errors_name_the_users_path(spark, tmp_path, features_df):
    path, _ = _saved_model(tmp_path, "no_vars")
    shutil.rmtree(path / "variables")

    def transform(by_path: bool):
        model = TFModel.from_saved_model(str(path), by_path=by_path)
        KerasTransformer(model=model, inputCol="features", outputCol="y").transform(features_df)

    for by_path in (False, True):
        message = _java_error(lambda b=by_path: transform(b))
        assert str(path) in message and "variables/variables.index" in message, message
        assert "uninitialized" not in message.lower()
    with pytest.raises(ValueError, match="tags must be non-empty"):
        TFModel.from_saved_model(str(path), tags=[])
    empty, _ = _saved_model(tmp_path, "empty_pb")
    (empty / "saved_model.pb").write_bytes(b"")
    message = _java_error(lambda: KerasTransformer(
        model=TFModel.from_saved_model(str(empty)), inputCol="features", outputCol="y"
    ).transform(features_df))
    assert f"{empty}/saved_model.pb" in message and "no MetaGraphs" in message, message


def test_links_in_a_saved_model_directory_are_refused_naming_them(spark, tmp_path, features_df):
    """Read on the driver (classic), by path, or packed by a Spark Connect client: a symbolic
    link in the directory (an asset leading outside it, a link loop) is refused, naming it."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not the model's")
    path, _ = _saved_model(tmp_path, "linked_asset")
    (path / "assets").mkdir(exist_ok=True)
    (path / "assets" / "innocent.txt").symlink_to(secret)
    looped, _ = _saved_model(tmp_path, "linked_loop")
    (looped / "loop").symlink_to(".")
    for directory, link in ((path, "assets/innocent.txt"), (looped, "loop")):
        for by_path in (False, True):
            message = _java_error(lambda d=directory, b=by_path: KerasTransformer(
                model=TFModel.from_saved_model(str(d), by_path=b),
                inputCol="features", outputCol="y",
            ).transform(features_df))  # fmt: skip
            assert f"'{directory}/{link}' is a symbolic link" in message, message
        with pytest.raises(ValueError, match="is a symbolic link") as e:
            _connect.encode_model(TFModel.from_saved_model(str(directory)))
        assert f"'{directory}/{link}'" in str(e.value)
