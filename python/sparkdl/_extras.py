"""sparkdl's optional dependencies (pyproject's extras): an import that fails names the extra
that installs the package, rather than leaving a bare ModuleNotFoundError."""

from __future__ import annotations

import importlib

# module -> (package on PyPI, sparkdl extra)
_EXTRAS = {"PIL": ("Pillow", "image"), "matplotlib": ("matplotlib", "plot")}


def need(module: str, user: str) -> None:
    """Imports ``module`` (one of ``_EXTRAS``) or raises ModuleNotFoundError saying that
    ``user`` needs it and which ``pip install`` brings it."""
    try:
        importlib.import_module(module)
    except ImportError as e:
        package, extra = _EXTRAS[module]
        raise ModuleNotFoundError(
            f"{user} needs {package} (module {module}), which cannot be imported ({e}): "
            f"pip install 'sparkdl[{extra}]'",
            name=module,
        ) from e
