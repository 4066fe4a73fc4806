"""What the generated stage bases (``sparkdl._gen``) share: moving param values to and from the
JVM, and reading stages back as the Java class they wrap.

PySpark's ``JavaParams`` converts param values with ``_py2java``/``_java2py``, which know neither
a Scala ``Map`` nor a ``TFModel``; every value here crosses by its param's kind
(``sparkdl._param_types``), through py4j and as a Spark Connect literal alike.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pyspark.ml.common import _py2java
from pyspark.ml.param import Param
from pyspark.ml.util import JavaMLReadable, JavaMLReader, MLWriter
from pyspark.ml.wrapper import JavaParams
from pyspark.sql import SparkSession

from sparkdl import _connect
from sparkdl._jvm import sparkdl_class
from sparkdl._param_types import kind_of

S = TypeVar("S", bound="SparkdlJavaParams")


def check_dataset(stage: Any, dataset: Any, method: str) -> None:
    """Refuses what is not a Spark DataFrame (a pandas one, most often), saying what ``method``
    of ``stage`` takes, before PySpark fails on a missing attribute."""
    from pyspark.sql import DataFrame

    if isinstance(dataset, DataFrame):
        return
    kind = type(dataset)
    found = f"{kind.__module__}.{kind.__qualname__}"
    if kind.__module__.startswith("pandas"):
        found = f"a pandas DataFrame ({found}): convert it with spark.createDataFrame(pdf)"
    else:
        found = f"a {found}: make a DataFrame with spark.createDataFrame or spark.read"
    raise TypeError(
        f"{type(stage).__name__} {stage.uid}: {method} takes a Spark DataFrame; found {found}"
    )


class _StageReader(JavaMLReader):
    """Reads a stage with its own Java class's reader (PySpark's derives the Java class name
    from the Python module, which for sparkdl names no Java class)."""

    @classmethod
    def _java_loader_class(cls, clazz: type) -> str:
        return clazz._java_class  # type: ignore[attr-defined]

    @classmethod
    def _load_java_obj(cls, clazz: type) -> Any:
        from pyspark import SparkContext

        return sparkdl_class(SparkContext._active_spark_context, cls._java_loader_class(clazz))


class SparkdlJavaParams(JavaParams, JavaMLReadable):
    """Params of a stage that wraps a sparkdl Scala stage (``_java_class``)."""

    _java_class: ClassVar[str]

    @staticmethod
    def _new_java_obj(java_class: str, *args: Any) -> Any:
        # PySpark's own resolves any name, and calling a missing class fails with py4j's
        # "'JavaPackage' object is not callable": sparkdl's classes say what is missing instead.
        if _connect.is_remote() or not java_class.startswith("io.sparkdl."):
            return JavaParams._new_java_obj(java_class, *args)
        from pyspark import SparkContext  # here: Spark Connect's client package has none

        sc = SparkContext._active_spark_context
        return sparkdl_class(sc, java_class)(*[_py2java(sc, arg) for arg in args])

    @classmethod
    def read(cls) -> JavaMLReader:
        """An MLReader for this stage, reading with the Scala stage's reader."""
        if _connect.is_remote():
            raise NotImplementedError(
                f"{cls.__name__}.load: loading sparkdl stages through Spark Connect is not "
                "supported yet (the server's reply cannot carry a TFModel); load the stage in a "
                "classic session, or build it again from TFModel.from_saved_model "
                "(docs/connect.md)"
            )
        return _StageReader(cls)

    def write(self) -> MLWriter:
        """An MLWriter for this stage. Through Spark Connect, the server writes the stage's
        transformers (at a path on its filesystem); estimators and fitted models are saved from
        a classic session (docs/connect.md)."""
        from pyspark.ml.wrapper import JavaModel, JavaTransformer

        if not _connect.is_remote():
            return super().write()  # type: ignore[misc]
        if isinstance(self, JavaTransformer) and not isinstance(self, JavaModel):
            return _connect.StageWriter(
                self._java_class, self.uid, self._wire_params(), f"{type(self).__name__} {self.uid}"
            )
        raise NotImplementedError(
            f"{type(self).__name__} {self.uid}: saving it through Spark Connect is not "
            "supported (the server saves sparkdl's transformers only: TFTransformer, "
            "KerasTransformer, TFImageTransformer, DeepImageFeaturizer, DeepImagePredictor); "
            "save it from a classic session (docs/connect.md)"
        )

    @classmethod
    def _from_java(cls: type[S], java_stage: Any) -> S:  # type: ignore[override]
        # A classmethod (PySpark's is static and picks the class by Java name), so that
        # `X.load` returns an X, also for subclasses of sparkdl's stages.
        stage = cls()
        stage._java_obj = java_stage
        stage._resetUid(java_stage.uid())
        stage._transfer_params_from_java()
        return stage

    def _set(self: S, **kwargs: Any) -> S:
        try:
            return super()._set(**kwargs)
        except TypeError as e:  # PySpark's message names the param; add the stage
            raise TypeError(f"{type(self).__name__} {self.uid}: {e}") from None

    def _transform(self, dataset: Any) -> Any:
        # Spark Connect: PySpark's remote transform sends params as plain literals, which hold
        # no map or model; the stage sends their wire strings (_wire_params) instead.
        check_dataset(self, dataset, "transform")
        if _connect.is_connect_session(dataset.sparkSession):
            return _connect.transform(self._java_class, self.uid, self._wire_params(), dataset)
        return super()._transform(dataset)  # type: ignore[misc]

    def _fit_java(self, dataset: Any) -> Any:
        self._refuse_connect_fit(dataset)
        return super()._fit_java(dataset)  # type: ignore[misc]

    def _refuse_connect_fit(self, dataset: Any) -> None:
        """Every fit path calls this first: a Connect session has no JVM to fit in."""
        check_dataset(self, dataset, "fit")
        if _connect.is_connect_session(dataset.sparkSession):
            raise NotImplementedError(
                f"{type(self).__name__} {self.uid}: fitting through Spark Connect is not supported "
                "yet; fit in a classic session and transform with the fitted model's TFModel "
                "(docs/connect.md)"
            )

    # ---- Python -> JVM: every param value goes through here (params, defaults, param maps)

    def _make_java_param_pair(self, param: Param, value: Any) -> Any:
        param = self._resolveParam(param)
        java_param = self._java_obj.getParam(param.name)
        return java_param.w(self._java_value(param, java_param, value))

    def _java_value(self, param: Param, java_param: Any, value: Any) -> Any:
        return kind_of(self, param).to_java(SparkSession.active(), java_param, value)

    # ---- Python -> Spark Connect: the set params as the literals the server's params decode

    def _wire_params(self) -> dict[str, Any]:
        values = {}
        for param, value in self._paramMap.items():
            try:
                values[param.name] = kind_of(self, param).to_wire(value)
            except ValueError as e:
                who = f"{type(self).__name__} {self.uid}"
                raise ValueError(f"{who}: param {param.name}: {e}") from None
        return values

    # ---- JVM -> Python

    def _python_value(self, param: Param, java_param: Any, java_value: Any) -> Any:
        return kind_of(self, param).to_python(SparkSession.active(), java_param, java_value)

    def _transfer_params_from_java(self) -> None:
        java = self._java_obj
        for param in self.params:
            if not java.hasParam(param.name):
                continue
            java_param = java.getParam(param.name)
            if java.isSet(java_param):  # set values only: defaults are the class's (SPARK-14931)
                value = self._python_value(param, java_param, java.getOrDefault(java_param))
                self._set(**{param.name: value})
            if java.hasDefault(java_param) and not self.isDefined(param):
                value = self._python_value(param, java_param, java.getDefault(java_param).get())
                self._setDefault(**{param.name: value})

    def _transfer_param_map_from_java(self, javaParamMap: Any) -> dict[Param, Any]:
        out = {}
        for pair in javaParamMap.toList():
            java_param = pair.param()
            if self.hasParam(str(java_param.name())):
                param = self.getParam(java_param.name())
                out[param] = self._python_value(param, java_param, pair.value())
        return out
