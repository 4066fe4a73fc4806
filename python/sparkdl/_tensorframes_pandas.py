"""``map_blocks`` and ``map_rows`` over a pandas DataFrame, run on the driver.

TensorFrames accepted a pandas DataFrame for debugging and returned one; sparkdl keeps that: the
frozen graph runs in sparkdl's JVM engine of the active session (:func:`sparkdl.runtime.run_graph`,
the same bridge the executors use), not in TensorFlow Python, so it computes what the Spark
DataFrame path would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from sparkdl import runtime


def is_pandas(df: Any) -> bool:
    """Whether ``df`` is a pandas DataFrame (without importing pandas for Spark DataFrames)."""
    return type(df).__module__.startswith("pandas.") and type(df).__name__ == "DataFrame"


def map_pandas(
    graph_bytes: bytes,
    fetches: list[str],
    output_names: list[str],
    feed_dict: Mapping[str, str],
    pdf: Any,
    *,
    blocks: bool,
    trim: bool,
    op: str,
) -> Any:
    """Run a frozen TF1 graph over ``pdf``'s columns and return a new pandas DataFrame.

    Parameters
    ----------
    graph_bytes
        The frozen, serialized GraphDef; its placeholders are fed from the columns
        ``feed_dict`` names, else from the columns named after them.
    fetches, output_names
        The tensors to fetch and the column each becomes.
    feed_dict
        Placeholder op name -> column name.
    pdf
        The pandas DataFrame; it is not modified.
    blocks
        ``map_blocks``: one run over whole columns. Otherwise ``map_rows``: one run per row, except
        that a graph whose placeholders all take a block of cells (one dimension more than a
        cell, as TensorFrames ran map_rows on pandas) runs once over whole columns.
    trim
        Return only the fetched columns (``map_blocks``).
    op
        The calling function, for error messages.
    """
    graph_def = tf.compat.v1.GraphDef.FromString(graph_bytes)
    feeds = _feeds(graph_def, feed_dict, pdf, op)
    if not blocks and not all(f.takes_block(pdf) for f in feeds):
        rows = [
            runtime.run_graph(graph_bytes, {f.placeholder: f.cell(pdf, i) for f in feeds}, fetches)
            for i in range(len(pdf))
        ]
        outputs = {column: [row[k] for row in rows] for k, column in enumerate(output_names)}
        return _with_columns(pdf, outputs, trim=False)
    columns = {f.placeholder: f.block(pdf) for f in feeds}
    results = runtime.run_graph(graph_bytes, columns, fetches)
    outputs = {}
    for column, array in zip(output_names, results, strict=True):
        if not trim and (array.ndim == 0 or array.shape[0] != len(pdf)):
            raise ValueError(
                f"{op}: fetch '{column}' has shape {list(array.shape)}, not one row per input "
                f"row ({len(pdf)}); pass trim=True to return only the fetched columns"
            )
        outputs[column] = list(array) if array.ndim > 1 else array
    return _with_columns(pdf, outputs, trim=trim)


@dataclass(frozen=True)
class _Feed:
    """A placeholder of the graph and the pandas column that feeds it."""

    placeholder: str
    column: str
    dtype: tf.DType
    rank: int | None  # None: unknown
    op: str

    def block(self, pdf: Any) -> np.ndarray:
        """The whole column as one array, cells stacked."""
        cells = pdf[self.column].to_numpy()
        return self._converted(lambda: np.stack(cells) if cells.dtype == object else cells, pdf)

    def cell(self, pdf: Any, row: int) -> np.ndarray:
        return self._converted(lambda: np.asarray(pdf[self.column].iloc[row]), pdf)

    def takes_block(self, pdf: Any) -> bool:
        """Whether the placeholder has one dimension more than a cell of the column."""
        return len(pdf) > 0 and self.rank == np.ndim(pdf[self.column].iloc[0]) + 1

    def _converted(self, values: Callable[[], np.ndarray], pdf: Any) -> np.ndarray:
        try:
            array = values()
            if self.dtype != tf.string:
                array = array.astype(self.dtype.as_numpy_dtype, casting="same_kind")
            return array
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"{self.op}: column '{self.column}' (pandas dtype {pdf[self.column].dtype}) "
                f"cannot feed placeholder '{self.placeholder}' of dtype {self.dtype.name}: {e}"
            ) from None


def _feeds(
    graph_def: tf.compat.v1.GraphDef, feed_dict: Mapping[str, str], pdf: Any, op: str
) -> list[_Feed]:
    """Each placeholder of the graph with the column that feeds it."""
    out = []
    for node in graph_def.node:
        if node.op != "Placeholder":
            continue
        column = feed_dict.get(node.name, node.name)
        if column not in pdf.columns:
            raise ValueError(
                f"{op}: placeholder '{node.name}' reads column '{column}', which the pandas "
                f"DataFrame does not have; its columns are {', '.join(map(str, pdf.columns))}. "
                "Map it with feed_dict={placeholder: column}."
            )
        shape = node.attr["shape"].shape
        rank = None if shape.unknown_rank else len(shape.dim)
        out.append(_Feed(node.name, column, tf.as_dtype(node.attr["dtype"].type), rank, op))
    return out


def _with_columns(pdf: Any, outputs: Mapping[str, Any], *, trim: bool) -> Any:
    import pandas as pd

    if trim:
        return pd.DataFrame(dict(outputs))
    out = pdf.copy()
    for column, values in outputs.items():
        out[column] = values
    return out
