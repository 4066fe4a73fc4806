"""Keras models over image files, with a Python image loader: :class:`KerasImageFileTransformer`
runs one, :class:`KerasImageFileEstimator` trains one.

As in the original sparkdl: ``inputCol`` holds file URIs, ``imageLoader`` turns one URI into the
array the model takes (decoding and preprocessing in Python, in Spark's Python workers), and the
model runs in sparkdl's JVM engine in batches of ``batchSize`` images, never once per image.

What the loader is given (:func:`loader_path`): a local ``file:`` URI (``file:/p``,
``file:///p``, ``file://localhost/p``, as :func:`sparkdl.image.readImages`' origins are) reaches
it as the local path ``p``, so loaders that open paths (PIL, Keras' ``load_img``) work on
readImages' origins; ``p`` is percent-decoded only when no file has the written path but one has
the decoded one (``Path.as_uri()``'s URIs). Any other value (a plain path, ``hdfs:``,
``s3a:``...) reaches it as it is.

A loader that fails on a row (an exception, or ``None``) is governed by ``handleInvalid``:
``'error'`` (the default) fails the job, naming the stage, the loader, the path and the
exception; ``'skip'`` drops the row; ``'keep'`` keeps it with a null output (the Python worker
logs a warning, logger ``sparkdl``, for each). An array the model cannot take (another size or
rank, no numeric array) is the loader's defect: an error whatever ``handleInvalid`` says, naming
the URI and both shapes.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from pyspark.ml import Estimator, Transformer
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasInputCol, HasLabelCol, HasOutputCol
from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F

from sparkdl._gen import contract
from sparkdl.model import TFModel

__all__ = ["KerasImageFileEstimator", "KerasImageFileTransformer"]

_log = logging.getLogger("sparkdl")

# Float32 OpenCV types by channel count (the loader's arrays are fed as they are, no reordering).
_FLOAT_MODES = {
    channels: mode for _, mode, channels, dtype in contract.OCV_TYPES if dtype == "float32"
}


_HANDLE_INVALID = ("error", "skip", "keep")


def _handle_invalid(value: Any) -> str:
    """``handleInvalid``'s converter: one of :data:`_HANDLE_INVALID`."""
    if value not in _HANDLE_INVALID:
        raise ValueError(f"param handleInvalid is {value!r}; expected one of "
                         f"{', '.join(repr(v) for v in _HANDLE_INVALID)}")
    return value


_HANDLE_INVALID_DOC = (
    "What to do with a row whose imageLoader fails (raises or returns None): 'error' (fail the "
    "job, naming the path and the loader), 'skip' (drop the row) or 'keep' (keep it, with a null "
    "output). Default: 'error'."
)


