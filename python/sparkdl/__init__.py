"""sparkdl: Deep Learning Pipelines for Apache Spark.

Run TensorFlow graphs and SavedModels over Spark DataFrames, in Spark's executors, through
sparkdl's JVM engine. Start with :func:`sparkdl.session`.
"""

import pkgutil
import sys
import types
from typing import Any

from sparkdl.session import bundled_jars, session

# One string for the wheel, the jar and the assembly, written in VERSION only (the build and the
# wheel's metadata read it too): valid for Maven and PEP 440 alike, no -SNAPSHOT, no .devN.
# pkgutil, not a path: the package may be imported from a zip (the assembly jar in --py-files).
__version__ = (pkgutil.get_data(__name__, "VERSION") or b"").decode("ascii").strip()

# Imported on first use, so that `import sparkdl` stays light: `from sparkdl import readImages`.
_LAZY = {
    name: "sparkdl.image"
    for name in (
        "PIL_to_imageStruct",
        "createResizeImageUDF",
        "imageArrayToStruct",
        "imageStructToArray",
        "imageStructToPIL",
        "readImages",
        "readImagesWithCustomFn",
    )
}
_LAZY.update({
    "TFTransformer": "sparkdl.ml",
    "KerasTransformer": "sparkdl.ml",
    "TFImageTransformer": "sparkdl.ml",
    "TFEstimator": "sparkdl.ml",
    "KerasEstimator": "sparkdl.ml",
    "DeepImageFeaturizer": "sparkdl.ml",
    "DeepImagePredictor": "sparkdl.ml",
    "KerasImageFileTransformer": "sparkdl.keras_image",
    "KerasImageFileEstimator": "sparkdl.keras_image",
    "registerModelUDF": "sparkdl.udf",
    "registerKerasImageUDF": "sparkdl.udf",
    "TFModel": "sparkdl.model",
    "TFInputGraph": "sparkdl.graph.input",
    "imageInputPlaceholder": "sparkdl.image",  # in sparkdl 1.x's __all__
})

__all__ = ["__version__", "bundled_jars", "session", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    alias = sys.modules.get(f"{__name__}.{name}")  # sparkdl.transformers and the like, below
    if alias is not None:
        return alias
    raise AttributeError(f"module 'sparkdl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


def _module_alias(name: str, python_module: str, why: str) -> None:
    """Make ``import <name>`` give a module whose attributes are ``python_module``'s (or those of
    aliases registered under ``name``), imported on first use, so that ``import sparkdl`` does
    not import pyspark.ml and the generated stage classes."""
    alias = types.ModuleType(name, f"Alias of {python_module}: {why}.")

    def __getattr__(attr: str) -> Any:
        # Module attributes (__file__, __path__, ...) that tools probe for on every module in
        # sys.modules (TF's autograph does) are not the stages': answer without importing them.
        if attr.startswith("__"):
            raise AttributeError(attr)
        child = sys.modules.get(f"{name}.{attr}")
        if child is not None:
            return child
        import importlib

        return getattr(importlib.import_module(python_module), attr)

    alias.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules.setdefault(name, alias)


# PySpark finds the Python class of a saved Java stage by importing the stage's Java class name
# (``DefaultParamsReader.loadParamsInstance``, ``JavaParams._from_java``, used by
# ``PipelineModel.load``): ``io.sparkdl.ml`` cannot be imported (``io`` is the standard
# library's), so it is an alias rather than a patch of PySpark's functions.
_module_alias("io.sparkdl.ml", "sparkdl.ml", "for PySpark's readers of saved stages")

# sparkdl 1.x's module paths, for code that imported the stages from where they were then.
for _old, _new in {
    "sparkdl.transformers": "sparkdl",
    "sparkdl.transformers.named_image": "sparkdl.ml",
    "sparkdl.transformers.tf_image": "sparkdl.ml",
    "sparkdl.transformers.tf_tensor": "sparkdl.ml",
    "sparkdl.transformers.keras_tensor": "sparkdl.ml",
    "sparkdl.transformers.keras_image": "sparkdl.keras_image",
    "sparkdl.estimators": "sparkdl",
    "sparkdl.estimators.keras_image_file_estimator": "sparkdl.keras_image",
    "sparkdl.udf.keras_image_model": "sparkdl.udf",
    "sparkdl.transformers.utils": "sparkdl.image",  # imageInputPlaceholder
}.items():
    _module_alias(_old, _new, "sparkdl 1.x's module path")
del _old, _new
