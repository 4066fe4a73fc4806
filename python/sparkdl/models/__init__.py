"""Named ImageNet models (``keras.applications``) as SavedModels in a model store.

Each name of :data:`NAMES` is a Keras application, built once in Python with its ImageNet
weights (or seeded random ones, or a weights file), wrapped so that it takes raw RGB pixel values
0..255 at its input size and applies its ``preprocess_input`` itself, and saved to the model store
where Scala (``DeepImageFeaturizer``, ``DeepImagePredictor``) and Python read it::

    python -m sparkdl.models prepare InceptionV3          # or sparkdl.models.prepare("InceptionV3")

In Python, ``DeepImageFeaturizer`` and ``DeepImagePredictor`` also prepare a model missing from the
store on first use, with ImageNet weights (``prepare_on_first_use``, the stages' hook).

The store (:func:`store_root`) holds, per model, ``<root>/<Name>/saved_model/`` and
``<root>/<Name>/model.json``. The SavedModel's signature ``serving_default`` takes ``image``
(float32 ``[None, H, W, 3]``, RGB 0..255) and returns ``features`` (float32 ``[None, D]``: the
pooled layer the classifier reads), ``flattened`` (float32 ``[None, F]``: the last convolution
block's output flattened, as sparkdl 1.x's featurizer gave it: :func:`flattened_dim`) and
``predictions`` (float32 ``[None, 1000]``, softmax probabilities, classes in
:func:`decode_predictions`' order). ``model.json`` records ``name``, ``inputHeight``,
``inputWidth``, ``featureDim``, ``flattenedDim``, ``numClasses`` and ``weights``:
``"imagenet"``, ``"random:<seed>"`` or ``"file:<sha256 of the file>"``.

Weights (``weights=``): ``"imagenet"`` is Keras' own file, from Keras' cache
(``$KERAS_HOME/models``, by default ``~/.keras/models``) or downloaded by Keras when online;
a path or URL names a file. A file named like Keras' file for the model must have the hash Keras
publishes for it (MD5, SHA-256 for ConvNeXt; Keras publishes none for MobileNetV2, whose file is
used with a warning) and is refused otherwise; any other file is taken as the user's own weights
for the architecture (``model.save_weights`` of a ``keras.applications`` model), loaded as
``keras.applications.<Model>(weights=path)`` loads it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import math
import os
import shutil
import urllib.parse
import uuid
import warnings
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

from sparkdl._gen import contract
from sparkdl.models._catalog import NAMES, spec
from sparkdl.models._weights import Weights, WeightsError, keras_cache_dir, keras_loads, resolve

if TYPE_CHECKING:
    import keras
    from pyspark.sql import SparkSession

__all__ = [
    "NAMES",
    "WeightsError",
    "build",
    "decode_predictions",
    "feature_dim",
    "flattened_dim",
    "imagenet_classes",
    "input_size",
    "keras_cache_dir",
    "model_dir",
    "prepare",
    "saved_model_dir",
    "store_root",
]

_log = logging.getLogger(__name__)

STORE_CONF = contract.MODEL_STORE_CONF
STORE_ENV = contract.MODEL_STORE_ENV
NUM_CLASSES = 1000


def input_size(name: str) -> tuple[int, int]:
    """``(height, width)`` of the images ``name`` takes: 299 x 299 for InceptionV3 and Xception,
    224 x 224 for the others."""
    size = spec(name).size
    return size, size


def feature_dim(name: str) -> int:
    """Width of ``name``'s ``features`` output (2048 for InceptionV3 and ResNet50)."""
    return spec(name).feature_dim


def flattened_dim(name: str) -> int:
    """Width of ``name``'s ``flattened`` output, the last convolution block flattened (sparkdl
    1.x's features): 131,072 for InceptionV3, 204,800 for Xception, 100,352 for ResNet50, 25,088
    for VGG16 and VGG19."""
    return spec(name).flattened_dim


