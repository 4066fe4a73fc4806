"""sparkdl.models: every named model's SavedModel equals Keras' application with the same
weights; weights files are checked; nothing is ever downloaded (no test has network)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sparkdl import models
from sparkdl.models import __main__ as cli
from sparkdl.models._catalog import SPECS

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

SEED = 17


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """Keras' cache is an empty directory and any download attempt fails loudly."""

    def refuse(*args, **kwargs):
        raise ConnectionError("tests have no network")

    from keras.src.utils import file_utils

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(keras.utils, "get_file", refuse)
    monkeypatch.setattr(file_utils, "get_file", refuse)
    monkeypatch.setattr(file_utils, "urlretrieve", refuse)


def _images(name: str, n: int = 2) -> np.ndarray:
    height, width = models.input_size(name)
    rng = np.random.default_rng(len(name))
    return rng.uniform(0, 255, (n, height, width, 3)).astype(np.float32)


def _keras_outputs(model, name: str, images: np.ndarray) -> tuple[np.ndarray, ...]:
    """Keras' application and its preprocess_input: features (the classifier's input), the last
    convolution block flattened (what the top's last pooling or Flatten layer reads: 1.x's
    features) and predictions."""
    pre = SPECS[name].preprocess_input()(images.copy())
    top = [layer for layer in model.layers
           if isinstance(layer, (keras.layers.GlobalAveragePooling2D, keras.layers.Flatten))][-1]
    probe = keras.Model(model.input, [model.layers[-1].input, top.input, model.output])
    features, block, predictions = probe(pre, training=False)
    block = np.asarray(block)
    return np.asarray(features), block.reshape(len(block), -1), np.asarray(predictions)


def _assert_close(actual, expected, what: str) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, what
    scale = max(float(np.abs(expected).max()), 1e-12)
    assert float(np.abs(actual - expected).max()) <= 1e-4 * scale, what


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return str(tmp_path_factory.mktemp("store"))


@pytest.mark.parametrize("name", models.NAMES)
def test_saved_model_equals_keras(store, name):
    directory = models.prepare(name, "random", store=store, seed=SEED)
    assert directory == os.path.join(store, name)
    meta = json.loads(open(os.path.join(directory, "model.json")).read())
    height, width = models.input_size(name)
    assert meta == {
        "name": name,
        "inputHeight": height,
        "inputWidth": width,
        "featureDim": models.feature_dim(name),
        "flattenedDim": models.flattened_dim(name),
        "numClasses": 1000,
        "weights": f"random:{SEED}",
    }
    assert (height, width) == ((299, 299) if name in ("InceptionV3", "Xception") else (224, 224))

    signature = tf.saved_model.load(models.saved_model_dir(name, store)).signatures[
        "serving_default"
    ]
    (spec,) = signature.structured_input_signature[1].values()
    assert list(signature.structured_input_signature[1]) == ["image"]
    assert spec.dtype == tf.float32 and spec.shape.as_list() == [None, height, width, 3]
    assert sorted(signature.structured_outputs) == ["features", "flattened", "predictions"]

    images = _images(name)
    out = signature(image=tf.constant(images))
    keras.utils.set_random_seed(SEED)
    reference = getattr(keras.applications, name)(weights=None)
    features, flattened, predictions = _keras_outputs(reference, name, images)
    assert features.shape == (2, models.feature_dim(name))
    assert flattened.shape == (2, models.flattened_dim(name))
    _assert_close(out["features"], features, f"{name} features")
    _assert_close(out["flattened"], flattened, f"{name} flattened")
    _assert_close(out["predictions"], predictions, f"{name} predictions")
    np.testing.assert_allclose(np.asarray(out["predictions"]).sum(axis=1), 1, rtol=1e-4)
    keras.backend.clear_session()


def test_prepare_is_idempotent_and_overwrites_on_request(tmp_path):
    store = str(tmp_path / "s")
    directory = models.prepare("MobileNetV2", "random", store=store, seed=1)
    meta = os.path.join(directory, "model.json")
    before = os.stat(meta).st_mtime_ns
    with pytest.warns(UserWarning, match="random:1"):
        assert models.prepare("MobileNetV2", "random", store=store, seed=2) == directory
    assert os.stat(meta).st_mtime_ns == before
    models.prepare("MobileNetV2", "random", store=f"file://{store}", seed=2, overwrite=True)
    assert json.loads(open(meta).read())["weights"] == "random:2"
    # No staging directory left; the lock file stays (see models._store_lock).
    assert sorted(os.listdir(store)) == [".MobileNetV2.lock", "MobileNetV2"]


