"""sparkdl: Deep Learning Pipelines for Apache Spark.

Run TensorFlow graphs and SavedModels over Spark DataFrames, in Spark's executors, through
sparkdl's JVM engine. Start with :func:`sparkdl.session`.
"""

import sys
import types
from typing import Any

from sparkdl.session import bundled_jars, session

__version__ = "0.1.0.dev0"

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
})

__all__ = ["__version__", "bundled_jars", "session", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sparkdl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


def _java_package_alias(java_package: str, python_module: str) -> None:
    """Make ``import <java_package>`` mean ``python_module``, imported on first use.

    PySpark finds the Python class of a saved Java stage by importing the stage's Java class name
    (``DefaultParamsReader.loadParamsInstance``, ``JavaParams._from_java``, used by
    ``PipelineModel.load``): ``io.sparkdl.ml`` cannot be imported (``io`` is the standard
    library's), so register it as an alias rather than patching PySpark's functions. Lazily, so
    that ``import sparkdl`` does not import pyspark.ml and the generated stage classes.
    """
    alias = types.ModuleType(java_package, f"Alias of {python_module} for PySpark's readers.")

    def __getattr__(name: str) -> Any:
        # Module attributes (__file__, __path__, ...) that tools probe for on every module in
        # sys.modules (TF's autograph does) are not the stages': answer without importing them.
        if name.startswith("__"):
            raise AttributeError(name)
        import importlib

        return getattr(importlib.import_module(python_module), name)

    alias.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules.setdefault(java_package, alias)


_java_package_alias("io.sparkdl.ml", "sparkdl.ml")