def store_root(spark: SparkSession | None = None) -> str:
    """The model store: Spark conf ``spark.sparkdl.modelStore`` of ``spark`` (default: the active
    session, if any), else ``$SPARKDL_MODEL_STORE``, else ``~/.cache/sparkdl/models``. A path or
    a Hadoop filesystem URI; Scala resolves it the same way."""
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
    configured = spark.conf.get(STORE_CONF, None) if spark is not None else None
    return _cli_store_root(configured)


def _cli_store_root(configured: str | None = None) -> str:
    """``configured`` (a session's conf), else ``$SPARKDL_MODEL_STORE``, else the default, with
    ``~`` expanded as the JVM expands it: the root without a session, as the commands see it."""
    path = configured or os.environ.get(STORE_ENV) or contract.MODEL_STORE_DEFAULT_ROOT
    return contract.expand_home(path)


def model_dir(name: str, store: str | None = None) -> str:
    """``<store>/<name>``, the directory of one model (``store`` defaults to
    :func:`store_root`)."""
    return _join(store or store_root(), spec(name).name)


def saved_model_dir(name: str, store: str | None = None) -> str:
    """``<store>/<name>/saved_model`` of a prepared model, or an error naming the command that
    prepares it."""
    directory = model_dir(name, store)
    if not _exists(_join(directory, "model.json")):
        where = "" if store is None else f" --store {store}"
        raise FileNotFoundError(
            f"model {name} is not in the model store {store or store_root()}: prepare it with "
            f"`python -m sparkdl.models prepare {name}{where}`"
        )
    return _join(directory, "saved_model")


@functools.cache  # defined on first use: importing sparkdl.models does not import Keras
def _preprocess_layer() -> type:
    import keras

    @keras.saving.register_keras_serializable(package="sparkdl")
    class PreprocessInput(keras.layers.Layer):
        """``keras.applications.<module>.preprocess_input`` of a named model, as a layer."""

        def __init__(self, model: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.model = model
            self._fn = spec(model).preprocess_input()

        def call(self, x: Any) -> Any:
            return self._fn(x)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "model": self.model}

    return PreprocessInput


def _application(name: str, weights: Weights) -> keras.Model:
    """``keras.applications.<name>`` with the classifier, built as Keras builds it for these
    weights."""
    import keras

    s = spec(name)
    make = s.application()
    if weights.kind == "random":
        keras.utils.set_random_seed(weights.seed)  # Keras' initializers draw from it
        return make(weights=None)
    if weights.kind == "file":
        return make(weights=weights.path)
    with keras_loads(s, weights.path):
        return make(weights="imagenet")


def _wrap(name: str, base: keras.Model) -> keras.Model:
    import keras

    s = spec(name)
    classifier = base.layers[-1]
    if not isinstance(classifier, keras.layers.Dense) or classifier.units != NUM_CLASSES:
        raise RuntimeError(f"{name}: expected a {NUM_CLASSES}-way Dense classifier last")
    features = classifier.input
    if features.shape[-1] != s.feature_dim:
        raise RuntimeError(f"{name}: features {features.shape[-1]} wide, not {s.feature_dim}")
    # The last convolution block: what the top's pooling (VGG: its Flatten) reads, the output
    # 1.x's include_top=False model ended with. (Not "the last layer with a spatial output":
    # Keras' layer order puts ConvNeXt's last layer-scale branch after the block's sum.)
    top = [layer for layer in base.layers
           if isinstance(layer, (keras.layers.GlobalAveragePooling2D, keras.layers.Flatten))][-1]
    block = top.input
    flat = math.prod(block.shape[1:])
    if flat != s.flattened_dim:
        raise RuntimeError(f"{name}: last convolution block {block.shape[1:]}, not "
                           f"{s.flattened_dim} values")
    inner = keras.Model(base.inputs, [features, block, base.output], name=f"{base.name}_features")
    image = keras.Input((s.size, s.size, 3), dtype="float32", name=contract.MODEL_INPUT_KEY)
    f, b, p = inner(_preprocess_layer()(name, name="preprocess_input")(image))
    flattened = keras.layers.Flatten(name=contract.MODEL_FLATTENED_KEY)(b)
    outputs = {
        contract.MODEL_FEATURES_KEY: f,
        contract.MODEL_FLATTENED_KEY: flattened,
        contract.MODEL_PREDICTIONS_KEY: p,
    }
    return keras.Model(image, outputs, name=f"sparkdl_{name}")


