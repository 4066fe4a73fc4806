"""How sparkdl's param values cross to the JVM, one class per kind of the generated contract's
``PARAM_KINDS`` (the Scala side's table: ``io.sparkdl.codegen.PythonWrappers.ParamTypes``).

Each generated stage base names its params' kinds (``_param_kinds``); the stages
(``sparkdl._stage``) move values across py4j and compute their Spark Connect literals through
:func:`kind_of`, so a value crosses the same way whichever stage or transport sends it. A new
param type that fits a kind is one entry of the Scala table; one that does not is one class here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pyspark.ml.common import _java2py, _py2java
from pyspark.ml.param import Param

from sparkdl import _connect
from sparkdl._gen import contract
from sparkdl.model import TFModel


def to_string_map(value: Any) -> dict[str, str]:
    """Type converter of map params (``StringMapParam``): a dict of str -> str."""
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return dict(value)
    raise TypeError(f"expected a dict of str -> str; found {value!r}")


def to_tf_model(value: Any) -> TFModel:
    """Type converter of model params (``ModelParam``): a :class:`sparkdl.model.TFModel`."""
    if isinstance(value, TFModel):
        return value
    raise TypeError(
        f"expected a sparkdl.model.TFModel (TFModel.from_saved_model, from_keras, ...); "
        f"found a {type(value).__name__}"
    )


class ParamKind:
    """Kind ``plain``: PySpark's own conversions; the value itself as a Connect literal."""

    def to_java(self, spark: Any, java_param: Any, value: Any) -> Any:
        """``value`` as the JVM param ``java_param`` takes it."""
        return _py2java(spark.sparkContext, value)

    def to_python(self, spark: Any, java_param: Any, java_value: Any) -> Any:
        """The Python value of ``java_param``'s JVM value ``java_value``."""
        return _java2py(spark.sparkContext, java_value)

    def to_wire(self, value: Any) -> Any:
        """``value`` as a Spark Connect ``MlParams`` literal, which the server's param decodes."""
        return value


class _ListKind(ParamKind):
    """Kind ``list``: arrays come back from py4j as Java arrays, made Python lists here."""

    def to_python(self, spark: Any, java_param: Any, java_value: Any) -> Any:
        return [_java2py(spark.sparkContext, x) for x in list(java_value)]


class _JsonKind(ParamKind):
    """Kind ``json``: the Java param's own JSON both ways (a Scala ``Map`` is no py4j value),
    and that JSON, keys sorted, as the Connect literal."""

    def to_java(self, spark: Any, java_param: Any, value: Any) -> Any:
        return java_param.jsonDecode(json.dumps(value))

    def to_python(self, spark: Any, java_param: Any, java_value: Any) -> Any:
        return json.loads(java_param.jsonEncode(java_value))

    def to_wire(self, value: Any) -> Any:
        return json.dumps(value, sort_keys=True)


class _ModelKind(ParamKind):
    """Kind ``model``: the JVM ``TFModel`` across py4j; sparkdl's model wire format over
    Spark Connect."""

    def to_java(self, spark: Any, java_param: Any, value: Any) -> Any:
        return value._to_java(spark)

    def to_python(self, spark: Any, java_param: Any, java_value: Any) -> Any:
        return TFModel._from_java(java_value)

    def to_wire(self, value: Any) -> Any:
        return _connect.encode_model(value)


KINDS: dict[str, ParamKind] = {
    "plain": ParamKind(),
    "list": _ListKind(),
    "json": _JsonKind(),
    "model": _ModelKind(),
}

if set(KINDS) != set(contract.PARAM_KINDS):  # the generated contract names the kinds
    raise ImportError(
        f"sparkdl._param_types implements param kinds {sorted(KINDS)}, the generated contract "
        f"has {sorted(contract.PARAM_KINDS)}: implement the new kind here"
    )


def kind_of(stage: Any, param: Param) -> ParamKind:
    """The kind of ``stage``'s ``param``: its generated base's, or ``plain`` for a param of
    the Python class only (never sent to the JVM, or sent as it is)."""
    return KINDS[getattr(stage, "_param_kinds", {}).get(param.name, "plain")]
