"""TensorFrames: TensorFlow graphs over the columns of Spark DataFrames.

The TensorFrames API on sparkdl's JVM engine. A graph's placeholders are fed from the columns
named after them (or mapped with ``feed_dict``); each fetched tensor becomes a column named after
its op. ``map_blocks`` feeds blocks of rows (placeholders with a leading row dimension),
``map_rows`` one row at a time; ``reduce_blocks``, ``reduce_rows`` and ``aggregate`` fold the
whole DataFrame (or each group) with the reduction conventions described on each function.

Graphs come in two styles:

* TF1: tensors of a ``tf.Graph`` built with :func:`block`, :func:`row` or
  ``tf.compat.v1.placeholder``, usually inside ``with tf.Graph().as_default():``. Variables are
  initialized and frozen to constants when the function is called.
* TF2 (``map_blocks`` and ``map_rows``): a Python function or ``tf.function`` whose parameters are
  named after columns, returning a tensor or a dict of named tensors.

TensorFrames programs run unchanged: ``import tensorframes as tfs`` is this module; TF1 names
(``tf.placeholder``, ...) come from ``tf.compat.v1``; the ``sqlContext`` of TensorFrames' examples
is the pyspark shell's, or ``SQLContext.getOrCreate(sparkdl.session().sparkContext)``; a pandas
DataFrame given to ``map_blocks`` or ``map_rows`` runs on the driver and returns one.

``map_blocks``, ``map_rows`` and ``aggregate`` are lazy: they check the graph against the schema
on the driver and return a DataFrame; the graph runs in Spark's executors when an action asks.

Example
-------
>>> import tensorflow as tf
>>> from sparkdl import tensorframes as tfs
>>> df = spark.createDataFrame([(float(i),) for i in range(10)], ["x"])
>>> with tf.Graph().as_default():
...     x = tfs.block(df, "x")
...     z = tf.add(x, 3.0, name="z")
...     out = tfs.map_blocks(z, df)
>>> out.columns
['x', 'z']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tensorflow as tf
from pyspark.sql import Column, DataFrame, GroupedData, SparkSession

from sparkdl import _tensorframes_pandas, _tensors
from sparkdl._gen import contract
from sparkdl._graphs import _frozen_function, _frozen_graph_def
from sparkdl._jvm import facade

__all__ = [
    "aggregate",
    "analyze",
    "append_shape",
    "block",
    "explain",
    "map_blocks",
    "map_rows",
    "print_schema",
    "reduce_blocks",
    "reduce_rows",
    "row",
]

#: What map_blocks and map_rows take: TF1 tensors, or a TF2 function of columns.
Fetches = tf.Tensor | Sequence[tf.Tensor] | Callable[..., Any]


@dataclass(frozen=True)
class _Program:
    """A frozen graph and how it meets a DataFrame, as the JVM's ``GraphProgram`` takes it."""

    graph_def: bytes
    fetches: list[str]  # tensor names, "z:0"
    output_names: list[str]  # one column name per fetch
    feed_dict: dict[str, str]  # placeholder op name -> column name


# ---- the JVM side -------------------------------------------------------------------------


def _api(spark: SparkSession) -> Any:
    return facade(spark, "PythonTensorFrames")


def _wrap(jdf: Any, spark: SparkSession) -> DataFrame:
    return DataFrame(jdf, spark)


def _column_info(df: DataFrame, col: str) -> tuple[tf.DType, list[int | None]]:
    """The TF dtype of ``col``'s cells and their shape (None where unknown)."""
    info = _api(df.sparkSession).columnInfo(df._jdf, col)
    shape = [None if d < 0 else int(d) for d in info.cellShape()]
    return tf.as_dtype(info.dtypeName()), shape


# ---- placeholders -------------------------------------------------------------------------


def block(df: DataFrame, col: str, tf_name: str | None = None) -> tf.Tensor:
    """A placeholder for a block of rows of ``col``, in the current default graph.

    Parameters
    ----------
    df
        The DataFrame whose column the placeholder reads.
    col
        The column: its dtype and cell shape (from :func:`analyze` or :func:`append_shape`
        metadata, else unknown dimensions) give the placeholder's.
    tf_name
        The placeholder's name. Default: ``col``. Map a different name with ``feed_dict``.

    Returns
    -------
    tf.Tensor
        A placeholder of shape ``[None] + cell shape``.
    """
    return _placeholder(df, col, tf_name, leading=True)