def _build(name: str, weights: Any, seed: int | None) -> tuple[keras.Model, Weights]:
    s = spec(name)
    resolved = resolve(s, weights, seed)  # files are found and checked before any building
    return _wrap(s.name, _application(s.name, resolved)), resolved


def build(name: str, weights: Any = "imagenet", seed: int | None = None) -> keras.Model:
    """The named model as a Keras model that takes raw images and returns features and
    predictions.

    Parameters
    ----------
    name
        One of :data:`NAMES` (case-sensitive).
    weights
        ``"imagenet"`` (Keras' file, from its cache or downloaded; checked against Keras' hash),
        ``"random"`` (seeded with ``seed``; this sets Keras' global seed), or the path or URL of
        a weights file (see the module's notes on which files are checked). Default:
        ``"imagenet"``.
    seed
        Seed of ``weights="random"``. Default: one drawn at random.

    Returns
    -------
    keras.Model
        Input ``image`` (float32 ``[None, H, W, 3]``, RGB 0..255), outputs a dict of
        ``features`` (``[None, feature_dim(name)]``) and ``predictions`` (``[None, 1000]``).
    """
    return _build(name, weights, seed)[0]


def prepare(
    name: str,
    weights: Any = "imagenet",
    store: str | None = None,
    seed: int | None = None,
    overwrite: bool = False,
) -> str:
    """Builds ``name`` (see :func:`build`) and saves it to the model store; returns its
    directory, ``<store>/<name>``.

    Idempotent: a model already in the store is kept as it is (a warning says so when it was
    made with other weights) unless ``overwrite``. The model is written beside its final place
    and moved there once complete, so a reader never sees half a model. Prepares of one name into
    one local store run one at a time (a lock file, ``<store>/.<name>.lock``): a second one waits
    (a warning says so), then finds the first's model and keeps it as above.

    ``store`` (default :func:`store_root`) is a local path or a ``file:`` URI; other Hadoop
    filesystems work when TensorFlow has a plugin for them, else prepare locally and copy the
    directory (``hadoop fs -put``). They have no lock: prepare each model there once.
    """
    s = spec(name)
    root = store or store_root()
    target = _join(root, s.name)
    if _exists(_join(target, "model.json")) and not overwrite:
        _warn_if_other_weights(target, weights, seed)
        return target
    resolved = resolve(s, weights, seed)  # files are found and checked before the store changes
    with _store_lock(root, s.name):
        if _exists(_join(target, "model.json")) and not overwrite:  # prepared while we waited
            _warn_if_other_weights(target, weights, seed)
            return target
        if _exists(target) and not overwrite:
            raise FileExistsError(
                f"{target} exists but holds no model.json (an incomplete model?): "
                "prepare again with overwrite=True (--overwrite)"
            )
        model = _wrap(s.name, _application(s.name, resolved))
        staging = _join(root, f".{s.name}.{uuid.uuid4().hex}.tmp")
        try:
            _export(model, s.name, _join(staging, "saved_model"))
            height, width, features, classes = contract.MODEL_JSON_FIELDS
            meta = {
                "name": s.name,
                height: s.size,
                width: s.size,
                features: s.feature_dim,
                contract.MODEL_JSON_FLATTENED_DIM: s.flattened_dim,
                classes: NUM_CLASSES,
                "weights": resolved.record,
            }
            _write_text(_join(staging, "model.json"), json.dumps(meta, indent=2) + "\n")
            if _exists(target):
                _rmtree(target)
            _rename(staging, target)
        finally:
            if _exists(staging):
                _rmtree(staging)
    return target


