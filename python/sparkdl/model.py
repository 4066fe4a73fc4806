"""The model every sparkdl stage and SQL function runs: :class:`TFModel`.

A ``TFModel`` is built in Python from a frozen GraphDef or a SavedModel directory, or from what
TensorFlow Python holds (a ``tf.Graph``, a ``tf.function``, a Keras model), and becomes the JVM's
``io.sparkdl.model.TFModel`` (its bytes are read once, when first needed by Spark). Keras models and
functions become SavedModels here, in Python: the JVM never needs Keras.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyspark.sql import SparkSession

from sparkdl._gen import contract
from sparkdl._jvm import facade

if TYPE_CHECKING:  # sparkdl._graphs imports TensorFlow, which model.py loads only when needed
    from sparkdl._graphs import _FrozenFunction


def _active_spark(spark: SparkSession | None) -> SparkSession:
    spark = spark or SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    return spark


def _api(spark: SparkSession) -> Any:
    return facade(spark, "PythonModels")


def _save_frozen_function(frozen: _FrozenFunction, export_dir: str) -> None:
    """Saves a frozen function as a SavedModel (tag ``serve``) whose ``serving_default``
    signature names inputs and outputs as ``tf.saved_model.save`` would: parameters by name,
    outputs by dict key, else ``output_0``, ``output_1``, ..."""
    import tensorflow as tf

    structured = frozen.structured_outputs
    if isinstance(structured, Mapping):
        keys = tf.nest.flatten({k: k for k in structured})
    else:
        keys = [f"output_{i}" for i in range(len(frozen.outputs))]
    _save_frozen_graph(
        frozen.graph_def,
        {p: f"{op}:0" for p, op in frozen.placeholders.items()},
        dict(zip(keys, frozen.outputs, strict=True)),
        export_dir,
    )


def _save_frozen_graph(
    graph_def: Any,
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    export_dir: str,
    signature_key: str = contract.SAVED_MODEL_SIGNATURE,
) -> None:
    """Saves a frozen GraphDef as a SavedModel (tag ``serve``) with one predict signature:
    ``inputs`` and ``outputs`` map its keys to tensor names of the graph."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
        v1 = tf.compat.v1.saved_model
        signature = v1.signature_def_utils.predict_signature_def(
            inputs={k: graph.get_tensor_by_name(t) for k, t in inputs.items()},
            outputs={k: graph.get_tensor_by_name(t) for k, t in outputs.items()},
        )
        with tf.compat.v1.Session(graph=graph) as session:
            builder = v1.Builder(export_dir)
            builder.add_meta_graph_and_variables(
                session, [v1.SERVING], signature_def_map={signature_key: signature}
            )
            builder.save()


