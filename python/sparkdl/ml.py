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

from pyspark import keyword_only
from pyspark.ml.param import Param, Params

from sparkdl._gen import contract
from sparkdl._gen.ml import (
    _DeepImageFeaturizer,
    _DeepImagePredictor,
    _KerasTransformer,
    _TFEstimator,
    _TFEstimatorModel,
    _TFImageTransformer,
    _TFTransformer,
)
from sparkdl._jvm import facade
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


def _is_input_graph(value: Any) -> bool:
    from sparkdl.graph.input import TFInputGraph

    return isinstance(value, TFInputGraph)


def _is_keras_model(value: Any) -> bool:
    # Keras is imported only when something that is not a TFModel arrives.
    import keras

    return isinstance(value, keras.Model)


def _object_key(value: Any) -> Any:
    """A cache key for a Keras loss, optimizer or metric: names by value, objects themselves."""
    if value is None or isinstance(value, str):
        return value
    try:
        hash(value)
        return value
    except TypeError:  # a config dict
        import json

        return json.dumps(value, sort_keys=True, default=repr)


def _to_keras_or_tf_model(value: Any) -> Any:
    """Type converter of KerasEstimator's ``model``: a Keras model or a TFModel, as it is."""
    if isinstance(value, TFModel) or _is_keras_model(value):
        return value
    raise TypeError(
        f"expected a Keras model or a trainable TFModel; found a {type(value).__name__}"
    )