def prepare_on_first_use(name: str, spark: SparkSession | None, user: str) -> None:
    """What ``DeepImageFeaturizer`` and ``DeepImagePredictor`` do on the driver before their JVM
    stage runs, as sparkdl 1.x fetched its weights on first use: a model missing from the store
    (:func:`store_root` of ``spark``) is prepared with Keras' ImageNet weights (Keras' cache, else
    downloaded), with a warning that says so. Names not in :data:`NAMES` are left to the stage's
    own error. Fails with the :class:`WeightsError` that says where the weights can come from."""
    if name not in NAMES:
        return
    root = store_root(spark)
    if _exists(_join(model_dir(name, root), "model.json")):
        return
    warnings.warn(
        f"{user}: model {name} is not in the model store {root}; preparing it now with Keras' "
        f"ImageNet weights ({spec(name).file_name} from Keras' cache {keras_cache_dir()}, else "
        f"downloaded), once per store (`python -m sparkdl.models prepare {name}` does it "
        "ahead of time)",
        stacklevel=3,
    )
    try:
        prepare(name, "imagenet", store=root)
    except WeightsError as e:
        cli = _cli_store_root()
        store_note = (
            ""
            if _local(root) == cli
            else f" The commands prepare into {cli}: add `--store {root}` for this session's store."
        )
        raise WeightsError(
            f"{user}: model {name} is not in the model store {root} and cannot be prepared: "
            f"{e}{store_note}"
        ) from e
    _log.info("%s: prepared %s in the model store %s", user, name, root)