class TFModel:
    """A TensorFlow model for sparkdl stages and SQL functions.

    Build one with a ``from_*`` class method. Inputs and outputs are named by SavedModel
    signature key or by tensor name (``"op"`` or ``"op:0"``).
    """

    def __init__(self, make_java: Callable[[SparkSession], Any], description: str) -> None:
        self._make_java = make_java
        self._description = description
        self._java: Any = None
        self._saved: tempfile.TemporaryDirectory | None = None  # from_keras, from_function
        # Where the bytes are, for a Spark Connect client (sparkdl._connect.encode_model).
        self._source: tuple[Any, ...] | None = None

    @classmethod
    def from_graph_def(cls, graph_def: Any) -> TFModel:
        """A frozen ``tf.compat.v1.GraphDef`` (or its serialized bytes)."""
        if isinstance(graph_def, bytes | bytearray):
            data = bytes(graph_def)
        else:
            data = graph_def.SerializeToString()
        if not data:
            raise ValueError("graph_def is empty")
        model = cls(
            lambda spark: _api(spark).fromGraphDef(data), f"frozen GraphDef ({len(data)} bytes)"
        )
        model._source = ("frozen_graph", data)
        return model

    @classmethod
    def from_graph_def_file(cls, path: str) -> TFModel:
        """A frozen GraphDef file (``.pb``) on any Hadoop filesystem, read by Spark's driver."""
        model = cls(
            lambda spark: _api(spark).fromGraphDefFile(spark._jsparkSession, str(path)), str(path)
        )
        model._source = ("frozen_graph_file", str(path))
        return model

    @classmethod
    def from_saved_model(
        cls,
        path: str,
        tags: Sequence[str] = (contract.SAVED_MODEL_TAG,),
        signature: str = contract.SAVED_MODEL_SIGNATURE,
        by_path: bool = False,
    ) -> TFModel:
        """A SavedModel directory (any Hadoop filesystem), its meta graph ``tags``, and the
        signature that names inputs and outputs.

        Parameters
        ----------
        path
            The SavedModel directory.
        tags
            The tags of the meta graph to load (a non-empty list). Default: ``("serve",)``.
        signature
            The signature that names inputs and outputs. Default: ``"serving_default"``.
        by_path
            ``True``: each executor reads the files from ``path`` itself (which must then be
            readable by every executor: a shared mount or a distributed filesystem), and the
            driver reads only ``saved_model.pb``, so models of any size work with a small
            driver; the files must not change while the model is in use (executors refuse them
            if they did). ``False``: the files are read on the driver and broadcast, unless the
            directory is larger than the JVM's ``sparkdl.savedModel.byPathAboveBytes`` (256 MiB
            by default). Default: ``False``.
        """
        tags = [tags] if isinstance(tags, str) else list(tags)
        if not tags or not all(isinstance(t, str) and t for t in tags):
            raise ValueError(
                "from_saved_model: tags must be non-empty strings (e.g. ('serve',)); "
                f"found {tags!r}"
            )

        def make(spark: SparkSession) -> Any:
            api = _api(spark)
            load = api.fromSavedModelPath if by_path else api.fromSavedModel
            return load(spark._jsparkSession, str(path), tags, signature)

        model = cls(
            make,
            f"SavedModel {path} (tags {tags}, signature '{signature}')",
        )
        model._source = ("saved_model", str(path), tags, signature)
        return model

    @classmethod
    def from_graph(cls, graph: Any, fetches: Sequence[Any], session: Any = None) -> TFModel:
        """A TF1 ``tf.Graph``, frozen down to what ``fetches`` need.

        Parameters
        ----------
        graph
            The graph.
        fetches
            The outputs the model will be asked for: tensors or ops of ``graph``, or their names
            (``"y"`` or ``"y:0"``).
        session
            A ``tf.compat.v1.Session`` of ``graph`` whose variable values are frozen into the
            model. Default: none; variables keep their initial values.

        Returns
        -------
        TFModel
            A frozen graph; inputs are its placeholders, outputs any tensor by name.
        """
        from sparkdl._graphs import _frozen_graph_def

        items = [fetches] if isinstance(fetches, str) else list(fetches)
        if not items:
            raise ValueError("from_graph needs fetches: the tensors (or names) the model outputs")
        op_names = [f if isinstance(f, str) else f.name for f in items]
        op_names = [n.split(":")[0] for n in op_names]
        for name in op_names:
            try:
                graph.get_operation_by_name(name)
            except KeyError:
                raise ValueError(f"fetch '{name}' is not an op of the graph") from None
        graph_def = _frozen_graph_def(graph, op_names, session)
        model = cls.from_graph_def(graph_def)
        model._description = f"tf.Graph frozen for {op_names}"
        return model

    @classmethod
    def from_function(cls, fn: Any, input_signature: Sequence[Any] | None = None) -> TFModel:
        """A ``tf.function``, its concrete function, or a Python function of tensors.

        The function is frozen (variables made constants) the way ``map_blocks`` freezes one,
        and saved as a SavedModel with signature ``serving_default``: inputs are named after the
        function's parameters (their ``TensorSpec`` names, if given), outputs ``output_0``,
        ``output_1``, ... or the keys of the dict it returns. Functions holding other resources
        (lookup tables) cannot be frozen: save those with ``tf.saved_model.save`` and use
        :meth:`from_saved_model`.

        Parameters
        ----------
        fn
            A concrete function, or a function traced with ``input_signature`` (or its own).
        input_signature
            ``tf.TensorSpec`` per parameter, e.g. ``[tf.TensorSpec([None, 5], tf.float32)]``;
            needed unless ``fn`` is concrete or a ``tf.function`` with an input signature.

        Returns
        -------
        TFModel
        """
        import tensorflow as tf

        from sparkdl._graphs import _frozen_function

        if isinstance(fn, tf.types.experimental.ConcreteFunction):
            concrete = fn
        else:
            function = fn if isinstance(fn, tf.types.experimental.PolymorphicFunction) else None
            signature = input_signature or (function.input_signature if function else None)
            if signature is None:
                raise ValueError(
                    f"from_function: {getattr(fn, '__name__', fn)!r} has no input signature; "
                    "pass input_signature=[tf.TensorSpec(...), ...] or a concrete function"
                )
            function = tf.function(getattr(fn, "python_function", fn), input_signature=signature)
            concrete = function.get_concrete_function()
        saved = tempfile.TemporaryDirectory(prefix="sparkdl-function-")
        name = getattr(getattr(fn, "python_function", fn), "__name__", None) or concrete.name
        what = f"function '{name.decode() if isinstance(name, bytes) else name}'"
        _save_frozen_function(_frozen_function(concrete, what), saved.name)
        return cls._from_temporary_saved_model(saved, what)

    @classmethod
    def from_keras(
        cls,
        model_or_path: Any,
        custom_objects: Mapping[str, Any] | None = None,
        safe_mode: bool = True,
    ) -> TFModel:
        """A Keras model, or a Keras file (``.keras``, ``.h5``) loaded with ``custom_objects``.

        A file is loaded in Keras' safe mode (``safe_mode=True``): Keras refuses to deserialize
        the Python code a file may carry (``Lambda`` layers' bytecode), so loading a file runs
        none of it. Pass ``safe_mode=False`` only for a file you trust as you trust code you
        run (see docs/security.md).

        The model is exported as a SavedModel (``model.export(..., format="tf_saved_model")``,
        signature ``serving_default``): inputs are named after the model's ``Input`` layers,
        the output is ``output_0``.

        Returns
        -------
        TFModel
        """
        import keras

        if isinstance(model_or_path, str | os.PathLike):
            path = Path(model_or_path)
            model = cls._load_keras_file(path, custom_objects, safe_mode)
            what = f"Keras file {path}"
        elif isinstance(model_or_path, keras.Model):
            model = model_or_path
            what = f"Keras model '{model.name}'"
        else:
            raise TypeError(
                f"from_keras: expected a keras.Model or a .keras/.h5 path; "
                f"found a {type(model_or_path).__name__}"
            )
        saved = tempfile.TemporaryDirectory(prefix="sparkdl-keras-")
        model.export(saved.name, format="tf_saved_model", verbose=False)
        return cls._from_temporary_saved_model(saved, what)

    @staticmethod
    def _load_keras_file(
        path: str | os.PathLike,
        custom_objects: Mapping[str, Any] | None = None,
        safe_mode: bool = True,
    ) -> Any:
        """The Keras model of a ``.keras``/``.h5`` file (see :meth:`from_keras`)."""
        import keras

        path = Path(path)
        if path.suffix not in (".keras", ".h5"):
            raise ValueError(
                f"from_keras: '{path}' is not a Keras file; expected a .keras or .h5 file "
                "(use TFModel.from_saved_model for a SavedModel directory)"
            )
        if not path.is_file():
            raise FileNotFoundError(f"from_keras: no Keras file '{path}'")
        # Keras says "File not found" of a .keras file that is no zip: say what is wrong. Its
        # own errors (custom objects, safe mode) stand as they are.
        with open(path, "rb") as f:
            head = f.read(8)
        if path.suffix == ".keras" and not zipfile.is_zipfile(path):
            raise ValueError(f"from_keras: '{path}' is not a Keras file: not a .keras zip archive")
        if path.suffix == ".h5" and head != b"\x89HDF\r\n\x1a\n":
            raise ValueError(f"from_keras: '{path}' is not a Keras file: not an HDF5 file")
        return keras.models.load_model(
            path, custom_objects=custom_objects, compile=False, safe_mode=safe_mode
        )

    @classmethod
    def from_keras_trainable(
        cls,
        model: Any,
        loss: Any,
        optimizer: Any,
        metrics: Sequence[Any] | None = None,
    ) -> TFModel:
        """A Keras model as a trainable SavedModel, the model sparkdl's estimators train.

        Signatures: ``serving_default(x)`` -> ``output_0``, ``train_step(x, y, learning_rate)``
        -> loss and metrics of the batch (one optimizer step), ``evaluate(x, y)`` -> loss and
        metrics; the saver writes every variable, the optimizer's included (docs/training.md).

        Parameters
        ----------
        model
            A Keras model with one input and one output.
        loss, optimizer
            Any Keras loss and optimizer, by object or name.
        metrics
            Keras metrics by name, function or object, as ``compile`` takes them (``"accuracy"``
            follows the labels' and outputs' shapes, as in ``compile``), named in the history as
            Keras' ``fit`` names them; metrics that are no mean over rows (AUC, precision,
            recall) are refused. Default: none.
        """
        return cls._trainable_keras(model, loss, optimizer, metrics, "from_keras_trainable")

    @classmethod
    def _trainable_keras(
        cls, model: Any, loss: Any, optimizer: Any, metrics: Sequence[Any] | None, who: str
    ) -> TFModel:
        """:meth:`from_keras_trainable`, its errors naming ``who`` (an estimator, say)."""
        from sparkdl._trainable import export_trainable

        saved = tempfile.TemporaryDirectory(prefix="sparkdl-trainable-")
        export_trainable(model, loss, optimizer, metrics, saved.name, who)
        return cls._from_temporary_saved_model(saved, f"trainable Keras model '{model.name}'")

    @classmethod
    def _from_temporary_saved_model(
        cls,
        saved: tempfile.TemporaryDirectory,
        what: str,
        signature: str = contract.SAVED_MODEL_SIGNATURE,
    ) -> TFModel:
        # A file: URI, so that a cluster's default filesystem does not claim the local path; the
        # directory lives as long as this object (the JVM reads it once, in _to_java).
        model = cls.from_saved_model(Path(saved.name).as_uri(), signature=signature)
        model._description = f"{what} as a SavedModel (signature '{signature}')"
        model._saved = saved
        return model

    @classmethod
    def _from_java(cls, java_model: Any) -> TFModel:
        model = cls(lambda spark: java_model, str(java_model.describe()))
        model._java = java_model
        return model

    def _to_java(self, spark: SparkSession | None = None) -> Any:
        if self._java is None:
            self._java = self._make_java(_active_spark(spark))
        return self._java

    def input_names(self, spark: SparkSession | None = None) -> list[str]:
        """Signature input keys, or the graph's placeholders for a frozen graph."""
        return list(_api(_active_spark(spark)).inputNames(self._to_java(spark)))

    def output_names(self, spark: SparkSession | None = None) -> list[str]:
        """Signature output keys (empty for a frozen graph: any tensor can be fetched)."""
        return list(_api(_active_spark(spark)).outputNames(self._to_java(spark)))

    def __repr__(self) -> str:
        return f"TFModel({self._description})"
