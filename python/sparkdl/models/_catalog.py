"""The named models: which ``keras.applications`` architecture each name is, its input size,
feature width, and the ImageNet weights file Keras publishes for it.

The weights files, origins and hashes are those of Keras 3.15 (``keras/src/applications``); the
test ``test_catalog_matches_keras`` asks the installed Keras for them, so an upgrade that changes
one fails there rather than at a user's first ``prepare``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from sparkdl._gen import contract

_GCS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class ModelSpec:
    """One named model.

    ``file_hash`` is the hash Keras checks its download against: SHA-256 when 64 hex digits
    (ConvNeXt), else MD5 (every older application); ``None`` where Keras publishes none
    (MobileNetV2).
    """

    name: str
    module: str  # keras.applications.<module>: the constructor and its preprocess_input
    size: int
    feature_dim: int
    file_name: str
    origin: str
    file_hash: str | None
    # The last convolution block's output, flattened: sparkdl 1.x's features (its
    # include_top=False model, flattened), DeepImageFeaturizer's featureLayout "flattened".
    flattened_dim: int = 0

    @property
    def hash_algorithm(self) -> str | None:
        if self.file_hash is None:
            return None
        return "sha256" if len(self.file_hash) == 64 else "md5"

    def application(self) -> Any:
        """The ``keras.applications`` constructor (``keras.applications.InceptionV3``)."""
        import keras

        return getattr(keras.applications, self.name)

    def preprocess_input(self) -> Any:
        """Keras' ``preprocess_input`` of this architecture."""
        return importlib.import_module(f"keras.applications.{self.module}").preprocess_input


# Height x width x channels of each last convolution block (checked when a model is built).
_LAST_BLOCK = {
    "InceptionV3": (8, 8, 2048), "Xception": (10, 10, 2048), "ResNet50": (7, 7, 2048),
    "VGG16": (7, 7, 512), "VGG19": (7, 7, 512), "MobileNetV2": (7, 7, 1280),
    "EfficientNetB0": (7, 7, 1280), "DenseNet121": (7, 7, 1024), "ResNet50V2": (7, 7, 2048),
    "ConvNeXtTiny": (7, 7, 768),
}


def _spec(name, module, dim, file_name, folder, file_hash, base=_GCS) -> ModelSpec:
    origin = f"{base}{folder}{file_name}"
    h, w, c = _LAST_BLOCK[name]
    # The input size is the JVM's (io.sparkdl.ml.NamedImageModels.InputSizes).
    size = contract.MODEL_INPUT_SIZES[name]
    return ModelSpec(name, module, size, dim, file_name, origin, file_hash, h * w * c)


_K = "_weights_tf_dim_ordering_tf_kernels"
SPECS: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        _spec(
            "InceptionV3", "inception_v3", 2048, f"inception_v3{_K}.h5",
            "inception_v3/", "9a0d58056eeedaa3f26cb7ebd46da564",
        ),
        _spec(
            "Xception", "xception", 2048, f"xception{_K}.h5",
            "xception/", "0a58e3b7378bc2990ea3b43d5981f1f6",
        ),
        _spec(
            "ResNet50", "resnet50", 2048, f"resnet50{_K}.h5",
            "resnet/", "2cb95161c43110f7111970584f804107",
        ),
        _spec(
            "VGG16", "vgg16", 4096, f"vgg16{_K}.h5",
            "vgg16/", "64373286793e3c8b2b4e3219cbf3544b",
        ),
        _spec(
            "VGG19", "vgg19", 4096, f"vgg19{_K}.h5",
            "vgg19/", "cbe5617147190e668d6c5d5026f83318",
        ),
        _spec(
            "MobileNetV2", "mobilenet_v2", 1280, f"mobilenet_v2{_K}_1.0_224.h5",
            "mobilenet_v2/", None,
        ),
        _spec(
            "EfficientNetB0", "efficientnet", 1280, "efficientnetb0.h5",
            "", "902e53a9f72be733fc0bcb005b3ebbac",
            base="https://storage.googleapis.com/keras-applications/",
        ),
        _spec(
            "DenseNet121", "densenet", 1024, f"densenet121{_K}.h5",
            "densenet/", "9d60b8095a5708f2dcce2bca79d332c7",
        ),
        _spec(
            "ResNet50V2", "resnet_v2", 2048, f"resnet50v2{_K}.h5",
            "resnet/", "3ef43a0b657b3be2300d5770ece849e0",
        ),
        _spec(
            "ConvNeXtTiny", "convnext", 768, "convnext_tiny.h5",
            "convnext/", "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        ),
    )
}  # fmt: skip

NAMES: tuple[str, ...] = tuple(SPECS)


def spec(name: str) -> ModelSpec:
    """The spec of ``name``, or an error listing the names sparkdl knows."""
    found = SPECS.get(name) if isinstance(name, str) else None
    if found is None:
        hint = ""
        if isinstance(name, str):
            close = [n for n in NAMES if n.lower() == name.lower()]
            hint = f" (names are case-sensitive: did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown model {name!r}{hint}; sparkdl.models knows: {', '.join(NAMES)}")
    return found
