"""The API reference shows each stage's Scala params: a public class's docstring carries the
params section its generated base has (each param's type, default, Scala doc and allowed values;
codegen's PythonWrappersSuite checks that section against the Scala params)."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
import sparkdl._gen.ml as generated
from pyspark.ml.param import Param

PUBLIC_MODULES = ["sparkdl.ml", "sparkdl.keras_image"]
HEADER = "Parameters\n----------\n"


def _stages() -> list[tuple[type, type]]:
    """Each public class with the generated base it subclasses directly."""
    found = []
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != name:
                continue
            found += [(cls, b) for b in cls.__bases__ if b.__module__.startswith("sparkdl._gen.")]
    return found


def _entries(doc: str) -> dict[str, str]:
    """The entries of a numpy "Parameters" section, by name (the text up to the next entry)."""
    section = doc.partition(HEADER)[2]
    parts = re.split(r"^(\w+) : ", section, flags=re.M)[1:]
    return dict(zip(parts[::2], parts[1::2], strict=True))


def test_every_generated_base_has_a_public_class():
    bases = {b for _, b in _stages()}
    expected = {v for k, v in vars(generated).items() if inspect.isclass(v) and k.startswith("_")}
    expected = {b for b in expected if b.__module__ == generated.__name__}
    assert bases == expected


@pytest.mark.parametrize("cls,base", _stages(), ids=lambda c: getattr(c, "__name__", ""))
def test_public_docstring_lists_every_scala_param(cls, base):
    doc = inspect.getdoc(cls)
    entries = _entries(doc)
    params = [p for p in vars(base).values() if isinstance(p, Param)]
    assert params
    for param in params:
        assert param.name in entries, f"{cls.__name__}: no entry for {param.name} in\n{doc}"
        # The entry says the doc as reStructuredText does (`*`, `|`, a word's final `_` escaped).
        words = " ".join(re.sub(r"\\([*|_])", r"\1", entries[param.name]).split())
        assert " ".join(param.doc.split()) in words, f"{cls.__name__}.{param.name}: {words}"
    # The entries are the generated ones, word for word (defaults and allowed values included).
    assert entries.items() >= _entries(inspect.getdoc(base)).items()
    # The hand-written text stays first, and no hand-written entry repeats a Scala param.
    own = inspect.cleandoc(inspect.getsource(cls).split('"""')[1])
    assert doc.startswith(own.partition(HEADER)[0].rstrip())
    assert doc.count(HEADER) == 1


def test_choice_params_show_their_defaults_and_allowed_values():
    from sparkdl.ml import (
        DeepImageFeaturizer,
        KerasTransformer,
        TFEstimator,
        TFImageTransformer,
        TFTransformer,
    )

    transformer = _entries(inspect.getdoc(TFTransformer))
    assert transformer["handleInvalid"].startswith('str, default "error"\n')
    assert 'One of ``"error"``, ``"skip"``, ``"keep"``.' in transformer["handleInvalid"]
    assert 'One of ``"array"``, ``"vector"``.' in transformer["outputMode"]
    # One meaning of each output mode (Scala's OutputMode), in every stage's words.
    vector = "'vector' (an ML DenseVector of the output's values, flattened in row-major order"
    for cls in (TFTransformer, TFImageTransformer, KerasTransformer):
        assert vector in " ".join(_entries(inspect.getdoc(cls))["outputMode"].split()), cls.__name__
    assert transformer["batchSize"].startswith("int, default 1024\n")
    image = _entries(inspect.getdoc(TFImageTransformer))
    assert 'One of ``"RGB"``, ``"BGR"``, ``"L"``.' in image["channelOrder"]
    assert image["resizeMethod"].startswith('str, default "area"\n')
    assert '``"nearest"``' in image["resizeMethod"]
    assert 'One of ``"vector"``, ``"image"``.' in image["outputMode"]
    assert "One of ``0``, ``1``, ``2``." in _entries(inspect.getdoc(TFEstimator))["verbose"]
    assert '``"SCALE_SMOOTH"``' in _entries(inspect.getdoc(DeepImageFeaturizer))["scaleHint"]
