#!/usr/bin/env python3
"""Fetch what jni/ compiles and links against: the TF C API headers and the two TF libraries.

Both come from the ``tensorflow-cpu`` wheel on PyPI (the Maven jars ship no headers). pip
downloads the wheel (its cache makes a second fetch cheap); we unpack only what the build needs.

Usage: ``fetch-tf-sdk.py OUT_DIR`` -> ``OUT_DIR/include``, ``OUT_DIR/lib``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSIONS = Path(__file__).resolve().parent.parent / "versions.properties"


def read_version(key: str) -> str:
    """The value of ``key`` in versions.properties, where sparkdl's versions are written."""
    for line in VERSIONS.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#") and name.strip() == key:
            return value.strip()
    sys.exit(f"fetch-tf-sdk: {VERSIONS} sets no '{key}'")


TF_VERSION = read_version("tensorflow")
WHEEL_REQUIREMENT = f"tensorflow-cpu=={TF_VERSION}"
# Headers the C API includes, as paths inside the wheel.
HEADER_PREFIXES = (
    "tensorflow/include/tensorflow/c/",
    "tensorflow/include/xla/tsl/c/",
    "tensorflow/include/tensorflow/core/platform/ctstring",
    "tensorflow/include/tsl/platform/ctstring",
)
LIBRARIES = ("libtensorflow_cc.so.2", "libtensorflow_framework.so.2")
STAMP = f"tensorflow-cpu-{TF_VERSION}"


def download_wheel(into: Path) -> Path:
    """Download the cp311 manylinux wheel (any cp3x wheel carries the same C API)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "--platform", "manylinux2014_x86_64",
         "--python-version", "311", "--implementation", "cp", "--abi", "cp311",
         "-d", str(into), WHEEL_REQUIREMENT],
        check=True,
    )
    wheels = sorted(into.glob("tensorflow_cpu-*.whl"))
    if not wheels:
        sys.exit(f"fetch-tf-sdk: pip left no tensorflow_cpu wheel in {into}")
    return wheels[0]


def unpack(wheel: Path, out: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith(HEADER_PREFIXES) and name.endswith(".h"):
                target = out / "include" / name[len("tensorflow/include/"):]
            elif name in (f"tensorflow/{lib}" for lib in LIBRARIES):
                target = out / "lib" / Path(name).name
            else:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: fetch-tf-sdk.py OUT_DIR")
    out = Path(sys.argv[1])
    stamp = out / ".complete"
    if stamp.exists() and stamp.read_text() == STAMP:
        return
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"fetch-tf-sdk: {WHEEL_REQUIREMENT} -> {out}", file=sys.stderr)
        unpack(download_wheel(Path(tmp)), out)
    if not (out / "include/tensorflow/c/c_api.h").exists():
        sys.exit("fetch-tf-sdk: the wheel had no tensorflow/c/c_api.h")
    stamp.write_text(STAMP)


if __name__ == "__main__":
    main()
