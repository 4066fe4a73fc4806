"""numpy arrays <-> the JVM's packed tensors, the one place where arrays cross py4j.

The Python side of ``io.sparkdl.python.PackedTensors``: named tensors packed into one byte
string, so that tensors of any size and rank cross py4j in one call (py4j moves ``bytes`` as one
value, but arrays of longs or strings one element per call). Little-endian throughout::

    tensors  := i32 count, tensor*
    tensor   := text name, text dtype, i32 rank, i64 dims[rank], contents
    contents := fixed-size dtype: the elements' bytes, row-major (numpy's tobytes())
                string: i32 byteLength[numElements], then the elements' bytes back to back
    names    := i32 count, text*
    text     := i32 byteLength, UTF-8 bytes
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

#: numpy dtype (native byte order) -> the TF dtype name sparkdl carries.
DTYPE_NAMES: dict[np.dtype, str] = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.int8): "int8",
    np.dtype(np.int16): "int16",
    np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.bool_): "bool",
}
_NUMPY_DTYPES = {name: dtype for dtype, name in DTYPE_NAMES.items()}
_STRING = "string"
_I32 = np.dtype("<i4")
_I64 = np.dtype("<i8")


# ---- numpy -> packed ----------------------------------------------------------------------


def pack(arrays: Iterable[tuple[str, Any]], what: str = "input") -> bytes:
    """Named values packed as ``tensors``; errors name the offending value.

    Parameters
    ----------
    arrays
        (name, value) pairs; each value is anything ``numpy.asarray`` takes. Arrays of ``str``
        (UTF-8 encoded) or ``bytes`` (``numpy`` ``U``/``S`` arrays, or object arrays holding
        only those) become string tensors.
    what
        What the values are, for error messages. Default: ``"input"``.

    Returns
    -------
    bytes
        The packed tensors, in order.
    """
    items = list(arrays)
    parts = [struct.pack("<i", len(items))]
    for name, value in items:
        parts.extend(_pack_one(name, value, what))
    return b"".join(parts)


def _pack_one(name: str, value: Any, what: str) -> list[bytes]:
    if value is None:
        raise TypeError(f"{what} '{name}' is None; expected an array")
    array = np.asarray(value)
    if array.dtype.kind in ("U", "S", "O"):
        dtype, contents = _STRING, _string_contents(name, array, what)
    else:
        native = array.dtype.newbyteorder("=")  # a big-endian array packs as its values
        if native not in DTYPE_NAMES:
            raise TypeError(
                f"{what} '{name}' has numpy dtype {array.dtype}, which sparkdl does not carry; "
                f"expected one of {', '.join(sorted(DTYPE_NAMES.values()))}, or strings "
                "(str or bytes)"
            )
        dtype = DTYPE_NAMES[native]
        little = np.ascontiguousarray(array, dtype=native.newbyteorder("<"))
        contents = [little.tobytes()]
    header = [
        _text(name),
        _text(dtype),
        struct.pack("<i", array.ndim),
        np.asarray(array.shape, dtype=_I64).tobytes(),
    ]
    return header + contents


def _string_contents(name: str, array: np.ndarray, what: str) -> list[bytes]:
    flat = array.ravel()
    if array.dtype.kind == "S":
        elements = flat.tolist()
    elif array.dtype.kind == "U":
        elements = [s.encode("utf-8") for s in flat.tolist()]
    else:
        elements = flat.tolist()
        for i, element in enumerate(elements):
            if isinstance(element, str):
                elements[i] = element.encode("utf-8")
            elif not isinstance(element, bytes):
                index = np.unravel_index(i, array.shape) if array.ndim else ()
                raise TypeError(
                    f"{what} '{name}' holds a {type(element).__name__} at index "
                    f"{tuple(int(j) for j in index)} ({element!r}); a string tensor holds only "
                    "bytes or str"
                )
    lengths = np.fromiter(map(len, elements), dtype=_I32, count=len(elements))
    return [lengths.tobytes(), b"".join(elements)]


def pack_names(names: Sequence[str]) -> bytes:
    """``names`` packed as ``names``."""
    return struct.pack("<i", len(names)) + b"".join(_text(n) for n in names)


def _text(value: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"expected a name (str); found a {type(value).__name__}: {value!r}")
    data = value.encode("utf-8")
    return struct.pack("<i", len(data)) + data


# ---- packed -> numpy ----------------------------------------------------------------------


def unpack(packed: bytes) -> list[tuple[str, np.ndarray]]:
    """The named arrays of packed ``tensors``, in order.

    Fixed-size tensors become writable arrays in native byte order, string tensors object arrays
    of ``bytes``; a scalar is a 0-d array.
    """
    reader = _Reader(memoryview(packed))
    out = []
    for _ in range(reader.int32()):
        name = reader.text()
        dtype = reader.text()
        shape = tuple(int(d) for d in reader.array(_I64, reader.int32()))
        count = int(np.prod(shape, dtype=np.int64))
        if dtype == _STRING:
            lengths = reader.array(_I32, count)
            data = reader.take(int(lengths.sum(dtype=np.int64)))
            ends = np.cumsum(lengths, dtype=np.int64).tolist()
            starts = [0, *ends[:-1]]
            array = np.empty(count, dtype=object)
            array[:] = [bytes(data[s:e]) for s, e in zip(starts, ends, strict=True)]
        else:
            if dtype not in _NUMPY_DTYPES:
                raise ValueError(f"tensor '{name}' has dtype {dtype}, which numpy cannot hold here")
            little = _NUMPY_DTYPES[dtype].newbyteorder("<")
            array = reader.array(little, count).astype(_NUMPY_DTYPES[dtype])
        out.append((name, array.reshape(shape)))
    if reader.remaining():
        raise ValueError(f"{reader.remaining()} bytes follow the packed tensors")
    return out


class _Reader:
    """Reads a packed byte string front to back."""

    def __init__(self, data: memoryview) -> None:
        self._data = data
        self._position = 0

    def take(self, size: int) -> memoryview:
        end = self._position + size
        if size < 0 or end > len(self._data):
            raise ValueError(f"packed tensors end before their contents ({size} bytes at {end})")
        out = self._data[self._position : end]
        self._position = end
        return out

    def int32(self) -> int:
        return int(struct.unpack("<i", self.take(4))[0])

    def text(self) -> str:
        return bytes(self.take(self.int32())).decode("utf-8")

    def array(self, dtype: np.dtype, count: int) -> np.ndarray:
        return np.frombuffer(self.take(count * dtype.itemsize), dtype=dtype, count=count)

    def remaining(self) -> int:
        return len(self._data) - self._position
