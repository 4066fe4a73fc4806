"""``map_blocks`` and ``map_rows`` over a pandas DataFrame, run on the driver.

TensorFrames accepted a pandas DataFrame for debugging and returned one; sparkdl keeps that: the
frozen graph is bound to the pandas columns by the JVM's own binding (the columns a Spark
DataFrame of the same types would give: which placeholders the fetches need, which column feeds
each, which dtypes may feed which, the cell ranks), then runs in sparkdl's JVM engine of the active
session (:func:`sparkdl.runtime.run_graph`, the same bridge the executors use), not in TensorFlow
Python, so it computes and refuses what the Spark DataFrame path would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from pyspark.errors import IllegalArgumentException
from pyspark.sql import types as T

from sparkdl import runtime

# The JVM's binding: (schema JSON, rows?) -> [[placeholder, column, dtype], ...], or its error.
Bind = Callable[[str, bool], list[list[str]]]


def is_pandas(df: Any) -> bool:
    """Whether ``df`` is a pandas DataFrame (without importing pandas for Spark DataFrames)."""
    return type(df).__module__.startswith("pandas.") and type(df).__name__ == "DataFrame"


def map_pandas(
    bind: Bind,
    graph_bytes: bytes,
    fetches: list[str],
    output_names: list[str],
    pdf: Any,
    *,
    blocks: bool,
    trim: bool,
    op: str,
) -> Any:
    """Run a frozen TF1 graph over ``pdf``'s columns and return a new pandas DataFrame.

    Parameters
    ----------
    bind
        The JVM's binding of the graph (its fetches and feed dict) over a Spark schema.
    graph_bytes
        The frozen, serialized GraphDef.
    fetches, output_names
        The tensors to fetch and the column each becomes.
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
    schema = spark_schema(pdf, op).json()
    if blocks:
        feeds, per_row = bind(schema, False), False
    else:
        try:
            feeds, per_row = bind(schema, True), True
        except IllegalArgumentException as row_error:
            try:
                feeds, per_row = bind(schema, False), False
            except IllegalArgumentException:
                raise row_error from None
    if per_row:
        rows = [
            runtime.run_graph(graph_bytes, {p: _cell(pdf, c, i, d) for p, c, d in feeds}, fetches)
            for i in range(len(pdf))
        ]
        outputs = {column: [row[k] for row in rows] for k, column in enumerate(output_names)}
        return _with_columns(pdf, outputs, trim=False)
    results = runtime.run_graph(graph_bytes, {p: _block(pdf, c, d) for p, c, d in feeds}, fetches)
    outputs = {}
    for column, array in zip(output_names, results, strict=True):
        if not trim and (array.ndim == 0 or array.shape[0] != len(pdf)):
            raise ValueError(
                f"{op}: fetch '{column}' has shape {list(array.shape)}, not one row per input "
                f"row ({len(pdf)}); pass trim=True to return only the fetched columns"
            )
        outputs[column] = list(array) if array.ndim > 1 else array
    return _with_columns(pdf, outputs, trim=trim)


# ---- pandas columns as Spark's types ----------------------------------------------------------

_INTEGERS = {1: T.ByteType(), 2: T.ShortType(), 4: T.IntegerType(), 8: T.LongType()}


def spark_schema(pdf: Any, op: str) -> T.StructType:
    """The Spark schema a DataFrame of ``pdf``'s columns has, as far as binding needs it: the
    element type of each column's cells and their rank (array columns nest one level per
    dimension of the first non-null cell)."""
    return T.StructType(
        [T.StructField(str(name), _spark_type(pdf[name], op, str(name))) for name in pdf.columns]
    )


def _spark_type(series: Any, op: str, name: str) -> T.DataType:
    dtype = series.to_numpy().dtype
    if dtype.kind != "O":
        return _element_type(dtype, op, name)
    cells = series.dropna()
    if len(cells) == 0:
        return T.NullType()  # no cell to tell: the binding refuses it, naming the column
    first = cells.iloc[0]
    if isinstance(first, str):
        return T.StringType()
    if isinstance(first, bytes | bytearray):
        return T.BinaryType()
    array = np.asarray(first)
    spark_type = _element_type(array.dtype, op, name)
    for _ in range(array.ndim):
        spark_type = T.ArrayType(spark_type)
    return spark_type


def _element_type(dtype: np.dtype, op: str, name: str) -> T.DataType:
    """The Spark type PySpark gives numpy values of ``dtype`` (unsigned ints widen, as Spark has
    none; float16 becomes float)."""
    if dtype.kind == "b":
        return T.BooleanType()
    if dtype.kind == "i":
        return _INTEGERS[dtype.itemsize]
    if dtype.kind == "u" and dtype.itemsize < 8:
        return _INTEGERS[dtype.itemsize * 2]
    if dtype.kind == "f":
        return T.DoubleType() if dtype.itemsize == 8 else T.FloatType()
    if dtype.kind == "U":
        return T.StringType()
    if dtype.kind == "S":
        return T.BinaryType()
    raise TypeError(
        f"{op}: column '{name}' holds numpy {dtype} values, which no Spark column type takes; "
        "expected booleans, integers (uint64 excepted), floats, strings or bytes, or arrays of "
        "them"
    )


# ---- feeding: the binding allowed each column's values for its placeholder's dtype ------------


def _block(pdf: Any, column: str, dtype: str) -> np.ndarray:
    """The whole column as one array of ``dtype``, cells stacked."""
    cells = pdf[column].to_numpy()
    array = np.stack(cells) if cells.dtype.kind == "O" and dtype != "string" else cells
    return array if dtype == "string" else array.astype(dtype)


def _cell(pdf: Any, column: str, row: int, dtype: str) -> np.ndarray:
    cell = np.asarray(pdf[column].iloc[row])
    return cell if dtype == "string" else cell.astype(dtype)


def _with_columns(pdf: Any, outputs: Mapping[str, Any], *, trim: bool) -> Any:
    import pandas as pd

    if trim:
        return pd.DataFrame(dict(outputs))
    out = pdf.copy()
    for column, values in outputs.items():
        out[column] = values
    return out