class TFTransformer(_TFTransformer):
    """Runs a TensorFlow model over DataFrame columns: each input column feeds a model input
    (``inputMapping``), each model output fetched becomes a column (``outputMapping``).

    ``model`` takes a :class:`~sparkdl.model.TFModel`, or what becomes one: a ``tf.Graph``
    (frozen down to the outputs of ``outputMapping``, variables at their initial values), a
    ``tf.compat.v1.Session`` (its graph, variables at their values in the session), a
    ``tf.function`` with an input signature or a concrete function
    (:meth:`TFModel.from_function`), or a Keras model (:meth:`TFModel.from_keras`).

    Of the params below, ``tfInputGraph`` is Python's own; the others are the Scala stage's, with
    their defaults and allowed values.

    Parameters
    ----------
    tfInputGraph
        A :class:`~sparkdl.graph.input.TFInputGraph`, as sparkdl 1.x's TFTransformer took it:
        sets ``model`` to its model. Python only, not a param.
    """

    @keyword_only
    def __init__(self, *, tfInputGraph: Any = None, **kwargs: Any) -> None:
        self._tf_input_graph = None
        if tfInputGraph is not None:
            if "model" in kwargs:
                raise ValueError("TFTransformer: pass model or tfInputGraph, not both")
            kwargs["model"] = tfInputGraph
        super().__init__(**kwargs)

    def setTFInputGraph(self, value: Any) -> TFTransformer:  # noqa: N802 - sparkdl 1.x's name
        """Sets ``model`` to a :class:`~sparkdl.graph.input.TFInputGraph`'s model."""
        return self._set(model=value)

    def getTFInputGraph(self) -> Any:  # noqa: N802 - sparkdl 1.x's name
        """The :class:`~sparkdl.graph.input.TFInputGraph` the model was set from, or None."""
        return self._tf_input_graph

    def _set(self, **kwargs: Any) -> TFTransformer:
        model = kwargs.get("model")
        if _is_input_graph(model):
            self._tf_input_graph = model
            model = kwargs["model"] = model.model
        elif model is not None:
            self._tf_input_graph = None
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

    ``model`` takes a Keras model, a Keras file (``.keras``, ``.h5``), or a
    :class:`~sparkdl.model.TFModel` (e.g. :meth:`TFModel.from_keras`). Models become SavedModels
    in Python; the JVM never needs Keras.

    Of the params below, ``modelFile``, ``custom_objects`` and ``safe_mode`` are Python's own;
    the others are the Scala stage's, with their defaults and allowed values.

    Parameters
    ----------
    modelFile
        A Keras file (``.keras``, ``.h5``), as sparkdl 1.x's KerasTransformer took it: sets
        ``model`` to the model of that file. Python only, not a param: :meth:`getModelFile` gives
        the file while ``model`` is the one loaded from it; a saved stage keeps the model.
    custom_objects
        Passed to ``keras.models.load_model`` for a Keras file. Python only, not a param.
    safe_mode
        Passed to ``keras.models.load_model`` for a Keras file: ``True`` (the default) refuses
        the Python code a file may carry (``Lambda`` layers); ``False`` runs it, for files you
        trust as code (docs/security.md). Python only, not a param.
    """

    def __init__(
        self,
        *,
        modelFile: str | os.PathLike | None = None,
        custom_objects: Mapping[str, Any] | None = None,
        safe_mode: bool = True,
        **kwargs: Any,
    ) -> None:
        self._custom_objects = custom_objects  # before super().__init__, which sets the model
        self._safe_mode = safe_mode
        # (path, the TFModel loaded from it): the path is the model file while that model is set.
        self._model_file: tuple[str, TFModel] | None = None
        super().__init__(**self._with_model_file(modelFile, kwargs))

    def _with_model_file(
        self, modelFile: str | os.PathLike | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """``kwargs`` with ``modelFile`` as ``model``, which takes Keras files."""
        if modelFile is None:
            return kwargs
        who = f"KerasTransformer {self.uid}" if hasattr(self, "uid") else "KerasTransformer"
        if kwargs.get("model") is not None:
            raise ValueError(
                f"{who}: pass model or modelFile (its 1.x name for a "
                "Keras file), not both"
            )
        if not isinstance(modelFile, str | os.PathLike):
            raise TypeError(
                f"{who}: modelFile: expected the path of a Keras file "
                f"(.keras or .h5); found a {type(modelFile).__name__}"
            )
        return {**kwargs, "model": modelFile}

    def setParams(  # type: ignore[override]
        self, *, modelFile: str | os.PathLike | None = None, **kwargs: Any
    ) -> KerasTransformer:
        """Sets the given params; ``modelFile`` (a Keras file) sets ``model``."""
        return super().setParams(**self._with_model_file(modelFile, kwargs))

    def setModel(  # type: ignore[override]
        self, value: Any, custom_objects: Mapping[str, Any] | None = None
    ) -> KerasTransformer:
        """Sets :py:attr:`model`: a Keras model or file, or a TFModel."""
        if custom_objects is not None:
            self._custom_objects = custom_objects
        return self._set(model=value)

    def setModelFile(self, value: str | os.PathLike) -> KerasTransformer:  # noqa: N802 - 1.x's
        """Sets :py:attr:`model` to the model of a Keras file (``.keras``, ``.h5``)."""
        return self._set(**self._with_model_file(value, {}))

    def getModelFile(self) -> str | None:  # noqa: N802 - sparkdl 1.x's name
        """The Keras file ``model`` was loaded from; None when it was set otherwise."""
        if self._model_file is None or not self.isSet(self.model):
            return None
        path, loaded = self._model_file
        return path if self.getOrDefault(self.model) is loaded else None

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
            if isinstance(model, str | os.PathLike):
                self._model_file = (os.fspath(model), kwargs["model"])
        return super()._set(**kwargs)


class TFImageTransformer(_TFImageTransformer):
    """Runs a TensorFlow image model over a column of images (Spark's image struct, as
    :func:`sparkdl.readImages` gives them), resized to the model's input size and fed in its
    channel order, in batches of ``batchSize`` images of one size.

    ``model`` takes a :class:`~sparkdl.model.TFModel`, a Keras model or a Keras file (converted
    with :meth:`TFModel.from_keras`), or a TF1 ``tf.Graph``, frozen down to ``outputTensor``
    (:meth:`TFModel.from_graph`). ``inputTensor`` and ``outputTensor`` may be given as
    ``tf.Tensor`` objects of the graph, as sparkdl 1.x took them.

    Of the params below, ``graph`` is Python's own; the others are the Scala stage's, with
    their defaults and allowed values.

    Parameters
    ----------
    graph
        sparkdl 1.x's name of ``model`` for a ``tf.Graph``. Python only, not a param.
    """

    def __init__(self, *, graph: Any = None, **kwargs: Any) -> None:
        if graph is not None:
            if kwargs.get("model") is not None:
                raise ValueError("TFImageTransformer: pass model or graph (its 1.x name), not both")
            kwargs["model"] = graph
        super().__init__(**kwargs)

    def _set(self, **kwargs: Any) -> TFImageTransformer:
        for name in ("inputTensor", "outputTensor"):
            if kwargs.get(name) is not None and hasattr(kwargs[name], "graph"):
                kwargs[name] = kwargs[name].name  # a tf.Tensor (or op) of the graph
        model = kwargs.get("model")
        if isinstance(model, str | os.PathLike) or (
            model is not None and not isinstance(model, TFModel) and _is_keras_model(model)
        ):
            kwargs["model"] = TFModel.from_keras(model)
        elif model is not None and not isinstance(model, TFModel):
            kwargs["model"] = self._frozen_graph(model, kwargs.get("outputTensor"))
        return super()._set(**kwargs)

    def _frozen_graph(self, graph: Any, output: str | None) -> TFModel:
        import tensorflow as tf

        if not isinstance(graph, tf.Graph):
            raise TypeError(
                f"TFImageTransformer {self.uid}: param model: expected a TFModel, Keras model, "
                f"Keras file or tf.Graph; found a {type(graph).__name__}"
            )
        if output is None and self.isDefined(self.outputTensor):
            output = self.getOrDefault(self.outputTensor)
        if not output:
            raise ValueError(
                f"TFImageTransformer {self.uid}: param model: a tf.Graph is frozen down to "
                "outputTensor, which is not set; set it with (or before) the graph"
            )
        return TFModel.from_graph(graph, [output])


class _PreparesNamedModel:
    """Prepares the stage's named model on the driver when the store lacks it, before the JVM
    stage reads it (``sparkdl.models.prepare_on_first_use``)."""

    def _transform(self, dataset: Any) -> Any:
        from sparkdl import _connect, models
        from sparkdl._stage import check_dataset

        check_dataset(self, dataset, "transform")
        # Through Spark Connect the store is the server's: its stage's error names the command.
        stage: Any = self
        spark = dataset.sparkSession
        if not _connect.is_connect_session(spark) and stage.isDefined(stage.modelName):
            user = f"{type(stage).__name__} {stage.uid}"
            models.prepare_on_first_use(stage.getOrDefault(stage.modelName), spark, user)
        return super()._transform(dataset)  # type: ignore[misc]


class DeepImageFeaturizer(_PreparesNamedModel, _DeepImageFeaturizer):
    """Turns images into features: the pooled layer before the classifier of a named ImageNet
    model (``modelName``: InceptionV3, Xception, ResNet50, VGG16, VGG19, MobileNetV2,
    EfficientNetB0, DenseNet121, ResNet50V2 or ConvNeXtTiny), as an ML vector per image; with
    ``featureLayout="flattened"``, sparkdl 1.x's features: the last convolution block flattened
    (131,072 values for InceptionV3, :func:`sparkdl.models.flattened_dim`).

    The model is read from the model store, which ``python -m sparkdl.models prepare <Name>``
    fills; its root is Spark conf ``spark.sparkdl.modelStore``, else ``$SPARKDL_MODEL_STORE``,
    else ``~/.cache/sparkdl/models``. A model missing from the store is prepared there on first
    use, on the driver, with Keras' ImageNet weights (from Keras' cache ``~/.keras/models``, else
    downloaded), with a warning; offline and without them, the error says where the weights can
    come from. A saved stage keeps only the model's name.

    The params below are the Scala stage's, with their defaults and allowed values.
    """


class DeepImagePredictor(_PreparesNamedModel, _DeepImagePredictor):
    """Classifies images with a named ImageNet model (as :class:`DeepImageFeaturizer`'s): an ML
    vector of the 1,000 class probabilities, or with ``decodePredictions=True`` the ``topK`` most
    probable classes as structs ``(class, description, probability)``, most probable first.

    The params below are the Scala stage's, with their defaults and allowed values.
    """


def _fit_name(stage: Any, paramMap: dict, index: int, count: int) -> str:
    """How logs and errors name a fit: its map's index and values, as Scala's TFEstimator does."""

    def show(value: Any) -> str:
        if isinstance(value, str | int | float | bool | None):
            return str(value).lower() if isinstance(value, bool) else str(value)
        if isinstance(value, TFModel):
            return f"<{value!r}>"
        if _is_keras_model(value):
            return f"<Keras model '{value.name}'>"
        return f"<{getattr(value, 'name', None) or type(value).__name__}>"

    values = sorted(f"{p.name}={show(v)}" for p, v in paramMap.items())
    if count == 1 and not values:
        return f"{type(stage).__name__} {stage.uid} fit"
    return f"{type(stage).__name__} {stage.uid} paramMaps[{index}] {{{', '.join(values)}}}"


class TFEstimator(_TFEstimator):
    """Trains a trainable TF model (:meth:`TFModel.from_keras_trainable`, or any SavedModel with
    ``serving_default``, ``train_step`` and ``evaluate`` signatures: docs/training.md) on
    DataFrame columns inside a Spark task, through sparkdl's engine; nothing but the trained
    model and its history reaches the driver. ``fitMultiple`` (and so ``CrossValidator`` and
    ``TrainValidationSplit`` with ``parallelism``) run one training job per param map, at once.

    ``verbose``: 0 prints nothing; 1 (the default) a line as each fit ends, with its last epoch's
    loss, metrics and validation figures, so a grid search prints one line per fit; 2 also a line
    per epoch per fit (loss, metrics, validation figures, rows/s). Epochs reach the driver with
    the executors' heartbeats (``spark.executor.heartbeatInterval``), while fits run.

    ``validationFraction`` ``f`` splits as Keras' ``validation_split``: the first
    ``floor(n * (1 - f))`` of the ``n`` rows train, the others validate; a split that leaves either
    side empty is an error. ``handleInvalid``: ``'skip'`` drops the rows whose input or label
    cells cannot be fed (nulls, malformed values, a shape the model does not take) before
    training and the split; ``'error'`` fails, naming the column; ``'keep'`` is refused (training
    cannot feed a row it keeps; set it on the fitted model for its ``transform``).

    The params below are the Scala stage's, with their defaults and allowed values.
    """

    def _fit(self, dataset: Any) -> TFEstimatorModel:
        # The JVM's fit sets the model's params; PySpark's default would then copy this
        # estimator's values over them, the untrained `model` among them.
        return next(iter(self.fitMultiple(dataset, [{}])))[1]

    def _java_fits(self, paramMaps: list[dict]) -> tuple[TFEstimator, list[dict]]:
        """The estimator and maps the JVM fits: here as they are (KerasEstimator converts)."""
        return self, paramMaps

    def fitMultiple(self, dataset: Any, paramMaps: Any) -> Iterator[tuple[int, TFEstimatorModel]]:
        """Fits one model per param map, all at once: one Spark training job per map over one
        cache of the data. Yields ``(index, model)`` as each fit ends (thread-safe, as
        ``CrossValidator`` with ``parallelism`` consumes it); the fits start when the first is
        asked for. A failed fit cancels the others and raises its error."""
        self._refuse_connect_fit(dataset)
        user_maps = list(paramMaps)
        names = [_fit_name(self, m, i, len(user_maps)) for i, m in enumerate(user_maps)]
        estimator, maps = self._java_fits(user_maps)
        return _Locked(estimator._fitted(dataset, maps, names))

    def _fitted(
        self, dataset: Any, paramMaps: list[dict], names: list[str]
    ) -> Iterator[tuple[int, TFEstimatorModel]]:
        """The JVM's fits (``io.sparkdl.runtime.Fits``) as they end, started by the first
        ``next``; ``fits.next()`` blocks until the JVM has an event, and raises a failure."""
        self._transfer_params_to_java()
        java_maps = [self._transfer_param_map_to_java(m) for m in paramMaps]
        fits = facade(dataset.sparkSession, "PythonEstimators").startFits(
            self._java_obj, dataset._jdf, java_maps, names
        )
        verbose = self.getOrDefault(self.verbose)
        while fits.hasNext():
            event = fits.next()
            if event.kind() == "epoch":
                if verbose == 2:
                    print(event.line(), flush=True)
                continue
            if verbose > 0:
                print(event.line(), flush=True)
            yield event.index(), self._create_model(event.model())


class _Locked(Iterator):
    """An iterator that threads may share: one ``next`` at a time (a generator refuses a second
    thread's ``next`` while the first runs)."""

    def __init__(self, iterator: Iterator) -> None:
        self._iterator = iterator
        self._lock = threading.Lock()

    def __next__(self) -> Any:
        with self._lock:
            return next(self._iterator)


class TFEstimatorModel(_TFEstimatorModel):
    """The model a :class:`TFEstimator` trained: runs it over ``inputMapping``'s columns into
    ``outputCol``, and keeps the training history. Its params below are the Scala model's."""

    def copy(self, extra: dict | None = None) -> TFEstimatorModel:
        """A copy with ``extra`` params, except ``model``: a fitted model runs what it trained.
        (Tuning passes each estimator param map to its model's ``transform``; a map over the
        estimator's ``model`` must not swap the trained model for an untrained one.)"""
        if extra:
            extra = {p: v for p, v in extra.items() if p.name != "model"}
        return super().copy(extra)

    @property
    def history(self) -> list[dict[str, float]]:
        """The loss and metrics of each epoch (validation figures prefixed ``val_``)."""
        import json

        # NaN and infinite figures come as the strings "NaN", "Infinity", "-Infinity".
        epochs = json.loads(self.getTrainingHistory())
        return [{k: float(v) for k, v in epoch.items()} for epoch in epochs]

    @property
    def epoch_seconds(self) -> list[float]:
        """Each epoch's training time in the training task (validation and one-off costs
        excluded): the fit's speed, as the bench reads it."""
        import json

        return json.loads(self.getEpochSeconds())


class KerasEstimator(TFEstimator):
    """Trains a Keras model on a DataFrame in Spark tasks: a :class:`TFEstimator` whose model is
    ``model`` compiled with ``loss``, ``optimizer`` and ``metrics`` (any Keras objects or names)
    into a trainable SavedModel, fed from ``inputCol``.

    ``model``, ``loss``, ``optimizer`` and ``metrics`` are params a param map may vary (e.g. a
    grid over Keras models or optimizers for ``CrossValidator``): each distinct combination
    becomes its own trainable SavedModel, made once on the driver when fitting starts.

    Parameters
    ----------
    model
        A Keras model with one input and one output (or a trainable TFModel).
    loss, optimizer, metrics
        As Keras' ``compile`` takes them (names, functions or objects). Metrics are those whose
        epoch figure is a mean over rows ('accuracy', 'mae', 'mse', 'binary_accuracy', ...: the
        history equals Keras' ``fit``'s); AUC, precision, recall and the like are refused.
        Python-only params.
    inputCol
        The column feeding the model's input.
    **params
        ``labelCol``, ``outputCol``, ``epochs``, ``batchSize``, ``learningRate``, ``shuffle``,
        ``seed``, ``validationFraction``, ``earlyStoppingPatience``, ``handleInvalid``,
        ``verbose``, ``numWorkers``: as :class:`TFEstimator`'s (``numWorkers`` n > 1 trains on
        n executors' task slots at once, the gradients averaged every step; docs/training.md).

    The Keras model is exported as it is when fitting starts: weights set or trained between
    two fits are the ones the second fit starts from.
    """

    model: Param[Any] = Param(
        Params._dummy(),
        "model",
        "A Keras model with one input and one output, or a trainable TFModel. Required.",
        typeConverter=_to_keras_or_tf_model,
    )
    loss: Param[Any] = Param(Params._dummy(), "loss", "A Keras loss (name or object). Required.")
    optimizer: Param[Any] = Param(
        Params._dummy(), "optimizer", "A Keras optimizer (name or object). Default: 'adam'."
    )
    metrics: Param[Any] = Param(
        Params._dummy(), "metrics",
        "Keras metrics whose epoch figure is a mean over rows (names, functions or objects). "
        "Default: none.",
    )

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
        # Shared by copies: the exports of the last fit, by content (_trainable).
        self._trainables: dict[tuple, TFModel] = {}
        if inputCol is not None:
            kwargs["inputMapping"] = {inputCol: contract.KEY_FEATURES}
        super().__init__(**kwargs)
        self._setDefault(optimizer="adam", metrics=None)
        keras_params = {"model": model, "loss": loss, "optimizer": optimizer, "metrics": metrics}
        self._set(**{k: v for k, v in keras_params.items() if v is not None})

    def _transfer_params_to_java(self) -> None:
        # PySpark's sends every param, set or default: the JVM stage has no loss, optimizer or
        # metrics, and takes `model` only as a TFModel (_java_fits sets the export of a Keras
        # model on the copy that fits). The other params' defaults are the JVM stage's own.
        java = self._java_obj
        for param in self.params:
            if not (java.hasParam(param.name) and self.isSet(param)):
                continue
            value = self.getOrDefault(param)
            if param.name != "model" or isinstance(value, TFModel):
                java.set(self._make_java_param_pair(param, value))

    def fitMultiple(self, dataset: Any, paramMaps: Any) -> Iterator[tuple[int, TFEstimatorModel]]:
        maps = list(paramMaps)
        return super().fitMultiple(self._one_unit_labels(dataset, maps), maps)

    def _one_unit_labels(self, dataset: Any, paramMaps: list[dict]) -> Any:
        """``dataset`` with a numeric scalar ``labelCol`` fed as one-element arrays when every
        map's Keras model has one output unit and a non-sparse loss, as Keras' ``fit`` takes
        labels of shape (n,) for outputs of shape (n, 1): MLlib's evaluators need the label
        as a double, so a binary classifier trains and is evaluated on the same column."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        if not hasattr(dataset, "schema"):
            return dataset  # TFEstimator.fitMultiple says what it expected
        label = self.getOrDefault(self.getParam("labelCol"))
        fields = {f.name: f.dataType for f in dataset.schema.fields}
        if not isinstance(fields.get(label), T.NumericType):
            return dataset
        for m in paramMaps or [{}]:
            values = {p.name: v for p, v in self.extractParamMap(m).items()}
            model, loss = values.get("model"), values.get("loss")
            if not _is_keras_model(model) or len(model.outputs) != 1:
                return dataset
            if tuple(model.outputs[0].shape[1:]) != (1,) or (
                isinstance(loss, str) and "sparse" in loss
            ):
                return dataset
        return dataset.withColumn(label, F.array(F.col(label).cast("float")))

    def _trainable(
        self, values: dict[str, Any], used: dict[tuple, TFModel], prints: dict[int, str]
    ) -> TFModel:
        """The trainable SavedModel of a map's values: exported once per distinct model content,
        loss, optimizer and metrics (``used`` collects the exports this fit uses; ``prints`` the
        content hash of each model object of this fit, hashed once however many maps share it)."""
        model = values.get("model")
        if model is None or isinstance(model, TFModel):
            if model is None:
                raise ValueError(f"KerasEstimator {self.uid}: param model is not set; expected a "
                                 "Keras model")
            return model
        loss = values.get("loss")
        if loss is None:
            raise ValueError(
                f"KerasEstimator {self.uid}: param loss is required with a Keras model"
            )
        from sparkdl._trainable import fingerprint

        optimizer, metrics = values.get("optimizer", "adam"), values.get("metrics")
        # The model by content, never by id: weights set or trained between fits must be the
        # ones trained, and a freed model's id may pass to another. Other objects by identity:
        # the key holds them, so their ids cannot pass to others while they are cached.
        if id(model) not in prints:  # the maps hold their models: ids are theirs for this fit
            prints[id(model)] = fingerprint(model)
        k = (prints[id(model)], _object_key(loss), _object_key(optimizer),
             tuple(_object_key(m) for m in metrics or []))
        trainable = used.get(k, self._trainables.get(k))
        if trainable is None:
            trainable = TFModel._trainable_keras(
                model, loss, optimizer, metrics, f"KerasEstimator {self.uid}: param model"
            )
        used[k] = trainable
        return trainable

    def _java_fits(self, paramMaps: list[dict]) -> tuple[TFEstimator, list[dict]]:
        python_only = {"model", "loss", "optimizer", "metrics"}
        base = {p.name: v for p, v in self.extractParamMap().items() if p.name in python_only}
        estimator = self.copy()
        model = estimator.getParam("model")
        maps = []
        used: dict[tuple, TFModel] = {}
        prints: dict[int, str] = {}
        for m in paramMaps:
            values = {**base, **{p.name: v for p, v in m.items() if p.name in python_only}}
            java_map = {p: v for p, v in m.items() if p.name not in python_only}
            java_map[model] = self._trainable(values, used, prints)
            maps.append(java_map)
        # Only this fit's exports stay: the next fit with the same maps (the next fold of a
        # CrossValidator) reuses them, and a model changed since is exported afresh.
        self._trainables.clear()
        self._trainables.update(used)
        if maps:
            estimator.set(model, maps[0][model])
        return estimator, maps