def row(df: DataFrame, col: str, tf_name: str | None = None) -> tf.Tensor:
    """A placeholder for one cell of ``col``, in the current default graph.

    Parameters
    ----------
    df
        The DataFrame whose column the placeholder reads.
    col
        The column: its dtype and cell shape give the placeholder's.
    tf_name
        The placeholder's name. Default: ``col``.

    Returns
    -------
    tf.Tensor
        A placeholder of the cell's shape (no row dimension).
    """
    return _placeholder(df, col, tf_name, leading=False)


def _placeholder(df: DataFrame, col: str, tf_name: str | None, leading: bool) -> tf.Tensor:
    if tf.executing_eagerly():
        raise RuntimeError(
            f"{'block' if leading else 'row'}() builds a TF1 placeholder, which needs a graph: "
            "call it inside `with tf.Graph().as_default():`, or pass a function of the columns "
            "to map_blocks/map_rows (TF2 style)"
        )
    dtype, cell = _column_info(df, col)
    shape = [None, *cell] if leading else cell
    return tf.compat.v1.placeholder(dtype, shape=shape, name=tf_name or col)


# ---- TF1 graphs ---------------------------------------------------------------------------


def _fetch_list(fetches: Any) -> list[tf.Tensor]:
    """The fetches as a non-empty list of graph tensors, all from one graph."""
    items = list(fetches) if isinstance(fetches, list | tuple) else [fetches]
    if not items:
        raise ValueError("no fetches: pass a tensor or a non-empty list of tensors")
    items = [_variable_value(f) for f in items]
    for f in items:
        if not isinstance(f, tf.Tensor) or not tf.is_symbolic_tensor(f):
            raise TypeError(
                f"fetch {f!r} is a {type(f).__name__}; expected a tf.Tensor of a tf.Graph "
                "(built under `with tf.Graph().as_default():`), or a function for TF2 style"
            )
    graphs = {id(f.graph): f.graph for f in items}
    if len(graphs) > 1:
        raise ValueError(
            "the fetches come from different graphs: "
            + ", ".join(f"'{f.name}' (graph {id(f.graph):#x})" for f in items)
            + "; build them all in one tf.Graph"
        )
    names = [f.op.name for f in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(
            f"several fetches come from op(s) {duplicates}, so their columns would share a name; "
            "fetch tensors of different ops (e.g. wrap them in tf.identity(..., name=...))"
        )
    return items


def _variable_value(fetch: Any) -> Any:
    """A graph variable as the tensor of its op (``z:0`` for variable ``z``), which freezing
    makes a constant of its initial value; anything else as it is."""
    if isinstance(fetch, tf.Variable) and not tf.executing_eagerly() and hasattr(fetch, "op"):
        return fetch.op.outputs[0]
    return fetch


def _feed_key(key: Any, graph: tf.Graph) -> str:
    """A feed_dict key (placeholder tensor, op or name, with or without ":0") as an op name."""
    if isinstance(key, tf.Tensor | tf.Operation):
        if key.graph is not graph:
            raise ValueError(f"feed_dict key '{key.name}' is not in the fetches' graph")
        return key.op.name if isinstance(key, tf.Tensor) else key.name
    if isinstance(key, str):
        return key.split(":")[0]
    raise TypeError(
        f"feed_dict key {key!r} is a {type(key).__name__}; expected a placeholder (tf.Tensor) "
        "or its name"
    )


def _tf1_feed_dict(
    feed_dict: Mapping[Any, str] | None, graph: tf.Graph, kept: tf.compat.v1.GraphDef
) -> dict[str, str]:
    """feed_dict by placeholder op name, without the placeholders the fetches do not need."""
    kept_names = {n.name for n in kept.node}
    out = {}
    for key, column in (feed_dict or {}).items():
        name = _feed_key(key, graph)
        if not isinstance(column, str):
            raise TypeError(f"feed_dict maps '{name}' to {column!r}; expected a column name")
        pruned = name not in kept_names and _is_placeholder(graph, name)
        if not pruned:  # anything else goes to the JVM, which says what is wrong with it
            out[name] = column
    return out


def _is_placeholder(graph: tf.Graph, name: str) -> bool:
    try:
        return graph.get_operation_by_name(name).type == "Placeholder"
    except KeyError:
        return False


def _tf1_program(fetches: Any, feed_dict: Mapping[Any, str] | None) -> _Program:
    tensors = _fetch_list(fetches)
    graph = tensors[0].graph
    op_names = [t.op.name for t in tensors]
    graph_def = _frozen_graph_def(graph, op_names)
    return _Program(
        graph_def=graph_def.SerializeToString(),
        fetches=[t.name for t in tensors],
        output_names=op_names,
        feed_dict=_tf1_feed_dict(feed_dict, graph, graph_def),
    )


# ---- TF2 functions ------------------------------------------------------------------------


def _is_function(fetches: Any) -> bool:
    return callable(fetches) and not isinstance(fetches, tf.Tensor)


def _parameter_columns(
    fn: Callable[..., Any], df: DataFrame, feed_dict: Mapping[str, str] | None
) -> list[tuple[inspect.Parameter, str]]:
    """Each parameter of ``fn`` to feed, with its column (``feed_dict`` or its own name)."""
    params = inspect.signature(fn).parameters
    feed_dict = dict(feed_dict or {})
    unknown = sorted(set(feed_dict) - set(params))
    if unknown:
        raise ValueError(
            f"feed_dict names {unknown}, which are not parameters of {_describe(fn)}; "
            f"its parameters: {', '.join(params)}"
        )
    out = []
    for p in params.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(
                f"{_describe(fn)} takes *{p.name}; TF2-style functions take one named parameter "
                "per column"
            )
        column = feed_dict.get(p.name, p.name)
        if column in df.columns:
            out.append((p, column))
        elif p.default is p.empty or p.name in feed_dict:
            raise ValueError(
                f"parameter '{p.name}' of {_describe(fn)} matches no column ('{column}'); the "
                f"DataFrame's columns are {', '.join(df.columns)}. Name the parameter after a "
                "column or map it with feed_dict={parameter: column}."
            )
    return out


def _describe(fn: Callable[..., Any]) -> str:
    return f"function '{getattr(fn, '__name__', type(fn).__name__)}'"


def _output_names(fn: Callable[..., Any], outputs: Any) -> list[str]:
    """Column names for a traced function's outputs, in ``tf.nest.flatten`` order."""
    if isinstance(outputs, Mapping):
        if not all(isinstance(k, str) and isinstance(v, tf.Tensor) for k, v in outputs.items()):
            raise TypeError(
                f"{_describe(fn)} returns a dict with {outputs!r}; expected column name -> tensor"
            )
        return tf.nest.flatten({k: k for k in outputs})
    items = list(outputs) if isinstance(outputs, list | tuple) else [outputs]
    if not items or not all(isinstance(t, tf.Tensor) for t in items):
        raise TypeError(
            f"{_describe(fn)} returns {outputs!r}; expected a tensor, a list of tensors or a "
            "dict of column name -> tensor"
        )
    # tf.function returns each output through an Identity it adds: name the column after the
    # op the function made (e.g. "add", or the name= it was given).
    names = [t.op.inputs[0].op.name if t.op.type == "Identity" else t.op.name for t in items]
    if len(set(names)) != len(names):
        raise ValueError(
            f"{_describe(fn)} returns tensors of ops {names}, which cannot name one column "
            "each; return a dict of column name -> tensor"
        )
    return names


def _tf2_program(
    fn: Callable[..., Any], df: DataFrame, feed_dict: Mapping[str, str] | None, leading: bool
) -> _Program:
    python_fn = getattr(fn, "python_function", fn)
    args, kwargs, columns = [], {}, {}
    for p, column in _parameter_columns(python_fn, df, feed_dict):
        dtype, cell = _column_info(df, column)
        spec = tf.TensorSpec([None, *cell] if leading else cell, dtype, name=p.name)
        if p.kind == p.POSITIONAL_ONLY:
            args.append(spec)
        else:
            kwargs[p.name] = spec
        columns[p.name] = column
    concrete = tf.function(python_fn).get_concrete_function(*args, **kwargs)
    frozen = _frozen_function(concrete, _describe(python_fn))
    unknown = sorted(set(frozen.placeholders) - set(columns))
    if unknown:
        raise RuntimeError(
            f"{_describe(python_fn)} has placeholders for unknown parameters {unknown}"
        )
    return _Program(
        graph_def=frozen.graph_def.SerializeToString(),
        fetches=frozen.outputs,
        output_names=_output_names(python_fn, frozen.structured_outputs),
        feed_dict={op: columns[p] for p, op in frozen.placeholders.items()},
    )


def _program(
    fetches: Fetches, df: DataFrame, feed_dict: Mapping[Any, str] | None, leading: bool
) -> _Program:
    if _is_function(fetches):
        return _tf2_program(fetches, df, feed_dict, leading)
    return _tf1_program(fetches, feed_dict)


# ---- map ----------------------------------------------------------------------------------


_MAX_BLOCK_SIZE = contract.MAX_BLOCK_SIZE  # the JVM counts rows in an Int


def _check_block_size(block_size: Any) -> None:
    """Refuse a block_size the JVM cannot take, before py4j fails to find a method for it."""
    if (
        isinstance(block_size, bool)
        or not isinstance(block_size, int)
        or not 1 <= block_size <= _MAX_BLOCK_SIZE
    ):
        raise ValueError(
            f"block_size={block_size!r}: expected an int from 1 to {_MAX_BLOCK_SIZE} (2**31 - 1)"
        )


def _map_pandas(
    fetches: Fetches,
    pdf: Any,
    feed_dict: Mapping[Any, str] | None,
    *,
    blocks: bool,
    trim: bool,
    op: str,
) -> Any:
    if _is_function(fetches):
        raise TypeError(
            f"{op} over a pandas DataFrame takes TF1 tensors, not a function; pass a Spark "
            "DataFrame (spark.createDataFrame(pdf)) to run a function"
        )
    program = _tf1_program(fetches, feed_dict)
    spark = SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError(
            f"{op} over a pandas DataFrame: no active SparkSession; call sparkdl.session() first"
        )

    def bind(schema_json: str, rows: bool) -> list[list[str]]:
        feeds = _api(spark).bindFeeds(
            schema_json,
            bytearray(program.graph_def),
            program.fetches,
            program.output_names,
            program.feed_dict,
            rows,
            trim,
        )
        return [[str(v) for v in feed] for feed in feeds]

    return _tensorframes_pandas.map_pandas(
        bind,
        program.graph_def,
        program.fetches,
        program.output_names,
        pdf,
        blocks=blocks,
        trim=trim,
        op=op,
    )


def map_blocks(
    fetches: Fetches,
    df: DataFrame,
    feed_dict: Mapping[Any, str] | None = None,
    trim: bool = False,
    *,
    block_size: int = contract.DEFAULT_BLOCK_SIZE,
    handle_invalid: str = "error",
) -> DataFrame:
    """Run a graph over blocks of rows; each fetch becomes a column. Lazy.

    Parameters
    ----------
    fetches
        TF1: a tensor or a list of tensors (or graph variables, fetched at their initial
        values) of one graph, whose placeholders have a leading row dimension (see
        :func:`block`). TF2: a function or ``tf.function`` whose parameters are
        named after columns (each gets a block of its column) and which returns a tensor or a
        dict of column name -> tensor. Parameters with a default and no column keep the default.
    df
        The input DataFrame; or a pandas DataFrame (TF1 tensors only), which the graph runs on
        in the driver, through sparkdl's engine, to return a new pandas DataFrame.
    feed_dict
        Placeholder (tensor or name) -> column name, for placeholders not named after their
        column; TF2: parameter name -> column name. Default: none.
    trim
        Return only the fetched columns, whose row count may then differ from the input's.
        Default: False (append the columns to the input's).
    block_size
        The most rows fed at once. Default: 1024.
    handle_invalid
        Rows that cannot be fed — a null cell, nulls or raggedness inside a cell, a malformed ML
        vector, a cell that breaks a declared dimension (the placeholder's, else the one
        :func:`analyze` recorded): ``"error"`` fails the job, ``"skip"`` drops the row,
        ``"keep"`` keeps it with null outputs. Valid rows whose undeclared dimensions differ
        run in blocks of their own, so the same rows come out at every ``block_size``.
        Default: ``"error"``.

    Returns
    -------
    DataFrame
        The input's columns (unless ``trim``) then one column per fetch, named after its op
        (TF1 and single-tensor TF2 outputs) or its dict key.
    """
    if _tensorframes_pandas.is_pandas(df):
        return _map_pandas(fetches, df, feed_dict, blocks=True, trim=trim, op="map_blocks")
    _check_block_size(block_size)
    program = _program(fetches, df, feed_dict, leading=True)
    jdf = _api(df.sparkSession).mapBlocks(
        df._jdf,
        bytearray(program.graph_def),
        program.fetches,
        program.output_names,
        program.feed_dict,
        trim,
        block_size,
        handle_invalid,
    )
    return _wrap(jdf, df.sparkSession)


def map_rows(
    fetches: Fetches,
    df: DataFrame,
    feed_dict: Mapping[Any, str] | None = None,
    *,
    handle_invalid: str = "error",
) -> DataFrame:
    """Run a graph once per row; each fetch becomes a column. Lazy.

    Cells of a column may differ in shape from row to row (ragged arrays).

    Parameters
    ----------
    fetches
        TF1: a tensor or a list of tensors of one graph, whose placeholders take one cell (see
        :func:`row`). TF2: a function or ``tf.function`` whose parameters are named after columns
        (each gets one cell), returning a tensor or a dict of column name -> tensor.
    df
        The input DataFrame; or a pandas DataFrame (TF1 tensors only), which the graph runs on
        in the driver, through sparkdl's engine, to return a new pandas DataFrame.
    feed_dict
        Placeholder (tensor or name) -> column name; TF2: parameter name -> column name.
        Default: none.
    handle_invalid
        Rows with a null or malformed cell: ``"error"`` fails the job, ``"skip"`` drops the
        row, ``"keep"`` keeps it with null outputs. Default: ``"error"``.

    Returns
    -------
    DataFrame
        The input's columns then one column per fetch.
    """
    if _tensorframes_pandas.is_pandas(df):
        return _map_pandas(fetches, df, feed_dict, blocks=False, trim=False, op="map_rows")
    program = _program(fetches, df, feed_dict, leading=False)
    jdf = _api(df.sparkSession).mapRows(
        df._jdf,
        bytearray(program.graph_def),
        program.fetches,
        program.output_names,
        program.feed_dict,
        handle_invalid,
    )
    return _wrap(jdf, df.sparkSession)


# ---- reduce -------------------------------------------------------------------------------


def _reduction_graph(fetches: Any, op: str) -> tuple[bytes, list[str], bool]:
    """The frozen graph of TF1 reduction fetches, their tensor names, and whether a list came."""
    if _is_function(fetches):
        raise TypeError(
            f"{op} takes TF1 tensors (fetch 'x' reading placeholders named after column 'x'), "
            f"not a function"
        )
    tensors = _fetch_list(fetches)
    graph_def = _frozen_graph_def(tensors[0].graph, [t.op.name for t in tensors])
    return (
        graph_def.SerializeToString(),
        [t.name for t in tensors],
        isinstance(fetches, list | tuple),
    )


def _results(values: Any, as_list: bool, spark: SparkSession) -> Any:
    """The JVM's reduction results (``TensorValue``s, read in one py4j call) as numpy: arrays,
    numpy scalars for 0-d tensors; a list of them when ``as_list``, else the one value."""
    arrays = [array for _, array in _tensors.unpack(_api(spark).packValues(values))]
    out = [array[()] if array.ndim == 0 else array for array in arrays]
    return out if as_list else out[0]


def reduce_blocks(
    fetches: tf.Tensor | Sequence[tf.Tensor],
    df: DataFrame,
    *,
    block_size: int = contract.DEFAULT_BLOCK_SIZE,
) -> Any:
    """Reduce the whole DataFrame block by block. Runs a Spark job.

    Fetch ``x`` (the op's name) reads placeholder ``x_input``, a block of column ``x`` (with a
    leading row dimension), and returns one cell of the same dtype, e.g.
    ``tf.reduce_sum(x_input, axis=0, name="x")``. Blocks, then partitions, then the partitions'
    results are reduced with the same graph, in an unspecified order.

    Parameters
    ----------
    fetches
        A tensor or a list of tensors of one graph (TF1).
    df
        The DataFrame to reduce; it must have rows.
    block_size
        The most rows fed at once. Default: 1024.

    Returns
    -------
    numpy.ndarray or numpy scalar, or a list of them
        One value per fetch (a list when ``fetches`` is a list), a numpy scalar for a scalar
        result; strings come back as bytes.
    """
    _check_block_size(block_size)
    graph_def, names, as_list = _reduction_graph(fetches, "reduce_blocks")
    values = _api(df.sparkSession).reduceBlocks(df._jdf, bytearray(graph_def), names, block_size)
    return _results(values, as_list, df.sparkSession)


def reduce_rows(fetches: tf.Tensor | Sequence[tf.Tensor], df: DataFrame) -> Any:
    """Reduce the whole DataFrame pairwise, row by row. Runs a Spark job.

    Fetch ``x`` combines placeholders ``x_1`` and ``x_2`` (two cells of column ``x``) into one
    cell of the same dtype and shape, e.g. ``tf.add(x_1, x_2, name="x")``, in an unspecified
    order.

    Parameters
    ----------
    fetches
        A tensor or a list of tensors of one graph (TF1).
    df
        The DataFrame to reduce; it must have rows.

    Returns
    -------
    numpy.ndarray or numpy scalar, or a list of them
        As :func:`reduce_blocks`.
    """
    graph_def, names, as_list = _reduction_graph(fetches, "reduce_rows")
    values = _api(df.sparkSession).reduceRows(df._jdf, bytearray(graph_def), names)
    return _results(values, as_list, df.sparkSession)


def aggregate(
    fetches: tf.Tensor | Sequence[tf.Tensor],
    grouped_data: GroupedData,
    *,
    block_size: int = contract.DEFAULT_BLOCK_SIZE,
) -> DataFrame:
    """Reduce each group with the :func:`reduce_blocks` convention. Lazy.

    Parameters
    ----------
    fetches
        A tensor or a list of tensors of one graph (TF1): fetch ``x`` reduces placeholder
        ``x_input``, a block of column ``x`` within a group.
    grouped_data
        ``df.groupBy(...)``.
    block_size
        The most rows fed at once. Default: 1024.

    Returns
    -------
    DataFrame
        The grouping columns, then one column per fetch; one row per group.
    """
    _check_block_size(block_size)
    graph_def, names, _ = _reduction_graph(fetches, "aggregate")
    spark = grouped_data.session
    jdf = _api(spark).aggregate(grouped_data._jgd, bytearray(graph_def), names, block_size)
    return _wrap(jdf, spark)


# ---- shapes -------------------------------------------------------------------------------


def analyze(df: DataFrame) -> DataFrame:
    """Record each tensor column's cell shape in its metadata. Runs a Spark job.

    Dimensions that vary between rows stay unknown; scalar columns get ``[?]``. The shapes let
    :func:`block` and :func:`row` build placeholders with known dimensions.

    Parameters
    ----------
    df
        The DataFrame to analyze.

    Returns
    -------
    DataFrame
        ``df`` with shape metadata; see :func:`explain`.
    """
    return _wrap(_api(df.sparkSession).analyze(df._jdf), df.sparkSession)


def append_shape(df: DataFrame, col: str | Column, shape: Sequence[int | None]) -> DataFrame:
    """Record the shape of ``col`` by hand, without a pass over the data.

    Parameters
    ----------
    df
        The DataFrame.
    col
        The column, by name or as a ``Column`` of ``df`` (``df.x``, ``col("x")``).
    shape
        The block shape: the leading row dimension then the cell's, None or -1 where unknown,
        e.g. ``[None, 2]`` for arrays of 2.

    Returns
    -------
    DataFrame
        ``df`` with the shape in ``col``'s metadata.
    """
    dims = [-1 if d is None else int(d) for d in shape]
    name = _column_name(df, col) if isinstance(col, Column) else col
    return _wrap(_api(df.sparkSession).appendShape(df._jdf, name, dims), df.sparkSession)


def _column_name(df: DataFrame, column: Column) -> str:
    """The name of the column of ``df`` that ``column`` refers to (TensorFrames took Columns)."""
    (name,) = df.select(column).columns
    if name not in df.columns:
        raise ValueError(
            f"append_shape: column {column} is an expression, not a column of the DataFrame "
            f"({', '.join(df.columns)}); select it as a column first"
        )
    return name


def explain(df: DataFrame) -> str:
    """The schema with each tensor column's dtype and block shape.

    Parameters
    ----------
    df
        The DataFrame.

    Returns
    -------
    str
        One line per column, e.g. ``y: array<double> double[?,2]``.
    """
    return _api(df.sparkSession).explain(df._jdf)


def print_schema(df: DataFrame) -> None:
    """Print :func:`explain`'s description of ``df``."""
    print(explain(df))
