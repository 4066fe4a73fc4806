"""sparkdl's Python modules import along its layers: the Spark Connect transport (``_connect``)
is a leaf that knows no stage, param type or model function, and the stage, transport and
model-function modules import each other in no circle (found by reading their sources: every
import, function-local ones too)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

_ROOT = Path(importlib.util.find_spec("sparkdl").origin).parent


def _source(module: str) -> Path | None:
    path = _ROOT.joinpath(*module.split(".")[1:])
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(module: str) -> set[str]:
    """The sparkdl modules ``module``'s source imports, anywhere in it."""
    path = _source(module)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from sparkdl import _connect` imports the module sparkdl._connect.
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("sparkdl.") and _source(m)}


def test_the_connect_transport_is_a_leaf():
    """_connect imported _stage's param converters and udf's ModelUDF (function-local, to dodge
    the circle) and read stages' params itself."""
    allowed = {"sparkdl._gen", "sparkdl._gen.contract", "sparkdl.model"}
    assert _imports("sparkdl._connect") <= allowed


@pytest.mark.parametrize(
    "module", ["sparkdl._connect", "sparkdl._stage", "sparkdl._param_types", "sparkdl.udf"]
)
def test_no_import_circle_through(module):
    seen, todo = set(), [module]
    while todo:
        for m in _imports(todo.pop()) - seen:
            assert m != module, f"{module} imports itself through {sorted(seen)}"
            seen.add(m)
            todo.append(m)