def test_a_concurrent_prepare_waits_then_keeps_the_first_model(tmp_path):
    """While one prepare holds the store's lock for a name, a second (another process, other
    seed) waits, says so, then finds the first's model and keeps it: the last never silently
    wins."""
    first = models.prepare("MobileNetV2", "random", store=str(tmp_path / "built"), seed=1)
    store = tmp_path / "s"
    store.mkdir()
    lock = os.open(store / ".MobileNetV2.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the first prepare, running
    python_path = str(Path(models.__file__).parents[2])
    second = subprocess.Popen(
        [sys.executable, "-m", "sparkdl.models", "prepare", "MobileNetV2",
         "--weights", "random", "--seed", "2", "--store", str(store)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": python_path},
    )  # fmt: skip
    try:
        said = []
        for line in second.stderr:  # it says it waits before it builds or writes anything
            said.append(line)
            if "waiting for it to finish" in line:
                break
        else:
            pytest.fail(f"the second prepare did not wait for the lock: {''.join(said)[-2000:]}")
        assert str(store / ".MobileNetV2.lock") in said[-1]
        shutil.copytree(first, store / "MobileNetV2")  # the first prepare's model, complete
    finally:
        os.close(lock)  # the first prepare ends
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err[-2000:]
    assert out.strip() == str(store / "MobileNetV2")
    assert "'random:1'; kept" in err, err[-2000:]
    assert json.loads((store / "MobileNetV2" / "model.json").read_text())["weights"] == "random:1"


def test_missing_model_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m sparkdl.models prepare ResNet50"):
        models.saved_model_dir("ResNet50", str(tmp_path))


def test_store_root(monkeypatch, tmp_path):
    class Conf:
        def __init__(self, values):
            self.values = values

        def get(self, key, default=None):
            return self.values.get(key, default)

    class Spark:
        def __init__(self, values):
            self.conf = Conf(values)

    monkeypatch.delenv("SPARKDL_MODEL_STORE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert models.store_root(Spark({})) == str(tmp_path / ".cache/sparkdl/models")
    monkeypatch.setenv("SPARKDL_MODEL_STORE", "/env/store")
    assert models.store_root(Spark({})) == "/env/store"
    conf = {"spark.sparkdl.modelStore": "hdfs:///models"}
    assert models.store_root(Spark(conf)) == "hdfs:///models"
    assert models.model_dir("VGG16", "hdfs:///models/") == "hdfs:///models/VGG16"


@pytest.mark.parametrize("name", ["InceptionV3", "ConvNeXtTiny"])
def test_a_file_named_like_keras_with_another_hash_is_refused(tmp_path, name):
    spec = SPECS[name]
    path = tmp_path / spec.file_name
    path.write_bytes(b"not the weights")
    actual = hashlib.new(spec.hash_algorithm, b"not the weights").hexdigest()
    with pytest.raises(models.WeightsError) as error:
        models.build(name, weights=str(path))
    message = str(error.value)
    for part in (str(path), spec.hash_algorithm, actual, spec.file_hash):
        assert part in message
    assert ("only an MD5" in message) == (spec.hash_algorithm == "md5")

    cached = models.keras_cache_dir() / spec.file_name  # Keras' cache: refused all the same
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the weights")
    with pytest.raises(models.WeightsError, match=actual):
        models.build(name)


def test_no_weights_offline_is_one_clear_error():
    spec = SPECS["InceptionV3"]
    with pytest.raises(models.WeightsError) as error:
        models.prepare("InceptionV3", store="/nonexistent/never-written")
    message = str(error.value)
    for part in (
        spec.file_name,
        spec.file_hash,
        "MD5",
        str(models.keras_cache_dir() / spec.file_name),
        "--weights",
        "tests have no network",
    ):
        assert part in message
    assert not os.path.exists("/nonexistent/never-written")


def test_weights_of_ones_own_are_used(tmp_path):
    # EfficientNet builds its ImageNet model differently from one given a file: a file of one's
    # own must give exactly keras.applications.EfficientNetB0(weights=path).
    keras.utils.set_random_seed(5)
    mine = keras.applications.EfficientNetB0(weights=None)
    path = tmp_path / "mine.weights.h5"
    mine.save_weights(path)
    images = _images("EfficientNetB0")
    features, _, predictions = _keras_outputs(mine, "EfficientNetB0", images)

    keras.utils.set_random_seed(6)  # other weights, unless the file's are loaded
    out = models.build("EfficientNetB0", weights=str(path))(images)
    _assert_close(out["features"], features, "features")
    _assert_close(out["predictions"], predictions, "predictions")

    directory = models.prepare("EfficientNetB0", weights=path.as_uri(), store=str(tmp_path / "s"))
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    assert json.loads(open(os.path.join(directory, "model.json")).read())["weights"] == (
        f"file:{sha256}"
    )
    keras.backend.clear_session()


def test_imagenet_weights_from_keras_cache(tmp_path):
    # MobileNetV2's file has no published hash, so the test can make one Keras accepts: the
    # legacy .h5 weights format of Keras' own files, in Keras' cache.
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    keras.utils.set_random_seed(9)
    reference = keras.applications.MobileNetV2(weights=None)
    cached = models.keras_cache_dir() / SPECS["MobileNetV2"].file_name
    cached.parent.mkdir(parents=True)
    with h5py.File(cached, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    with pytest.warns(UserWarning, match="Keras publishes no hash"):
        directory = models.prepare("MobileNetV2", store=str(tmp_path / "s"))
    assert json.loads(open(os.path.join(directory, "model.json")).read())["weights"] == "imagenet"
    images = _images("MobileNetV2")
    loaded = tf.saved_model.load(os.path.join(directory, "saved_model"))
    out = loaded.signatures["serving_default"](image=tf.constant(images))
    features, _, predictions = _keras_outputs(reference, "MobileNetV2", images)
    _assert_close(out["features"], features, "features")
    _assert_close(out["predictions"], predictions, "predictions")
    keras.backend.clear_session()


def test_catalog_matches_keras(monkeypatch):
    """The file, origin and hash Keras itself asks for when building each ImageNet model."""
    from keras.src.utils import file_utils

    class Asked(Exception):
        pass

    def ask(fname=None, origin=None, *args, file_hash=None, **kwargs):
        raise Asked(fname, origin, file_hash)

    monkeypatch.setattr(file_utils, "get_file", ask)
    for name, spec in SPECS.items():
        with pytest.raises(Asked) as asked:
            spec.application()(weights="imagenet")
        assert asked.value.args == (spec.file_name, spec.origin, spec.file_hash), name
        assert spec.hash_algorithm == ("sha256" if name == "ConvNeXtTiny" else "md5") or (
            name == "MobileNetV2" and spec.file_hash is None
        )
        keras.backend.clear_session()


def test_decode_predictions():
    classes = models.imagenet_classes()
    assert len(classes) == 1000 and len({w for w, _ in classes}) == 1000
    assert classes[0] == ("n01440764", "tench")
    assert classes[1] == ("n01443537", "goldfish")
    assert classes[999] == ("n15075141", "toilet tissue")

    probs = np.random.default_rng(0).dirichlet(np.ones(1000), size=2).astype(np.float32)
    decoded = models.decode_predictions(probs, top=10)
    assert len(decoded) == 2
    for row, top in zip(probs, decoded, strict=True):
        assert len(top) == 10
        order = np.argsort(-row)[:10]
        assert [t[:2] for t in top] == [classes[i] for i in order]
        assert [t[2] for t in top] == sorted((t[2] for t in top), reverse=True)
        assert [t[2] for t in top] == pytest.approx(row[order].tolist())
    assert models.decode_predictions(probs[0], top=1)[0][:2] == classes[int(np.argmax(probs[0]))]
    with pytest.raises(ValueError, match=r"\[N, 1000\]"):
        models.decode_predictions(np.ones((2, 10)))


def test_unknown_name_lists_the_known_ones(capsys):
    for call in (models.build, models.input_size, models.model_dir, models.prepare):
        with pytest.raises(ValueError) as error:
            call("inceptionv3")
        assert "', '".join(models.NAMES) in str(error.value).replace(", ", "', '")
        assert "did you mean 'InceptionV3'" in str(error.value)
    assert cli.main(["prepare", "NoSuchNet", "--weights", "random"]) == 1
    assert "NoSuchNet" in capsys.readouterr().err


def test_cli(tmp_path, capsys):
    store = str(tmp_path / "s")
    assert cli.main(["prepare", "MobileNetV2", "--weights", "random", "--seed", "3",
                     "--store", store]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == os.path.join(store, "MobileNetV2")
    assert cli.main(["list", "--store", store]) == 0
    listing = capsys.readouterr().out
    assert "MobileNetV2" in listing and "random:3" in listing
    assert "InceptionV3     299x299  features 2048  not prepared" in listing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cli.main(["prepare", "VGG16", "--store", store]) == 1  # offline, no weights
    assert "vgg16_weights_tf_dim_ordering_tf_kernels.h5" in capsys.readouterr().err