class _KerasImageFileParams(HasInputCol, HasOutputCol):
    """The params a :class:`KerasImageFileEstimator` and the :class:`KerasImageFileTransformer`
    it fits share, declared once: the fitted transformer gets the estimator's values."""

    modelFile = Param(
        Params._dummy(), "modelFile", "A Keras model file (.keras or .h5).",
        typeConverter=TypeConverters.toString,
    )
    imageLoader = Param(
        Params._dummy(), "imageLoader",
        "A function uri -> numpy array that loads and preprocesses one image for the model.",
    )
    outputMode = Param(
        Params._dummy(), "outputMode",
        "How the model's output becomes the output column: 'vector' (ML vectors, the output "
        "flattened in row-major order) or 'array' (the model's dtype and shape), as "
        "KerasTransformer's. Default: 'vector'.",
        typeConverter=TypeConverters.toString,
    )
    kerasFitParams = Param(
        Params._dummy(), "kerasFitParams",
        "Keras fit's arguments: epochs, batch_size, shuffle, verbose, validation_split (a fitted "
        "transformer keeps those it was trained with; they are not used to transform). "
        "Default: {'verbose': 1}.",
    )
    handleInvalid = Param(
        Params._dummy(), "handleInvalid",
        _HANDLE_INVALID_DOC + " In training, 'skip' and 'keep' both leave the row out; the fitted "
        "transformer gets the value.",
        typeConverter=_handle_invalid,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(outputMode=contract.OUTPUT_MODE_VECTOR, kerasFitParams={"verbose": 1},
                         handleInvalid="error")

    def setInputCol(self: _P, value: str) -> _P:
        return self._set(inputCol=value)

    def setOutputCol(self: _P, value: str) -> _P:
        return self._set(outputCol=value)

    def setModelFile(self: _P, value: str) -> _P:
        return self._set(modelFile=value)

    def getModelFile(self) -> str:
        return self.getOrDefault(self.modelFile)

    def setImageLoader(self: _P, value: Callable[[str], Any]) -> _P:
        return self._set(imageLoader=value)

    def getImageLoader(self) -> Callable[[str], Any]:
        return self.getOrDefault(self.imageLoader)

    def setOutputMode(self: _P, value: str) -> _P:
        return self._set(outputMode=value)

    def getOutputMode(self) -> str:
        return self.getOrDefault(self.outputMode)

    def setKerasFitParams(self: _P, value: dict[str, Any]) -> _P:
        return self._set(kerasFitParams=value)

    def getKerasFitParams(self) -> dict[str, Any]:
        return self.getOrDefault(self.kerasFitParams)

    def setHandleInvalid(self: _P, value: str) -> _P:
        return self._set(handleInvalid=value)

    def getHandleInvalid(self) -> str:
        return self.getOrDefault(self.handleInvalid)

    def _loadedImageCol(self) -> str:  # noqa: N802 - sparkdl 1.x's name
        return "__sdl_img"


_P = TypeVar("_P", bound=_KerasImageFileParams)


def loader_path(uri: str) -> str:
    """What ``imageLoader`` is given for ``uri``: the local path of a local ``file:`` URI
    (``file:/p``, ``file:///p``, ``file://localhost/p``), else ``uri`` as it is. The path is
    taken as written (Hadoop's and so readImages' origins do not escape ``%`` or spaces), and
    percent-decoded only when no file has the written path but one has the decoded path (as
    Python's ``Path.as_uri()`` writes them)."""
    if not uri.startswith("file:"):
        return uri
    rest = uri[len("file:"):]
    if rest.startswith("//"):
        authority, _, path = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            return uri
        rest = "/" + path
    if not rest.startswith("/"):
        return uri
    if "%" in rest and not os.path.exists(rest):
        decoded = urllib.parse.unquote(rest)
        if os.path.exists(decoded):
            return decoded
    return rest


def _loader_name(loader: Any) -> str:
    return getattr(loader, "__name__", None) or type(loader).__name__


def _load_error(stage: str, loader: Any, uri: str, failure: str) -> ValueError:
    """The error of a row whose loader failed, under handleInvalid 'error'."""
    path = loader_path(uri)
    where = f"'{path}'" + ("" if path == uri else f" (from '{uri}')")
    return ValueError(
        f"{stage}: imageLoader '{_loader_name(loader)}' failed on {where}: {failure}; "
        "handleInvalid is 'error': set it to 'skip' to drop such rows, or 'keep' to keep them "
        "with a null output"
    )


def _loader_pixels(uri: str, loader: Callable[[str], Any]) -> np.ndarray | None:
    """``loader(uri)`` as a float32 ``[height, width, channels]`` array, or None when the loader
    gives nothing or something else. The loader's own exceptions propagate."""
    array = loader(loader_path(uri))
    if array is None:
        return None
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 4 and array.shape[0] == 1:  # loaders that return a batch of one
        array = array[0]
    if array.ndim == 2:
        array = array[:, :, None]
    return array if array.ndim == 3 else None


def _loaded_image(
    uri: str, loader: Callable[[str], Any], expected: tuple | None = None, stage: str = "",
    handle_invalid: str = "keep",
) -> Row | None:
    """``loader(loader_path(uri))`` as a float32 image struct in the loader's own channel order;
    when the loader fails (an exception, or None), an error under ``handle_invalid`` 'error',
    else None (logged). Anything else the model cannot take (``expected``: its (height, width,
    channels), None where any size goes) is the loader's defect, not a bad file: an error."""
    try:
        value = loader(loader_path(uri))
        failure = None if value is not None else "it returned None"
    except Exception as e:  # noqa: BLE001 - handleInvalid decides what a failed row does
        failure, cause = f"{type(e).__name__}: {e}", e
    else:
        cause = None
    if failure is not None:
        if handle_invalid == "error":
            raise _load_error(stage, loader, uri, failure) from cause
        # Never silently: the worker logs it (Spark collects worker logs when
        # spark.sql.pyspark.worker.logging.enabled; stderr otherwise).
        _log.warning(
            "%s: imageLoader failed on '%s' (%s); its row is %s", stage, uri, failure,
            "dropped" if handle_invalid == "skip" else "kept with a null output",
        )
        return None
    return _model_image(value, uri, expected, f"{stage}: imageLoader returned", f"'{uri}'")


def _stored_image(uri: str, loader: Callable[[str], Any], stage: str) -> Row | None:
    """``loader(loader_path(uri))``, an RGB(A) array (or a batch of one), as an image struct
    stored B, G, R(, A) (:func:`sparkdl.image.imageArrayToStruct`); None, logged, when the
    loader fails or its array is no image."""
    from sparkdl.image import imageArrayToStruct

    try:
        array = np.asarray(loader(loader_path(uri)))
        if array.ndim == 4 and array.shape[0] == 1:
            array = array[0]
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        if array.ndim == 3 and array.shape[2] in (3, 4):
            array = array[..., [2, 1, 0, 3][: array.shape[2]]]  # RGB(A) -> BGR(A)
        return imageArrayToStruct(array, origin=uri)
    except Exception as e:  # noqa: BLE001 - as 1.x: an image that fails to load is null
        _log.warning(
            "%s: imageLoader gave no image for '%s' (%s: %s); its loaded image is null",
            stage, uri, type(e).__name__, e,
        )
        return None


def _model_image(value: Any, origin: str, expected: tuple | None, what: str, where: str) -> Row:
    """``value``, an image for a model of input (height, width, channels) ``expected`` (None, or
    None in a dimension, where any size goes), as a float32 image struct in its own channel order;
    else an error "<what> <what value is> for <where>; the model takes ...". A (height, width)
    array is one channel; a batch of one, its image."""
    takes = "the model takes (height, width, channels) " + (
        str(tuple("any" if e is None else e for e in expected))
        if expected is not None
        else "arrays of 1, 3 or 4 channels"
    )
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - what no array holds is described below
        array = np.asarray(None)
    if array.dtype.kind not in "biuf":
        found = (
            "None" if value is None
            else f"an array of dtype {array.dtype}" if isinstance(value, np.ndarray)
            else f"a {type(value).__name__}"
        )
        raise ValueError(f"{what} {found} for {where}; {takes}")
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[:, :, None]
    if (
        array.ndim != 3
        or array.shape[2] not in _FLOAT_MODES
        or expected is not None
        and any(e is not None and e != a for e, a in zip(expected, array.shape, strict=True))
    ):
        raise ValueError(f"{what} an array of shape {array.shape} for {where}; {takes}")
    height, width, channels = array.shape
    data = np.ascontiguousarray(array, dtype="<f4").tobytes()
    return Row(
        origin=origin,
        height=int(height),
        width=int(width),
        nChannels=int(channels),
        mode=_FLOAT_MODES[channels],
        data=bytearray(data),
    )


def _input_image_shape(model: TFModel, spark: Any) -> tuple | None:
    """The (height, width, channels) the model's first input takes, None in a dimension of any
    size; None when that input is no [batch, height, width, channels] tensor."""
    jvm = spark.sparkContext._jvm.io.sparkdl.python.PythonModels
    java_model = model._to_java(spark)
    shape = [int(d) for d in jvm.inputShape(java_model, model.input_names(spark)[0])]
    return tuple(None if d < 0 else d for d in shape[1:]) if len(shape) == 4 else None


class KerasImageFileTransformer(Transformer, _KerasImageFileParams):
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
    handleInvalid
        A row whose loader fails (or whose URI is null): ``'error'`` (default) fails the job
        naming the path and the loader, ``'skip'`` drops the row, ``'keep'`` keeps it with a
        null output. Local ``file:`` URIs reach the loader as paths (see the module's notes).
    kerasFitParams
        Kept as sparkdl 1.x kept it, for the transformers ``KerasImageFileEstimator.fit`` returns:
        the ``kerasFitParams`` the model was trained with. Not used to transform.

    A transformer fitted by :class:`KerasImageFileEstimator` has the estimator's params (with
    the param map's values); its ``modelFile`` is the file training started from, as in sparkdl
    1.x, while it runs the trained model (``model``). Setting ``modelFile`` on it runs that
    file's model instead.
    """

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
        outputMode: str = contract.OUTPUT_MODE_VECTOR,
        batchSize: int = contract.DEFAULT_BLOCK_SIZE,
        handleInvalid: str = "error",
        model: Any = None,
    ) -> None:
        super().__init__()
        self._setDefault(batchSize=contract.DEFAULT_BLOCK_SIZE)
        self._model = model
        kwargs = {k: v for k, v in {
            "inputCol": inputCol, "outputCol": outputCol, "modelFile": modelFile,
            "imageLoader": imageLoader, "outputMode": outputMode, "batchSize": batchSize,
            "handleInvalid": handleInvalid,
        }.items() if v is not None}
        self._set(**kwargs)

    def setParams(self, **kwargs: Any) -> KerasImageFileTransformer:
        """Sets the given params (``modelFile`` as :meth:`setModelFile` does)."""
        if kwargs.get("modelFile") is not None:
            self._model = None
        return self._set(**kwargs)

    def setModelFile(self, value: str) -> KerasImageFileTransformer:
        """Sets the Keras file to run; it replaces a ``model`` object (a fitted model's)."""
        self._model = None
        return self._set(modelFile=value)

    def setBatchSize(self, value: int) -> KerasImageFileTransformer:
        return self._set(batchSize=value)

    def getBatchSize(self) -> int:
        return self.getOrDefault(self.batchSize)

    def loadImagesInternal(self, dataframe: DataFrame, inputCol: str) -> DataFrame:  # noqa: N802,N803
        """``dataframe`` with a column ``__sdl_img`` of the images ``imageLoader`` makes of the
        URIs in column ``inputCol``, as sparkdl 1.x's method: image structs
        (:mod:`sparkdl.image`) whose pixels are the loader's RGB(A) array stored B, G, R(, A),
        with the URI as ``origin``; null where the loader fails or returns no image (the Python
        worker logs why, as :meth:`transform` does)."""
        from sparkdl.image import columnSchema

        if inputCol not in dataframe.columns:
            raise ValueError(
                f"KerasImageFileTransformer {self.uid}: loadImagesInternal: inputCol "
                f"'{inputCol}' is not a column; expected one of {dataframe.columns}"
            )
        if not self.isDefined(self.imageLoader):
            raise ValueError(f"KerasImageFileTransformer {self.uid}: param imageLoader is not set")
        loader = self.getImageLoader()
        stage = f"KerasImageFileTransformer {self.uid}"
        load = F.udf(
            lambda uri: None if uri is None else _stored_image(uri, loader, stage), columnSchema
        )
        return dataframe.withColumn(self._loadedImageCol(), load(F.col(inputCol)))

    def _tf_model(self) -> TFModel:
        """The model to run."""
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
        return TFModel.from_keras(TFModel._load_keras_file(path))

    def _transform(self, dataset: DataFrame) -> DataFrame:
        from sparkdl._stage import check_dataset
        from sparkdl.image import columnSchema
        from sparkdl.ml import KerasTransformer

        check_dataset(self, dataset, "transform")  # a pandas DataFrame has columns too
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
        tf_model = self._tf_model()
        expected = _input_image_shape(tf_model, dataset.sparkSession)
        stage = f"KerasImageFileTransformer {self.uid}"
        mode = self.getHandleInvalid()
        load = F.udf(
            lambda uri: None if uri is None else _loaded_image(uri, loader, expected, stage, mode),
            columnSchema,
        )
        model = KerasTransformer(
            model=tf_model,
            inputCol=input_col,
            outputCol=output_col,
            outputMode=self.getOutputMode(),
            batchSize=self.getBatchSize(),
            # The loader's failures raise in 'error' mode and are null images otherwise: the
            # inner stage drops ('skip') or keeps them ('keep'), as it does null URIs.
            handleInvalid=mode,
        )
        # Errors of the stage run inside name this one (StageName: the kind of its uid) and the
        # user's inputCol, which holds the loaded images while it runs; the URIs come back after.
        model._java_obj = model._new_java_obj(model._java_class, self.uid)
        model._resetUid(self.uid)
        uris = f"{input_col}__uri"
        images = dataset.withColumn(uris, F.col(input_col)).withColumn(input_col, load(F.col(uris)))
        return model.transform(images).withColumn(input_col, F.col(uris)).drop(uris)


# kerasFitParams keys and the KerasEstimator params they become.
_FIT_PARAMS = {
    "epochs": "epochs",
    "batch_size": "batchSize",
    "shuffle": "shuffle",
    "verbose": "verbose",
    "validation_split": "validationFraction",
}


def _loaded_array(
    uri: str, loader: Callable[[str], Any], stage: str, handle_invalid: str
) -> list | None:
    """``loader(loader_path(uri))`` as nested float lists ``[height][width][channels]``; when the
    loader fails (an exception, None, or no array of (height, width, channels)), an error under
    ``handle_invalid`` 'error', else None (the row is not trained on)."""
    try:
        array = _loader_pixels(uri, loader)
    except Exception as e:  # noqa: BLE001 - handleInvalid decides what a failed row does
        if handle_invalid == "error":
            raise _load_error(stage, loader, uri, f"{type(e).__name__}: {e}") from e
        return None
    if array is None:
        if handle_invalid == "error":
            raise _load_error(stage, loader, uri, "it returned None or no array of (height, "
                                                  "width, channels) (or a batch of one)")
        return None
    return array.tolist()


class KerasImageFileEstimator(Estimator, _KerasImageFileParams, HasLabelCol):
    """Trains a Keras model file on images read from URIs, as the original sparkdl's
    ``KerasImageFileEstimator`` did, but inside Spark tasks through sparkdl's engine
    (:class:`sparkdl.ml.KerasEstimator`), never by collecting the images to the driver.

    ``imageLoader`` turns each URI of ``inputCol`` into the array the model takes (in Spark's
    Python workers; local ``file:`` URIs reach it as paths, as :class:`KerasImageFileTransformer`
    says); ``labelCol`` holds one-hot labels (ML vectors or numeric arrays). ``handleInvalid``
    governs rows whose loader fails and rows with a null URI or label: ``'error'`` (default)
    fails the fit, naming the path and the loader (or the column); ``'skip'`` and ``'keep'``
    leave them out of training (no training feeds a null image); the fitted transformer gets the
    value for its ``transform``. ``fit`` returns a :class:`KerasImageFileTransformer` running
    the trained model (one per param map with ``fit(df, paramMaps)``; ``fitMultiple`` yields
    ``(index, transformer)`` as each fit ends); each transformer's ``history`` has the loss of
    each epoch.

    Parameters
    ----------
    inputCol, outputCol, labelCol
        The image URIs, the fitted transformer's output, the one-hot labels.
    outputMode
        The fitted transformer's ``outputMode``: ``"vector"`` (default) or ``"array"``.
    modelFile
        A Keras model file (``.keras``, ``.h5``): the model and its initial weights.
    imageLoader
        ``uri -> numpy array``, shape ``(height, width, channels)`` (or a batch of one).
    kerasOptimizer, kerasLoss
        As Keras' ``compile`` takes them (names or objects); the optimizer's own learning rate
        is the training's.
    kerasFitParams
        As Keras' ``fit`` takes them: ``epochs`` (1), ``batch_size`` (32), ``shuffle`` (True:
        sparkdl's seeded order, not Keras'), ``verbose`` (1), ``validation_split`` (0: the
        first ``floor(n * (1 - f))`` loaded images train, the others validate, as in Keras).

    numWorkers
        Not in the original: data-parallel workers training the model (1, the default: one Spark
        task; n > 1: one barrier stage of n tasks, each on its share of the images, the gradients
        averaged every step), as :class:`~sparkdl.ml.KerasEstimator`'s ``numWorkers``.

    Only ``kerasOptimizer``, ``kerasLoss``, ``kerasFitParams``, ``outputCol`` and ``outputMode``
    may vary between param maps, as in the original.

    Each param has sparkdl 1.x's setter and getter (``setKerasFitParams``,
    ``getKerasOptimizer``, ...); setters return the estimator. Defaults as in 1.x:
    ``kerasOptimizer`` ``'adam'``, ``kerasFitParams`` ``{'verbose': 1}``, ``outputMode``
    ``'vector'``, ``outputCol`` ``<uid>__output``.
    """

    kerasOptimizer = Param(Params._dummy(), "kerasOptimizer",
                           "A Keras optimizer (name or object), as compile takes it. "
                           "Default: 'adam'.")
    kerasLoss = Param(Params._dummy(), "kerasLoss", "A Keras loss (name or object).")
    numWorkers = Param(Params._dummy(), "numWorkers",
                       "Data-parallel workers training the model (> 0), as KerasEstimator's. "
                       "Default: 1.", typeConverter=TypeConverters.toInt)

    def __init__(
        self,
        *,
        inputCol: str | None = None,
        outputCol: str | None = None,
        outputMode: str = contract.OUTPUT_MODE_VECTOR,
        labelCol: str | None = None,
        modelFile: str | None = None,
        imageLoader: Callable[[str], Any] | None = None,
        kerasOptimizer: Any = None,
        kerasLoss: Any = None,
        kerasFitParams: dict[str, Any] | None = None,
        handleInvalid: str = "error",
        numWorkers: int | None = None,
    ) -> None:
        super().__init__()
        self._setDefault(kerasOptimizer="adam", numWorkers=1)
        self._tunable = [self.kerasOptimizer, self.kerasLoss, self.kerasFitParams,
                         self.outputCol, self.outputMode]
        kwargs = {k: v for k, v in {
            "inputCol": inputCol, "outputCol": outputCol, "outputMode": outputMode,
            "labelCol": labelCol, "modelFile": modelFile, "imageLoader": imageLoader,
            "kerasOptimizer": kerasOptimizer, "kerasLoss": kerasLoss,
            "kerasFitParams": kerasFitParams, "handleInvalid": handleInvalid,
            "numWorkers": numWorkers,
        }.items() if v is not None}
        self._set(**kwargs)

    def setParams(self, **kwargs: Any) -> KerasImageFileEstimator:
        return self._set(**kwargs)

    # sparkdl 1.x's setters and getters (1.x spelt one setter "seKerasLoss").
    def setLabelCol(self, value: str) -> KerasImageFileEstimator:
        return self._set(labelCol=value)

    def setKerasOptimizer(self, value: Any) -> KerasImageFileEstimator:
        return self._set(kerasOptimizer=value)

    def getKerasOptimizer(self) -> Any:
        return self.getOrDefault(self.kerasOptimizer)

    def setKerasLoss(self, value: Any) -> KerasImageFileEstimator:
        return self._set(kerasLoss=value)

    def getKerasLoss(self) -> Any:
        return self.getOrDefault(self.kerasLoss)

    def setNumWorkers(self, value: int) -> KerasImageFileEstimator:
        return self._set(numWorkers=value)

    def getNumWorkers(self) -> int:
        return self.getOrDefault(self.numWorkers)

    def loadImagesInternal(self, dataframe: DataFrame, inputCol: str) -> DataFrame:  # noqa: N802,N803
        """As :meth:`KerasImageFileTransformer.loadImagesInternal`, with this estimator's
        ``imageLoader``."""
        loader = KerasImageFileTransformer()
        loader._resetUid(self.uid)
        if self.isDefined(self.imageLoader):
            loader.setImageLoader(self.getImageLoader())
        return loader.loadImagesInternal(dataframe, inputCol)

    def _error(self, message: str) -> ValueError:
        return ValueError(f"KerasImageFileEstimator {self.uid}: {message}")

    def _validate(self, paramMap: dict) -> dict[str, Any]:
        """This estimator's values with the map's, checked on the driver (as the original)."""
        wrong = sorted(p.name for p in paramMap if p not in self._tunable)
        if wrong:
            raise self._error(f"params {wrong} may not vary between param maps; expected only "
                              f"{sorted(p.name for p in self._tunable)}")
        values = {p.name: v for p, v in self.extractParamMap(paramMap).items()}
        for name in ("inputCol", "outputCol", "labelCol", "modelFile", "imageLoader",
                     "kerasOptimizer", "kerasLoss"):
            if values.get(name) is None:
                raise self._error(f"param {name} is not set")
        if values["outputMode"] not in (contract.OUTPUT_MODE_VECTOR, contract.OUTPUT_MODE_ARRAY):
            raise self._error(f"param outputMode is '{values['outputMode']}'; expected 'vector' "
                              "or 'array'")
        fit_params = values["kerasFitParams"]
        if not isinstance(fit_params, dict) or set(fit_params) - set(_FIT_PARAMS):
            raise self._error(f"param kerasFitParams {fit_params!r}: expected a dict with keys "
                              f"among {sorted(_FIT_PARAMS)}")
        if not os.path.exists(values["modelFile"]):
            raise self._error(f"modelFile '{values['modelFile']}' does not exist")
        return values

    def _training_frame(self, dataset: DataFrame, image_col: str, label_col: str) -> DataFrame:
        from pyspark.ml.functions import vector_to_array
        from pyspark.ml.linalg import VectorUDT
        from pyspark.sql import types as T

        uri, label = self.getInputCol(), self.getLabelCol()
        for param, column in (("inputCol", uri), ("labelCol", label)):
            if column not in dataset.columns:
                raise self._error(f"{param} '{column}' is not a column; expected one of "
                                  f"{dataset.columns}")
        label_type = dataset.schema[label].dataType
        if isinstance(label_type, VectorUDT):
            labels = vector_to_array(F.col(label), "float32")
        elif isinstance(label_type, T.ArrayType) and isinstance(label_type.elementType,
                                                                T.NumericType):
            labels = F.col(label).cast("array<float>")
        else:
            raise self._error(f"labelCol '{label}' has type {label_type.simpleString()}; expected "
                              "one-hot labels: an ML vector or a numeric array")
        loader = self.getOrDefault(self.imageLoader)
        stage, mode = f"KerasImageFileEstimator {self.uid}", self.getHandleInvalid()
        image_type = T.ArrayType(T.ArrayType(T.ArrayType(T.FloatType(), False), False), False)
        load = F.udf(lambda u: None if u is None else _loaded_array(u, loader, stage, mode),
                     image_type)
        # Null images (failed loads under 'skip'/'keep', null URIs) and null labels: the
        # training's handleInvalid drops them ('skip') or fails naming the column ('error').
        return dataset.select(load(F.col(uri)).alias(image_col), labels.alias(label_col))

    def _fit(self, dataset: DataFrame) -> KerasImageFileTransformer:
        return next(iter(self.fitMultiple(dataset, [{}])))[1]

    def fitMultiple(self, dataset: DataFrame, paramMaps: Any) -> Any:
        """Fits one model per param map, all at once in Spark tasks; yields ``(index,
        KerasImageFileTransformer)`` as each fit ends (thread-safe)."""
        import keras

        from sparkdl._stage import check_dataset
        from sparkdl._trainable import require_trainable_weights
        from sparkdl.ml import KerasEstimator

        check_dataset(self, dataset, "fit")  # before anything reads dataset.sparkSession
        maps = list(paramMaps)
        values = [self._validate(m) for m in maps]
        # The loaded images and labels take the user's column names: training errors name them.
        image_col, label_col = self.getInputCol(), self.getLabelCol()
        frame = self._training_frame(dataset, image_col, label_col)
        model_file = self.getOrDefault(self.modelFile)
        # Training cannot keep a row it cannot feed: 'keep' leaves it out, as 'skip' does.
        training_invalid = "error" if self.getHandleInvalid() == "error" else "skip"
        model = keras.models.load_model(model_file)
        require_trainable_weights(model, f"KerasImageFileEstimator {self.uid}: modelFile "
                                         f"'{model_file}'")
        fit_params = [{**{"epochs": 1, "batch_size": 32, "shuffle": True, "verbose": 1},
                       **v["kerasFitParams"]} for v in values]
        est = KerasEstimator(model=model, loss=values[0]["kerasLoss"], inputCol=image_col,
                             labelCol=label_col, outputCol="prediction",
                             handleInvalid=training_invalid,
                             verbose=max(int(f["verbose"]) for f in fit_params),
                             numWorkers=self.getOrDefault(self.numWorkers))
        java_maps = []
        for v, f in zip(values, fit_params, strict=True):
            optimizer = keras.optimizers.get(v["kerasOptimizer"])
            m = {est.optimizer: v["kerasOptimizer"], est.loss: v["kerasLoss"],
                 est.learningRate: float(keras.ops.convert_to_numpy(optimizer.learning_rate))}
            for key, name in _FIT_PARAMS.items():
                if key != "verbose":
                    m[est.getParam(name)] = f.get(key, 0.0) if key == "validation_split" else f[key]
            java_maps.append(m)
        fits = est.fitMultiple(frame, java_maps)
        loader = self.getOrDefault(self.imageLoader)
        input_col, handle_invalid = self.getInputCol(), self.getHandleInvalid()

        def transformer(fit: tuple[int, Any]) -> tuple[int, KerasImageFileTransformer]:
            index, fitted = fit
            v = values[index]
            # As 1.x: the estimator's params with the map's values (modelFile: the file
            # training started from); the transformer runs the trained model.
            made = KerasImageFileTransformer(
                inputCol=input_col, outputCol=v["outputCol"], outputMode=v["outputMode"],
                imageLoader=loader, modelFile=v["modelFile"], handleInvalid=handle_invalid,
                model=fitted.getOrDefault(fitted.model),
            )
            made.setKerasFitParams(v["kerasFitParams"])
            made.history = fitted.history  # for sparkdl.plot.training_curves
            return index, made

        # As thread-safe as `fits` (map keeps no state of its own); lazy as it is.
        return map(transformer, fits)
