"""The docs' code runner (dev/doc_blocks.py, run by dev/run-doc-blocks in dev/test): it finds
every python and scala block of README.md and docs/, their annotations name known setups, and
the blocks it skips are the few that cannot run by nature, each with its reason."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import sparkdl

REPO = Path(sparkdl.__file__).resolve().parent.parent.parent


def _runner():
    spec = importlib.util.spec_from_file_location("doc_blocks", REPO / "dev" / "doc_blocks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["doc_blocks"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_python_and_scala_block_is_found_and_its_annotations_are_known():
    runner = _runner()
    found = [b for p in runner.pages() for b in runner.blocks(p)]
    fences = sum(
        1 for p in runner.pages() for line in p.read_text().split("\n")
        if line.strip() in ("```python", "```scala")
    )
    assert len(found) == fences and fences > 20
    assert {b.language for b in found} == {"python", "scala"}
    for b in found:
        setups = runner.PY_SETUPS if b.language == "python" else runner.SCALA_SETUPS
        assert all(n in setups for n in b.setup), b.where
        assert all(n in runner.PY_AFTER for n in b.after), b.where
    skipped = {b.where: b.skip for b in found if b.skip}
    assert len(skipped) <= 3 and all(len(reason) > 20 for reason in skipped.values()), skipped


def test_the_readers_paths_are_mapped_into_the_sandbox():
    runner = _runner()
    code = 'readImages("/data/flowers"); x = \'/models/m\'; y = "/usr/lib"; z = "/tmp/m"'
    assert runner.sandboxed(code, Path("/s")) == (
        'readImages("/s/data/flowers"); x = \'/s/models/m\'; y = "/usr/lib"; z = "/s/tmp/m"'
    )
