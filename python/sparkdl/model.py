"""The model every sparkdl stage and SQL function runs: :class:`TFModel`.

A ``TFModel`` is built in Python from a frozen GraphDef or a SavedModel directory and becomes
the JVM's ``io.sparkdl.ml.TFModel`` (its bytes are read once, when first needed by Spark).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pyspark.sql import SparkSession


def _active_spark(spark: SparkSession | None) -> SparkSession:
    spark = spark or SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    return spark


def _api(spark: SparkSession) -> Any:
    return spark.sparkContext._jvm.io.sparkdl.python.PythonModels


class TFModel:
    """A TensorFlow model for sparkdl stages and SQL functions.

    Build one with a ``from_*`` class method. Inputs and outputs are named by SavedModel
    signature key or by tensor name (``"op"`` or ``"op:0"``).
    """

    def __init__(self, make_java: Callable[[SparkSession], Any], description: str) -> None:
        self._make_java = make_java
        self._description = description
        self._java: Any = None

    @classmethod
    def from_graph_def(cls, graph_def: Any) -> TFModel:
        """A frozen ``tf.compat.v1.GraphDef`` (or its serialized bytes)."""
        if isinstance(graph_def, bytes | bytearray):
            data = bytes(graph_def)
        else:
            data = graph_def.SerializeToString()
        if not data:
            raise ValueError("graph_def is empty")
        return cls(
            lambda spark: _api(spark).fromGraphDef(data), f"frozen GraphDef ({len(data)} bytes)"
        )

    @classmethod
    def from_graph_def_file(cls, path: str) -> TFModel:
        """A frozen GraphDef file (``.pb``) on any Hadoop filesystem, read by Spark's driver."""
        return cls(
            lambda spark: _api(spark).fromGraphDefFile(spark._jsparkSession, str(path)), str(path)
        )

    @classmethod
    def from_saved_model(
        cls,
        path: str,
        tags: Sequence[str] = ("serve",),
        signature: str = "serving_default",
    ) -> TFModel:
        """A SavedModel directory (any Hadoop filesystem), its meta graph ``tags``, and the
        signature that names inputs and outputs."""
        tags = [tags] if isinstance(tags, str) else list(tags)
        def make(spark: SparkSession) -> Any:
            return _api(spark).fromSavedModel(spark._jsparkSession, str(path), tags, signature)

        return cls(
            make,
            f"SavedModel {path} (tags {tags}, signature '{signature}')",
        )

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
