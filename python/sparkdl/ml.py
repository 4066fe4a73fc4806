"""Spark ML stages that run TensorFlow and Keras models over DataFrame columns.

:class:`TFTransformer` and :class:`KerasTransformer` are the Scala stages ``io.sparkdl.ml.*``
seen from Python: their params, docs and defaults come from the Scala classes (the generated
bases in ``sparkdl._gen``), and they save, load and join Pipelines like PySpark's own stages.
Python adds one thing: ``model=`` also takes what TensorFlow Python holds, converted to a
:class:`~sparkdl.model.TFModel` on the driver.

Example
-------
>>> from sparkdl.ml import KerasTransformer
>>> t = KerasTransformer(model=keras_model, inputCol="features", outputCol="prediction")
>>> t.transform(df).select("prediction").show()
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from sparkdl._gen.ml import (
    _DeepImageFeaturizer,
    _DeepImagePredictor,
    _KerasTransformer,
    _TFEstimator,
    _TFEstimatorModel,
    _TFImageTransformer,
    _TFTransformer,
)
from sparkdl.model import TFModel

__all__ = [
    "DeepImageFeaturizer",
    "DeepImagePredictor",
    "KerasEstimator",
    "KerasTransformer",
    "TFEstimator",
    "TFEstimatorModel",
    "TFImageTransformer",
    "TFTransformer",
]


def _is_keras_model(value: Any) -> bool:
    # Keras is imported only when something that is not a TFModel arrives.
    import keras

    return isinstance(value, keras.Model)


class TFTransformer(_TFTransformer):
    """Runs a TensorFlow model over DataFrame columns: each input column feeds a model input
    (``inputMapping``), each model output fetched becomes a column (``outputMapping``).

    Parameters
    ----------
    model
        A :class:`~sparkdl.model.TFModel`, or what becomes one: a ``tf.Graph`` (frozen down to
        the outputs of ``outputMapping``, variables at their initial values), a
        ``tf.compat.v1.Session`` (its graph, variables at their values in the session), a
        ``tf.function`` with an input signature or a concrete function
        (:meth:`TFModel.from_function`), or a Keras model (:meth:`TFModel.from_keras`).
    inputMapping
        Input column -> model input (signature key or placeholder name).
    outputMapping
        Model output (signature key or tensor name) -> output column.
    batchSize, handleInvalid, outputMode
        As in Scala; see :meth:`explainParams`.
    """

    def _set(self, **kwargs: Any) -> TFTransformer:
        model = kwargs.get("model")
        if model is not None and not isinstance(model, TFModel):
            kwargs["model"] = self._tf_model(model, kwargs.get("outputMapping"))
        return super()._set(**kwargs)

    def _tf_model(self, value: Any, output_mapping: Mapping[str, str] | None) -> TFModel:
        import tensorflow as tf

        if isinstance(value, tf.Graph | tf.compat.v1.Session):
            if output_mapping is None and self.isDefined(self.outputMapping):
                output_mapping = self.getOrDefault(self.outputMapping)
            if not output_mapping:
                raise ValueError(
                    f"TFTransformer {self.uid}: param model: a {type(value).__name__} is frozen "
                    "down to the outputs in outputMapping, which is not set; set it with (or "
                    "before) the model, or pass TFModel.from_graph(graph, fetches)"
                )
            if isinstance(value, tf.compat.v1.Session):
                return TFModel.from_graph(value.graph, list(output_mapping), session=value)
            return TFModel.from_graph(value, list(output_mapping))
        kinds = tf.types.experimental
        if isinstance(value, kinds.ConcreteFunction | kinds.PolymorphicFunction):
            return TFModel.from_function(value)
        if _is_keras_model(value):
            return TFModel.from_keras(value)
        raise TypeError(
            f"TFTransformer {self.uid}: param model: expected a TFModel, tf.Graph, "
            "tf.compat.v1.Session, tf.function, concrete function or Keras model; found a "
            f"{type(value).__name__}"
        )


class KerasTransformer(_KerasTransformer):
    """Runs a single-input, single-output Keras model over a column (``inputCol`` ->
    ``outputCol``).

    Parameters
    ----------
    model
        A Keras model, a Keras file (``.keras``, ``.h5``), or a
        :class:`~sparkdl.model.TFModel` (e.g. :meth:`TFModel.from_keras`). Models become
        SavedModels in Python; the JVM never needs Keras.
    custom_objects
        Passed to ``keras.models.load_model`` for a Keras file. Python only, not a param.
    safe_mode
        Passed to ``keras.models.load_model`` for a Keras file: ``True`` (the default) refuses
        the Python code a file may carry (``Lambda`` layers); ``False`` runs it, for files you
        trust as code (docs/security.md). Python only, not a param.
    inputCol, outputCol, batchSize, handleInvalid, outputMode
        As in Scala; see :meth:`explainParams`.
    """

    def __init__(
        self,
        *,
        custom_objects: Mapping[str, Any] | None = None,
        safe_mode: bool = True,
        **kwargs: Any,
    ) -> None:
        self._custom_objects = custom_objects  # before super().__init__, which sets the model
        self._safe_mode = safe_mode
        super().__init__(**kwargs)

    def setModel(  # type: ignore[override]
        self, value: Any, custom_objects: Mapping[str, Any] | None = None
    ) -> KerasTransformer:
        """Sets :py:attr:`model`: a Keras model or file, or a TFModel."""
        if custom_objects is not None:
            self._custom_objects = custom_objects
        return self._set(model=value)

    def _set(self, **kwargs: Any) -> KerasTransformer:
        model = kwargs.get("model")
        if isinstance(model, str | os.PathLike) or (
            model is not None and not isinstance(model, TFModel) and _is_keras_model(model)
        ):
            kwargs["model"] = TFModel.from_keras(
                model,
                getattr(self, "_custom_objects", None),
                safe_mode=getattr(self, "_safe_mode", True),
            )
        return super()._set(**kwargs)


class TFImageTransformer(_TFImageTransformer):
    """Runs a TensorFlow image model over a column of images (Spark's image struct, as
    :func:`sparkdl.readImages` gives them), resized to the model's input size and fed in its
    channel order, in batches of ``batchSize`` images of one size.

    Parameters
    ----------
    model
        A :class:`~sparkdl.model.TFModel`, a Keras model or a Keras file (converted with
        :meth:`TFModel.from_keras`).
    inputCol, outputCol, inputTensor, outputTensor, channelOrder, outputMode, imageSize,
    resizeMethod, batchSize, handleInvalid
        As in Scala; see :meth:`explainParams`.
    """

    def _set(self, **kwargs: Any) -> TFImageTransformer:
        model = kwargs.get("model")
        if isinstance(model, str | os.PathLike) or (
            model is not None and not isinstance(model, TFModel) and _is_keras_model(model)
        ):
            kwargs["model"] = TFModel.from_keras(model)
        return super()._set(**kwargs)


class DeepImageFeaturizer(_DeepImageFeaturizer):
    """Turns images into features: the pooled layer before the classifier of a named ImageNet
    model (``modelName``: InceptionV3, Xception, ResNet50, VGG16, VGG19, MobileNetV2,
    EfficientNetB0, DenseNet121, ResNet50V2 or ConvNeXtTiny), as an ML vector per image.

    The model is read from the model store, which ``python -m sparkdl.models prepare <Name>``
    fills; its root is Spark conf ``spark.sparkdl.modelStore``, else ``$SPARKDL_MODEL_STORE``,
    else ``~/.cache/sparkdl/models``. A saved stage keeps only the model's name.

    Parameters
    ----------
    inputCol, outputCol, modelName, scaleHint, batchSize, handleInvalid
        As in Scala; see :meth:`explainParams`.
    """


class DeepImagePredictor(_DeepImagePredictor):
    """Classifies images with a named ImageNet model (as :class:`DeepImageFeaturizer`'s): an ML
    vector of the 1,000 class probabilities, or with ``decodePredictions=True`` the ``topK`` most
    probable classes as structs ``(class, description, probability)``, most probable first.

    Parameters
    ----------
    inputCol, outputCol, modelName, scaleHint, decodePredictions, topK, batchSize, handleInvalid
        As in Scala; see :meth:`explainParams`.
    """


class TFEstimator(_TFEstimator):
    """Trains a trainable TF model (:meth:`TFModel.from_keras_trainable`, or any SavedModel with
    ``serving_default``, ``train_step`` and ``evaluate`` signatures: docs/training.md) on
    DataFrame columns inside a Spark task, through sparkdl's engine; nothing but the trained
    model and its history reaches the driver. ``fitMultiple`` (and so ``CrossValidator`` and
    ``TrainValidationSplit`` with ``parallelism``) run one training task per param map.

    Parameters
    ----------
    model, inputMapping, labelCol, outputCol, epochs, batchSize, learningRate, shuffle, seed,
    validationFraction, earlyStoppingPatience, handleInvalid
        As in Scala; see :meth:`explainParams`.
    """

    def _fit(self, dataset: Any) -> TFEstimatorModel:
        # The JVM's fit already set the model's params; PySpark's default would then copy this
        # estimator's values over them, the untrained `model` among them.
        return self._create_model(self._fit_java(dataset))

    def fitMultiple(self, dataset: Any, paramMaps: Any) -> Iterator[tuple[int, TFEstimatorModel]]:
        """Fits one model per param map, all at once: one Spark training task per map over one
        cache of the data. Yields ``(index, model)`` (thread-safe, as ``CrossValidator`` with
        ``parallelism`` consumes it); the fits run when the first is asked for."""
        maps = list(paramMaps)
        lock = threading.Lock()
        fitted: list[TFEstimatorModel] = []
        handed = iter(range(len(maps)))

        def fit_all() -> None:
            self._transfer_params_to_java()
            java_maps = [self._transfer_param_map_to_java(m) for m in maps]
            jvm = dataset.sparkSession.sparkContext._jvm
            models = jvm.io.sparkdl.python.PythonEstimators.fitMultiple(
                self._java_obj, dataset._jdf, java_maps
            )
            fitted.extend(self._create_model(m) for m in models)

        class _Fits:
            def __iter__(self) -> _Fits:
                return self

            def __next__(self) -> tuple[int, TFEstimatorModel]:
                with lock:
                    index = next(handed)
                    if not fitted:
                        fit_all()
                    return index, fitted[index]

        return _Fits()


class TFEstimatorModel(_TFEstimatorModel):
    """The model a :class:`TFEstimator` trained: runs it over ``inputMapping``'s columns into
    ``outputCol``, and keeps the training history."""

    @property
    def history(self) -> list[dict[str, float]]:
        """The loss and metrics of each epoch (validation figures prefixed ``val_``)."""
        import json

        return json.loads(self.getTrainingHistory())


class KerasEstimator(TFEstimator):
    """Trains a Keras model on a DataFrame in Spark tasks: a :class:`TFEstimator` whose model is
    ``model`` compiled with ``loss``, ``optimizer`` and ``metrics`` (any Keras objects or names)
    into a trainable SavedModel, fed from ``inputCol``.

    Parameters
    ----------
    model
        A Keras model with one input and one output (or a trainable TFModel).
    loss, optimizer, metrics
        As Keras' ``compile`` takes them; metrics stateless. Python only, not params.
    inputCol
        The column feeding the model's input.
    labelCol, outputCol, epochs, batchSize, learningRate, shuffle, seed, validationFraction,
    earlyStoppingPatience
        As :class:`TFEstimator`'s.
    """

    def __init__(
        self,
        *,
        model: Any = None,
        loss: Any = None,
        optimizer: Any = "adam",
        metrics: Any = None,
        inputCol: str | None = None,
        **kwargs: Any,
    ) -> None:
        if model is not None and not isinstance(model, TFModel):
            if loss is None:
                raise ValueError("KerasEstimator: loss is required with a Keras model")
            model = TFModel.from_keras_trainable(model, loss, optimizer, metrics)
        if inputCol is not None:
            kwargs["inputMapping"] = {inputCol: "x"}
        if model is not None:
            kwargs["model"] = model
        super().__init__(**kwargs)
