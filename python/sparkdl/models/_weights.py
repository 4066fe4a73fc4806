"""Where a named model's weights come from, and the checks they pass first.

``weights="imagenet"`` is Keras' own ImageNet file for the model, found in this order: Keras'
cache of application weights (``$KERAS_HOME/models/<file>``, ``~/.keras/models/<file>`` by
default), else downloaded by Keras (``keras.utils.get_file``) when the machine is online. A path
or URL names a file directly. Every file of Keras' is checked against the hash Keras publishes for
it (MD5 for most applications, SHA-256 for ConvNeXt; Keras publishes none for MobileNetV2, which is
then used with a warning). A file counts as Keras' when it is named like Keras' file for the model
or its hash is the published one; any other file is the user's own weights for the architecture
(``model.save_weights``), loaded as ``keras.applications.<Model>(weights=path)`` loads it, and
recorded in ``model.json`` as ``file:<sha256>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sparkdl.models._catalog import ModelSpec


class WeightsError(ValueError):
    """Weights that cannot be had, or that are not what they claim to be."""


@dataclass(frozen=True)
class Weights:
    """Resolved weights: ``kind`` is ``"imagenet"`` (Keras' file, checked), ``"file"`` (the
    user's own) or ``"random"``; ``record`` is what ``model.json`` says of them."""

    kind: str
    path: str | None
    record: str
    seed: int | None = None


def keras_cache_dir() -> Path:
    """Keras' cache of application weights: ``$KERAS_HOME/models``, else ``~/.keras/models``.

    Read at each call (Keras reads ``KERAS_HOME`` once, at import)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def file_hash(path: str | os.PathLike, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _published(spec: ModelSpec) -> str:
    if spec.file_hash is None:
        return "Keras publishes no hash for it"
    note = " (Keras publishes only an MD5 for this file)" if spec.hash_algorithm == "md5" else ""
    return f"{spec.hash_algorithm} {spec.file_hash}{note}"


def _check_keras_file(spec: ModelSpec, path: str) -> None:
    """Refuses ``path`` unless its hash is the one Keras publishes for ``spec.file_name``."""
    if spec.file_hash is None:
        warnings.warn(
            f"{spec.name}: Keras publishes no hash for {spec.file_name}, so {path} is used "
            f"unchecked (its sha256 is {file_hash(path, 'sha256')})",
            stacklevel=3,
        )
        return
    actual = file_hash(path, spec.hash_algorithm)
    if actual != spec.file_hash:
        md5_only = " (Keras publishes only an MD5 for this file)"
        raise WeightsError(
            f"{spec.name}: weights file {path} is not Keras' {spec.file_name}: its "
            f"{spec.hash_algorithm} is {actual}, Keras publishes {spec.file_hash}"
            + (md5_only if spec.hash_algorithm == "md5" else "")
            + ". Delete or replace the file (a download may have been cut short); weights of "
            "your own must not be named like Keras' file."
        )


def _supply_hint(spec: ModelSpec, cache: Path) -> str:
    return (
        f"Supply {spec.file_name} ({_published(spec)}) in one of these ways: pass its path "
        f"(weights='/path/to/{spec.file_name}', or `python -m sparkdl.models prepare {spec.name} "
        f"--weights /path/to/{spec.file_name}`); copy it into Keras' cache as "
        f"{cache / spec.file_name}; or run once online, where Keras downloads it from "
        f"{spec.origin}. To try sparkdl out without ImageNet weights (its features and "
        f"predictions then mean nothing), prepare the model with seeded random ones: "
        f"`python -m sparkdl.models prepare {spec.name} --weights random`."
    )


def imagenet_file(spec: ModelSpec) -> str:
    """Keras' ImageNet weights file for ``spec``: from Keras' cache, else downloaded; checked."""
    cache = keras_cache_dir()
    cached = cache / spec.file_name
    if cached.is_file():
        _check_keras_file(spec, str(cached))
        return str(cached)
    import keras

    try:
        path = keras.utils.get_file(
            spec.file_name,
            spec.origin,
            cache_subdir="models",
            cache_dir=str(cache.parent),
            file_hash=spec.file_hash,
        )
    except Exception as e:
        raise WeightsError(
            f"{spec.name}: no ImageNet weights: Keras' {spec.file_name} is not in Keras' cache "
            f"({cached}) and downloading it failed ({type(e).__name__}: {e}). "
            + _supply_hint(spec, cache)
        ) from e
    _check_keras_file(spec, path)
    return path


def _download(url: str) -> str:
    import keras

    name = os.path.basename(urllib.parse.urlsplit(url).path)
    if not name:
        raise WeightsError(f"weights URL {url} names no file")
    target = tempfile.mkdtemp(prefix="sparkdl-weights-")
    try:
        return keras.utils.get_file(name, url, cache_subdir="", cache_dir=target)
    except Exception as e:
        raise WeightsError(f"downloading weights from {url} failed: {type(e).__name__}: {e}") from e


def resolve(spec: ModelSpec, weights: str | os.PathLike, seed: int | None) -> Weights:
    """What ``weights`` means for ``spec``: ``"imagenet"``, ``"random"`` (with ``seed``, drawn
    when ``None``), or a path or URL of a weights file."""
    if weights == "imagenet":
        return Weights("imagenet", imagenet_file(spec), "imagenet")
    if weights == "random":
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "little") >> 1
        return Weights("random", None, f"random:{int(seed)}", int(seed))
    if not isinstance(weights, str | os.PathLike):
        raise TypeError(
            f"weights must be 'imagenet', 'random' or a path; found {type(weights).__name__}"
        )
    location = os.fspath(weights)
    scheme = urllib.parse.urlsplit(location).scheme
    if scheme == "file":
        path = urllib.parse.unquote(urllib.parse.urlsplit(location).path)
    elif scheme in ("http", "https", "ftp"):
        path = _download(location)
    else:
        path = os.path.expanduser(location)
    if not os.path.isfile(path):
        raise WeightsError(
            f"{spec.name}: no weights file {location}. " + _supply_hint(spec, keras_cache_dir())
        )
    if os.path.basename(path) == spec.file_name:
        _check_keras_file(spec, path)
        return Weights("imagenet", path, "imagenet")
    if spec.file_hash is not None and file_hash(path, spec.hash_algorithm) == spec.file_hash:
        return Weights("imagenet", path, "imagenet")  # Keras' file under another name
    return Weights("file", path, f"file:{file_hash(path, 'sha256')}")


_KERAS_GET_FILE = threading.Lock()


@contextlib.contextmanager
def keras_loads(spec: ModelSpec, path: str) -> Iterator[None]:
    """While open, ``keras.applications.<Model>(weights="imagenet")`` loads ``path`` (already
    checked) instead of looking up Keras' cache or downloading.

    Building with ``weights="imagenet"`` matters: Keras builds some ImageNet models differently
    from the same architecture given a weights path (EfficientNet adds a rescaling of its
    normalization), so this is the one way to get exactly Keras' ImageNet model. Keras' request
    is checked against the catalog: a Keras whose file names or hashes differ fails here.
    """
    from keras.src.utils import file_utils

    def get_file(fname=None, origin=None, *args, file_hash=None, **kwargs):  # Keras' signature
        if (fname, origin, file_hash) != (spec.file_name, spec.origin, spec.file_hash):
            raise WeightsError(
                f"{spec.name}: this Keras asks for weights file {fname} from {origin} (hash "
                f"{file_hash}); sparkdl's catalog has {spec.file_name} from {spec.origin} (hash "
                f"{spec.file_hash}): "
                "sparkdl.models._catalog needs updating for this Keras version"
            )
        return path

    with _KERAS_GET_FILE:
        keras_get_file = file_utils.get_file
        file_utils.get_file = get_file
        try:
            yield
        finally:
            file_utils.get_file = keras_get_file
