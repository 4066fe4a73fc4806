"""TensorFlow models as Spark SQL functions ("model UDFs"): :func:`registerModelUDF`.

>>> mlp = registerModelUDF(spark, "mlp", TFModel.from_saved_model("/models/mlp", signature="serve"))
>>> spark.sql("SELECT mlp(features) AS probs FROM t")
>>> df.select(mlp("features"))          # the same, from the DataFrame API

Calls run batched on Spark's executors, in blocks of ``batch_size`` rows, on TensorFlow sessions
each executor keeps across tasks and queries: no Python worker, no per-row model run.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkdl import _connect
from sparkdl._gen import contract
from sparkdl._jvm import facade
from sparkdl.model import TFModel

__all__ = [
    "ModelUDF",
    "model_runs",
    "registerKerasImageUDF",
    "registerModelUDF",
    "register_model",
]


class ModelUDF:
    """A registered model function; calling it on columns gives the call as a :class:`Column`.

    Attributes
    ----------
    name : str
        The SQL function's name.
    inputs : list of str
        The model inputs its arguments feed, in argument order.
    outputs : list of str
        The model outputs it returns (a struct with one field per output when several).
    """

    def __init__(self, name: str, inputs: list[str], outputs: list[str]) -> None:
        self.name = name
        self.inputs = inputs
        self.outputs = outputs

    def __call__(self, *cols: Column | str) -> Column:
        """The call ``name(cols...)``; columns may be given by name."""
        return F.call_function(self.name, *cols)

    def __repr__(self) -> str:
        return f"ModelUDF({self.name}({', '.join(self.inputs)}) -> {', '.join(self.outputs)})"


def registerModelUDF(  # noqa: N802 - the name Scala and the original sparkdl use
    spark: SparkSession,
    name: str,
    model: TFModel,
    inputs: Sequence[str] | None = None,
    outputs: Sequence[str] | None = None,
    batch_size: int = contract.MODEL_UDF_BATCH_SIZE,
) -> ModelUDF:
    """Register ``model`` as the temporary SQL function ``name`` of ``spark``'s session.

    Parameters
    ----------
    spark
        The session to register the function in (replacing a temporary function of that name).
    name
        The function name: letters, digits and ``_``, not starting with a digit.
    model
        The model, a :class:`sparkdl.model.TFModel`.
    inputs
        Model inputs (signature keys or tensor names), one per argument, in argument order.
        Default: the signature's input keys sorted, or the frozen graph's placeholders.
    outputs
        Model outputs (signature keys or tensor names) the function returns: one output comes
        back as its own column type (e.g. ``array<float>``), several as a struct with one field
        per output, named after it. Default: the signature's output keys sorted; a frozen graph
        has no signature, so name them.
    batch_size
        Rows per model run. Default: 1024.

    Returns
    -------
    ModelUDF
        The registered function, callable on columns for the DataFrame API.

    Notes
    -----
    Arguments feed the model as columns feed the ML stages: integers to any numeric input,
    floats to float inputs (``double`` columns into a float32 model work), never floats to
    integer inputs (an error naming the argument). A null argument, or an array argument of a
    shape the model input cannot take, fails the query with an error naming the function and the
    argument: filter such rows out first (``WHERE x IS NOT NULL AND f(x) > 0`` is safe, the
    condition without the call is applied first).
    """
    if not isinstance(model, TFModel):
        raise TypeError(
            f"registerModelUDF: model must be a sparkdl.model.TFModel, not {type(model).__name__}"
        )
    if isinstance(inputs, str) or isinstance(outputs, str):
        raise TypeError("registerModelUDF: inputs and outputs are lists of names, not a string")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool):
        raise TypeError(f"registerModelUDF: batch_size must be an int, not {batch_size!r}")
    if _connect.is_connect_session(spark):  # no py4j: a command the server's plugin runs
        registered = _connect.register_model_udf(spark, name, model, inputs, outputs, batch_size)
        return ModelUDF(*registered)
    api = _api(spark)
    function = api.register(
        spark._jsparkSession,
        name,
        model._to_java(spark),
        list(inputs or []),
        list(outputs or []),
        batch_size,
    )
    return ModelUDF(name, list(api.inputs(function)), list(api.outputs(function)))


register_model = registerModelUDF
"""The same as :func:`registerModelUDF`, by its PEP 8 name."""


def registerKerasImageUDF(  # noqa: N802 - the original sparkdl's name
    spark: SparkSession | str | None = None,
    name: Any = None,
    model_or_file: Any = None,
    preprocessor: Callable[[np.ndarray], Any] | None = None,
    *,
    channel_order: str = "RGB",
    resize_method: str = "area",
    batch_size: int = contract.MODEL_UDF_BATCH_SIZE,
    udf_name: str | None = None,
    keras_model_or_file_path: Any = None,
) -> ModelUDF:
    """Register a Keras image model as the SQL function ``name`` over an image struct column.

    ``SELECT name(image) FROM images`` runs the model on the images of column ``image`` (Spark's
    image struct, as :func:`sparkdl.readImages` gives them), batched on the executors like
    :func:`registerModelUDF`'s functions. The original sparkdl's form without ``spark``,
    ``registerKerasImageUDF(name, model_or_file, preprocessor)``, or with its keywords
    ``udf_name=`` and ``keras_model_or_file_path=``, uses the active session.

    Parameters
    ----------
    spark
        The session to register the function in.
    name
        The function's name.
    model_or_file
        A Keras model, a Keras file (``.keras``, ``.h5``) or a :class:`~sparkdl.model.TFModel`
        with one image input ``[batch, height, width, channels]`` and one output.
    preprocessor
        Optional ``array -> array``: takes an image as a numpy array (height, width, channels)
        in RGB order (uint8 or float32, as stored) and returns the array the model takes; runs in
        Spark's Python workers (as the SQL function ``<name>__preprocess``, which ``name`` calls
        on its argument). An exception it raises, or a result the model cannot take, fails the
        query with an error naming ``name``, the image's origin and the exception or both
        shapes. Without it, images are resized to the model's input size (``resize_method``) and
        put in ``channel_order`` on the JVM.
    channel_order, resize_method, batch_size
        Without a preprocessor: the model's channel order (``"RGB"``, ``"BGR"`` or ``"L"``), how
        images are resized (``"area"``, ``"bilinear"``, ``"bicubic"``, ``"nearest"``). Rows per
        model run. Defaults: ``"RGB"``, ``"area"``, 1024.

    Returns
    -------
    ModelUDF
        The registered function, callable on columns for the DataFrame API.
    """
    if isinstance(spark, str):  # the original's (name, model_or_file, preprocessor)
        spark, name, model_or_file, preprocessor = _active(), spark, name, model_or_file
    if udf_name is not None or keras_model_or_file_path is not None:  # the original's keywords
        if name is not None or model_or_file is not None:
            raise TypeError(
                "registerKerasImageUDF: pass the function's name and model either as name= and "
                "model_or_file= or as sparkdl 1.x's udf_name= and keras_model_or_file_path=, "
                "not both"
            )
        name, model_or_file = udf_name, keras_model_or_file_path
    if spark is None:
        spark = _active()
    if name is None or model_or_file is None:
        raise TypeError("registerKerasImageUDF: expected a function name and a model (or file)")
    if _connect.is_connect_session(spark):
        raise NotImplementedError(
            "registerKerasImageUDF is not supported through Spark Connect yet; use "
            "registerModelUDF, or a classic session (docs/connect.md)"
        )
    model = model_or_file
    if not isinstance(model, TFModel):
        model = TFModel.from_keras(model)
    api = _api(spark)
    if preprocessor is None:
        function = api.registerKerasImage(
            spark._jsparkSession,
            name,
            model._to_java(spark),
            channel_order,
            resize_method,
            batch_size,
        )
        return ModelUDF(name, list(api.inputs(function)), list(api.outputs(function)))
    # The preprocessor runs in Python workers, as the SQL function `<name>__preprocess`; the model
    # function `name` calls it on its argument first, so the user's name is the one errors say.
    from sparkdl.image import _checked_struct, columnSchema, imageStructToArray
    from sparkdl.keras_image import _input_image_shape, _model_image

    function = api.registerPreprocessedImage(
        spark._jsparkSession, name, model._to_java(spark), f"{name}__preprocess", batch_size
    )
    expected = _input_image_shape(model, spark)
    who = f"SQL function {name}"

    def prepared(image: Any) -> Any:
        if image is None:
            return None  # the model function's null-argument error names the call
        _checked_struct(image, who)
        array = imageStructToArray(image)
        rgb = array[..., [2, 1, 0, *range(3, array.shape[2])]] if array.shape[2] >= 3 else array
        try:
            value = preprocessor(rgb)
        except Exception as e:
            # Where it raised, too: Spark's simplified Python tracebacks drop the chained cause.
            frame = traceback.extract_tb(e.__traceback__)[-1]
            raise ValueError(
                f"{who}: the preprocessor failed on image {image.origin!r}: "
                f"{type(e).__name__}: {e} (at {frame.filename}:{frame.lineno}, in {frame.name})"
            ) from e
        returned = f"{who}: the preprocessor returned"
        return _model_image(value, image.origin, expected, returned, f"image {image.origin!r}")

    spark.udf.register(f"{name}__preprocess", prepared, columnSchema)
    return ModelUDF(name, list(api.inputs(function)), list(api.outputs(function)))


def _active() -> SparkSession:
    spark = SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    return spark


def model_runs(df: DataFrame) -> int:
    """How many model runs ``df``'s query made, over all its model UDF calls.

    The SQL metric "number of model runs" of the query's model UDF operators (the Spark UI shows
    it too), read after an action on this very DataFrame: one run per block of ``batch_size`` rows
    per partition, never one per row.
    """
    return int(_api(df.sparkSession).modelRuns(df._jdf))


def _api(spark: SparkSession) -> Any:
    return facade(spark, "PythonModelUDFs")