@contextlib.contextmanager
def _store_lock(root: str, name: str) -> Iterator[None]:
    """Holds ``<root>/.<name>.lock`` (``flock``, released when the process ends, however it
    ends) while a prepare checks, builds and moves its model, so that two prepares of one name
    never both write it and the last silently wins. The file stays: removing it would let a
    third prepare lock a new file while a second still waits on the old one. Local stores only."""
    local = _local(root)
    if local is None:
        yield
        return
    os.makedirs(local, exist_ok=True)
    path = _lock_path(local, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            warnings.warn(
                f"another prepare of {name} into {root} is running (it holds {path}); "
                "waiting for it to finish",
                stacklevel=3,
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _lock_path(local_root: str, name: str) -> str:
    return os.path.join(local_root, f".{name}.lock")


def _export(model: keras.Model, name: str, directory: str) -> None:
    import keras
    import tensorflow as tf

    size = spec(name).size
    archive = keras.export.ExportArchive()
    archive.track(model)

    # Plain TF calls: nothing for autograph to convert.
    @tf.autograph.experimental.do_not_convert
    def serve(image: Any) -> dict[str, Any]:
        out = model(image, training=False)
        keys = (
            contract.MODEL_FEATURES_KEY,
            contract.MODEL_FLATTENED_KEY,
            contract.MODEL_PREDICTIONS_KEY,
        )
        return {k: out[k] for k in keys}

    archive.add_endpoint(
        name="serving_default",
        fn=serve,
        input_signature=[
            tf.TensorSpec([None, size, size, 3], tf.float32, name=contract.MODEL_INPUT_KEY)
        ],
    )
    try:
        archive.write_out(directory, verbose=False)
    except tf.errors.UnimplementedError as e:
        raise OSError(
            f"TensorFlow cannot write {directory} ({e.message}): prepare into a local store "
            "(--store /local/dir) and copy the model's directory to its filesystem"
        ) from e


def _warn_if_other_weights(target: str, weights: Any, seed: int | None) -> None:
    try:
        recorded = json.loads(_read_text(_join(target, "model.json"))).get("weights")
    except (OSError, ValueError):
        return
    if weights == "imagenet":
        wanted = "imagenet"
    elif weights == "random":
        wanted = f"random:{seed}" if seed is not None else "random:"
    else:
        return  # a file: telling would mean hashing it; the record names its hash
    if recorded != wanted and not (wanted == "random:" and str(recorded).startswith("random:")):
        warnings.warn(
            f"{target} already holds a model with weights {recorded!r}; kept (pass "
            "overwrite=True, --overwrite, to replace it)",
            stacklevel=3,
        )


# The store's filesystem: local paths and file: URIs through os; other URIs through TF's gfile.


def _join(root: str, name: str) -> str:
    return root.rstrip("/") + "/" + name if "://" in root else os.path.join(root, name)


def _local(path: str) -> str | None:
    parts = urllib.parse.urlsplit(path)
    if parts.scheme == "file":
        return urllib.parse.unquote(parts.path)
    return None if "://" in path else path


def _exists(path: str) -> bool:
    local = _local(path)
    if local is not None:
        return os.path.exists(local)
    import tensorflow as tf

    return tf.io.gfile.exists(path)


def _rmtree(path: str) -> None:
    local = _local(path)
    if local is not None:
        shutil.rmtree(local)
    else:
        import tensorflow as tf

        tf.io.gfile.rmtree(path)


def _rename(source: str, target: str) -> None:
    local_source, local_target = _local(source), _local(target)
    if local_source is not None and local_target is not None:
        os.replace(local_source, local_target)
    else:
        import tensorflow as tf

        tf.io.gfile.rename(source, target, overwrite=False)


def _write_text(path: str, text: str) -> None:
    local = _local(path)
    if local is not None:
        with open(local, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        import tensorflow as tf

        with tf.io.gfile.GFile(path, "w") as f:
            f.write(text)


def _read_text(path: str) -> str:
    local = _local(path)
    if local is not None:
        with open(local, encoding="utf-8") as f:
            return f.read()
    import tensorflow as tf

    with tf.io.gfile.GFile(path) as f:
        return f.read()


@functools.cache
def imagenet_classes() -> tuple[tuple[str, str], ...]:
    """The 1,000 ImageNet-1k classes as ``(wnid, name)``, in the order of the models'
    ``predictions`` (Keras' class index: 0 is ``("n01440764", "tench")``). Ships with sparkdl
    (``imagenet_classes.json``, made by ``dev/make_imagenet_classes.py``)."""
    text = resources.files(__name__).joinpath("imagenet_classes.json").read_text("utf-8")
    return tuple((wnid, name) for wnid, name in json.loads(text))


def decode_predictions(probs: Any, top: int = 5) -> list[Any]:
    """The ``top`` classes of each prediction, most probable first.

    Parameters
    ----------
    probs
        One prediction (``[1000]``) or a batch (``[N, 1000]``): array-like of probabilities.
    top
        How many classes to return per prediction. Default: 5.

    Returns
    -------
    list
        ``[(wnid, name, probability), ...]`` for one prediction; a list of those for a batch.
    """
    import numpy as np

    array = np.asarray(probs)
    if array.ndim not in (1, 2) or array.shape[-1] != NUM_CLASSES:
        raise ValueError(
            f"decode_predictions expects shape [{NUM_CLASSES}] or [N, {NUM_CLASSES}]; "
            f"found {list(array.shape)}"
        )
    if not 1 <= top <= NUM_CLASSES:
        raise ValueError(f"top must be within 1..{NUM_CLASSES}; found {top}")
    classes = imagenet_classes()

    def decode(row: Any) -> list[tuple[str, str, float]]:
        order = np.argsort(-row, kind="stable")[:top]  # ties: lower class index first
        return [(*classes[i], float(row[i])) for i in order]

    return decode(array) if array.ndim == 1 else [decode(row) for row in array]
