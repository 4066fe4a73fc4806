"""Keras models over image files, with a Python image loader: :class:`KerasImageFileTransformer`.

As in the original sparkdl: ``inputCol`` holds file URIs, ``imageLoader`` turns one URI into the
array the model takes (decoding and preprocessing in Python, in Spark's Python workers), and the
model runs in sparkdl's JVM engine in batches of ``batchSize`` images, never once per image. A
loader that fails on a URI (an exception, or ``None``) gives that row a null output.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from pyspark.ml import Transformer
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasInputCol, HasOutputCol
from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F

from sparkdl.model import TFModel

__all__ = ["KerasImageFileTransformer"]

# Float32 OpenCV types by channel count (the loader's arrays are fed as they are, no reordering).
_FLOAT_MODES = {1: 5, 3: 21, 4: 29}


def _loaded_image(uri: str, loader: Callable[[str], Any]) -> Row | None:
    """``loader(uri)`` as a float32 image struct in the loader's own channel order, or None."""
    try:
        array = loader(uri)
        if array is None:
            return None
        array = np.asarray(array, dtype=np.float32)
        if array.ndim == 4 and array.shape[0] == 1:  # loaders that return a batch of one
            array = array[0]
        if array.ndim == 2:
            array = array[:, :, None]
        if array.ndim != 3 or array.shape[2] not in _FLOAT_MODES:
            return None
        height, width, channels = array.shape
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        return Row(
            origin=uri,
            height=int(height),
            width=int(width),
            nChannels=int(channels),
            mode=_FLOAT_MODES[channels],
            data=bytearray(data),
        )
    except Exception:  # noqa: BLE001 - a failing file gives a null row, never a failed job
        return None


class KerasImageFileTransformer(Transformer, HasInputCol, HasOutputCol):
    """Applies a Keras model to images read from the URIs of ``inputCol``.

    Parameters
    ----------
    inputCol
        The column of image file URIs.
    outputCol
        The output column: the model's output as an ML vector (``outputMode="vector"``) or as
        arrays of its dtype and shape (``outputMode="array"``).
    modelFile
        A Keras model file (``.keras``, ``.h5``); or pass ``model=`` a Keras model object.
    imageLoader
        ``uri -> numpy array``: loads and preprocesses one image into the array the model takes,
        shape ``(height, width, channels)`` (or a batch of one). Runs in Python workers.
    outputMode
        ``"vector"`` (default) or ``"array"``.
    batchSize
        Images per model run. Default: 1024.
    """

    modelFile = Param(
        Params._dummy(), "modelFile", "A Keras model file (.keras or .h5).",
        typeConverter=TypeConverters.toString,
    )
    imageLoader = Param(
        Params._dummy(), "imageLoader",
        "A function uri -> numpy array that loads and preprocesses one image for the model.",
    )
    outputMode = Param(
        Params._dummy(), "outputMode", "'vector' (ML vectors) or 'array'. Default: 'vector'.",
        typeConverter=TypeConverters.toString,
    )
    batchSize = Param(
        Params._dummy(), "batchSize", "Images per model run (> 0). Default: 1024.",
        typeConverter=TypeConverters.toInt,
    )

    def __init__(
        self,
        *,
        inputCol: str | None = None,
        outputCol: str | None = None,
        modelFile: str | None = None,
        imageLoader: Callable[[str], Any] | None = None,
        outputMode: str = "vector",
        batchSize: int = 1024,
        model: Any = None,
    ) -> None:
        super().__init__()
        self._setDefault(outputMode="vector", batchSize=1024)
        self._model = model
        kwargs = {k: v for k, v in {
            "inputCol": inputCol, "outputCol": outputCol, "modelFile": modelFile,
            "imageLoader": imageLoader, "outputMode": outputMode, "batchSize": batchSize,
        }.items() if v is not None}
        self._set(**kwargs)

    def setModelFile(self, value: str) -> KerasImageFileTransformer:
        return self._set(modelFile=value)

    def setImageLoader(self, value: Callable[[str], Any]) -> KerasImageFileTransformer:
        return self._set(imageLoader=value)

    def setOutputMode(self, value: str) -> KerasImageFileTransformer:
        return self._set(outputMode=value)

    def setBatchSize(self, value: int) -> KerasImageFileTransformer:
        return self._set(batchSize=value)

    def getModelFile(self) -> str:
        return self.getOrDefault(self.modelFile)

    def getImageLoader(self) -> Callable[[str], Any]:
        return self.getOrDefault(self.imageLoader)

    def getOutputMode(self) -> str:
        return self.getOrDefault(self.outputMode)

    def getBatchSize(self) -> int:
        return self.getOrDefault(self.batchSize)

    def _tf_model(self) -> TFModel:
        if isinstance(self._model, TFModel):
            return self._model
        if self._model is not None:
            return TFModel.from_keras(self._model)
        if not self.isDefined(self.modelFile):
            raise ValueError(
                f"KerasImageFileTransformer {self.uid}: param modelFile is not set; expected a "
                "Keras model file (or model= a Keras model)"
            )
        path = self.getModelFile()
        if not os.path.exists(path):
            raise ValueError(
                f"KerasImageFileTransformer {self.uid}: modelFile '{path}' does not exist"
            )
        return TFModel.from_keras(path)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        from sparkdl.image import columnSchema
        from sparkdl.ml import KerasTransformer

        for p in (self.inputCol, self.outputCol, self.imageLoader):
            if not self.isDefined(p):
                raise ValueError(f"KerasImageFileTransformer {self.uid}: param {p.name} is not set")
        input_col, output_col = self.getInputCol(), self.getOutputCol()
        if input_col not in dataset.columns:
            raise ValueError(
                f"KerasImageFileTransformer {self.uid}: inputCol '{input_col}' is not a column; "
                f"expected one of {dataset.columns}"
            )
        if output_col in dataset.columns:
            raise ValueError(
                f"KerasImageFileTransformer {self.uid}: outputCol '{output_col}' already exists"
            )
        loader = self.getImageLoader()
        load = F.udf(lambda uri: None if uri is None else _loaded_image(uri, loader), columnSchema)
        loaded = f"{output_col}__image"
        model = KerasTransformer(
            model=self._tf_model(),
            inputCol=loaded,
            outputCol=output_col,
            outputMode=self.getOutputMode(),
            batchSize=self.getBatchSize(),
            handleInvalid="keep",  # a failed load: a null output, not a failed job
        )
        return model.transform(dataset.withColumn(loaded, load(F.col(input_col)))).drop(loaded)
