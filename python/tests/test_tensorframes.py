"""sparkdl.tensorframes against TensorFlow Python run on the same inputs."""

from __future__ import annotations

import time

import numpy as np
import pytest
import tensorflow as tf
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException, IllegalArgumentException
from sparkdl import tensorframes as tfs

# Failures inside Spark tasks reach Python as a Py4JJavaError or a converted pyspark exception.
JOB_ERRORS = (Py4JJavaError, CapturedException)


# ---- helpers ------------------------------------------------------------------------------


def _numbers(spark, n: int = 10, partitions: int = 2, sql_type: str = "double"):
    """Column x = 0..n-1 cast to ``sql_type``, in order, over ``partitions`` partitions."""
    return spark.range(n, numPartitions=partitions).selectExpr(f"cast(id as {sql_type}) as x")


def _tf_run(fetches, feeds):
    """TF Python's answer: run ``fetches`` in their graph, variables initialized."""
    graph = (fetches[0] if isinstance(fetches, list) else fetches).graph
    with graph.as_default():
        init = tf.compat.v1.global_variables_initializer()
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(init)
        return sess.run(fetches, feeds)


def _values(rows, col: str, dtype=None) -> np.ndarray:
    return np.array([r[col] for r in rows], dtype=dtype)


def _jobs_in(spark, group: str) -> list[int]:
    return list(spark.sparkContext.statusTracker().getJobIdsForGroup(group))


def _run_in_group(spark, group: str, action):
    sc = spark.sparkContext
    sc.setJobGroup(group, group)
    try:
        return action()
    finally:
        sc._jsc.clearJobGroup()


def _assert_no_job(spark, group: str, action):
    """Run ``action`` in job group ``group``; assert that it started no Spark job.

    Job tracking is asynchronous (a listener), so a later job in another group is awaited first:
    the listener handles events in order, so any job of ``group`` would be known by then.
    """
    result = _run_in_group(spark, group, action)
    probe = group + "-probe"
    _run_in_group(spark, probe, lambda: spark.range(1).count())
    deadline = time.monotonic() + 10
    while not _jobs_in(spark, probe) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _jobs_in(spark, probe), "the probe job was never tracked"
    assert _jobs_in(spark, group) == []
    return result


# ---- map_blocks / map_rows, TF1 -----------------------------------------------------------


def _x_plus_3(df, mode: str, variant: str):
    """Builds ``z = x + 3`` in a new graph; returns (z, the placeholder)."""
    with tf.Graph().as_default():
        name = "input" if variant == "feed_dict" else "x"
        x = tfs.block(df, "x", name) if mode == "blocks" else tfs.row(df, "x", name)
        if variant == "variable":
            three = tf.Variable(3.0, dtype=tf.float64)
        elif variant == "constant":
            three = tf.constant(3.0, dtype=tf.float64)
        else:
            three = 3.0
        return tf.add(x, three, name="z"), x


def _map(mode: str, z, df, feed_dict=None):
    if mode == "blocks":
        return tfs.map_blocks(z, df, feed_dict, block_size=3)
    return tfs.map_rows(z, df, feed_dict)


@pytest.mark.parametrize("mode", ["blocks", "rows"])
@pytest.mark.parametrize("variant", ["plain", "variable", "constant", "feed_dict"])
def test_x_plus_3_matches_tf(spark, mode, variant):
    df = _numbers(spark)
    z, x = _x_plus_3(df, mode, variant)
    out = _map(mode, z, df, {x: "x"} if variant == "feed_dict" else None)
    assert out.columns == ["x", "z"]
    rows = out.collect()
    xs = _values(rows, "x")
    np.testing.assert_array_equal(xs, np.arange(10.0))
    if mode == "blocks":
        expected = _tf_run(z, {x: xs})
    else:
        expected = np.array([_tf_run(z, {x: v}) for v in xs])
    np.testing.assert_allclose(_values(rows, "z"), expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("mode", ["blocks", "rows"])
def test_feed_dict_keys_may_be_placeholders_or_their_names(spark, mode):
    df = _numbers(spark, n=3)
    z, x = _x_plus_3(df, mode, "feed_dict")
    for key in (x, x.op, "input", "input:0"):
        assert _map(mode, z, df, {key: "x"}).columns == ["x", "z"]  # planned against the schema
    with pytest.raises(IllegalArgumentException, match="placeholder 'input' .* matches no column"):
        _map(mode, z, df)
    with pytest.raises(TypeError, match="feed_dict key 3 is a int"):
        _map(mode, z, df, {3: "x"})


@pytest.mark.parametrize(
    ("sql_type", "spark_type", "dtype"),
    [
        ("float", "float", np.float32),
        ("double", "double", np.float64),
        ("int", "int", np.int32),
        ("bigint", "bigint", np.int64),
        ("smallint", "smallint", np.int16),
        ("tinyint", "tinyint", np.int8),
    ],
)
def test_map_blocks_per_dtype_matches_tf(spark, sql_type, spark_type, dtype):
    df = _numbers(spark, sql_type=sql_type)
    with tf.Graph().as_default():
        x = tfs.block(df, "x")
        assert x.dtype == tf.as_dtype(dtype) and x.shape.as_list() == [None]
        z = tf.add(x, tf.constant(3, dtype=x.dtype), name="z")
        out = tfs.map_blocks(z, df)
    assert out.schema["z"].dataType.simpleString() == spark_type
    rows = out.collect()
    xs = _values(rows, "x", dtype)
    expected = _tf_run(z, {x: xs})
    assert expected.dtype == np.dtype(dtype)
    np.testing.assert_allclose(_values(rows, "z", dtype), expected, rtol=1e-6, atol=0)


def test_unused_placeholders_need_no_column(spark):
    df = _numbers(spark)
    with tf.Graph().as_default():
        x = tfs.block(df, "x")
        w = tf.compat.v1.placeholder(tf.float64, [None], name="w")
        z = tf.add(x, 1.0, name="z")
        tf.add(w, 1.0, name="unused")
        out = tfs.map_blocks(z, df, {w: "x"})
    assert _values(out.collect(), "z").tolist() == [float(i + 1) for i in range(10)]


def test_several_fetches_become_columns_in_order(spark):
    df = _numbers(spark)
    with tf.Graph().as_default():
        x = tfs.block(df, "x")
        fetches = [tf.multiply(x, 2.0, name="double"), tf.square(x, name="sq")]
        out = tfs.map_blocks(fetches, df)
        rows = out.collect()
        expected = _tf_run(fetches, {x: _values(rows, "x")})
    assert out.columns == ["x", "double", "sq"]
    np.testing.assert_array_equal(_values(rows, "double"), expected[0])
    np.testing.assert_array_equal(_values(rows, "sq"), expected[1])


# ---- arrays and strings -------------------------------------------------------------------


def _matrices(spark):
    cells = [np.arange(6.0).reshape(3, 2) * (i + 1) - i for i in range(5)]
    return spark.createDataFrame([(c.tolist(),) for c in cells], "m array<array<double>>")


@pytest.mark.parametrize("op", ["identity", "double"])
def test_2d_cells_round_trip_through_map_blocks(spark, op):
    df = tfs.analyze(_matrices(spark))
    with tf.Graph().as_default():
        m = tfs.block(df, "m")
        assert m.shape.as_list() == [None, 3, 2]
        y = tf.identity(m, name="y") if op == "identity" else tf.multiply(m, 2.0, name="y")
        out = tfs.map_blocks(y, df)
        rows = out.collect()
        expected = _tf_run(y, {m: _values(rows, "m")})
    got = _values(rows, "y")
    assert got.shape == (5, 3, 2)
    np.testing.assert_array_equal(got, expected)
    assert "y: array<array<double>> double[?,3,2]" in tfs.explain(out)


def test_vector_cells_through_map_rows(spark):
    df = tfs.analyze(spark.createDataFrame([([1.0, 2.0],), ([3.0, -4.0],)], "y array<double>"))
    with tf.Graph().as_default():
        y = tfs.row(df, "y")
        assert y.shape.as_list() == [2]
        n = tf.reduce_sum(y * y, name="n")
        rows = tfs.map_rows(n, df).collect()
        expected = [_tf_run(n, {y: v}) for v in _values(rows, "y")]
    np.testing.assert_array_equal(_values(rows, "n"), expected)


def test_strings_through_map_blocks_and_map_rows(spark):
    words = ["", "spark", "héllo", "tensorframes"]
    df = spark.createDataFrame([(w,) for w in words], "s string")
    with tf.Graph().as_default():
        s = tfs.block(df, "s")
        assert s.dtype == tf.string
        fetches = [tf.strings.length(s, name="n"), tf.identity(s, name="same")]
        out = tfs.map_blocks(fetches, df)
        expected = _tf_run(fetches, {s: np.array(words, dtype=object)})
    rows = out.collect()
    assert out.schema["same"].dataType.simpleString() == "binary"
    np.testing.assert_array_equal(_values(rows, "n"), expected[0])
    assert [bytes(r.same) for r in rows] == list(expected[1]) == [w.encode() for w in words]

    with tf.Graph().as_default():
        cell = tfs.row(df, "s")
        upper = tf.strings.upper(cell, name="upper")
        rows = tfs.map_rows(upper, df).collect()
    assert [bytes(r.upper).decode() for r in rows] == ["", "SPARK", "HéLLO", "TENSORFRAMES"]


# ---- trimmed map_blocks -------------------------------------------------------------------


@pytest.mark.parametrize("op", ["sum", "first", "twice"])
def test_trimmed_map_blocks_may_change_the_row_count(spark, op):
    df = _numbers(spark, partitions=1)
    with tf.Graph().as_default():
        x = tfs.block(df, "x")
        if op == "sum":
            y = tf.reduce_sum(x, axis=0, keepdims=True, name="y")
        elif op == "first":
            y = tf.identity(x[:1], name="y")
        else:
            y = tf.concat([x, x], 0, name="y")
        out = tfs.map_blocks(y, df, trim=True, block_size=4)
        blocks = np.array_split(np.arange(10.0), [4, 8])  # blocks of 4, 4 and 2 rows
        expected = np.concatenate([_tf_run(y, {x: b}) for b in blocks])
    assert out.columns == ["y"]
    rows = out.collect()
    assert len(rows) == {"sum": 3, "first": 3, "twice": 20}[op]
    np.testing.assert_array_equal(_values(rows, "y"), expected)


def test_untrimmed_map_blocks_must_keep_the_row_count(spark):
    df = _numbers(spark)
    with tf.Graph().as_default():
        x = tfs.block(df, "x")
        y = tf.concat([x, x], 0, name="y")
        out = tfs.map_blocks(y, df)
    with pytest.raises(JOB_ERRORS, match=r"fetch 'y:0' returned \d+ rows .*need trim=True"):
        out.collect()


# ---- reductions ---------------------------------------------------------------------------


@pytest.mark.parametrize("partitions", [1, 3])
def test_reduce_rows_sums_to_10(spark, partitions):
    df = _numbers(spark, n=5, partitions=partitions)
    with tf.Graph().as_default():
        x_1 = tf.compat.v1.placeholder(tf.float64, [], name="x_1")
        x_2 = tf.compat.v1.placeholder(tf.float64, [], name="x_2")
        x = tf.add(x_1, x_2, name="x")
        result = tfs.reduce_rows(x, df)
    assert isinstance(result, np.float64) and result == 10.0


@pytest.mark.parametrize(("partitions", "block_size"), [(1, 1024), (3, 1), (3, 2), (5, 1024)])
def test_reduce_blocks_sums_to_10(spark, partitions, block_size):
    df = _numbers(spark, n=5, partitions=partitions)
    with tf.Graph().as_default():
        x_input = tf.compat.v1.placeholder(tf.float64, [None], name="x_input")
        x = tf.reduce_sum(x_input, axis=0, name="x")
        result = tfs.reduce_blocks(x, df, block_size=block_size)
    assert isinstance(result, np.float64) and result == 10.0


def test_reductions_of_several_fetches_return_a_list(spark):
    pairs = [(float(i), [i, -2 * i]) for i in range(7)]
    df = spark.createDataFrame(pairs, "x double, y array<int>").repartition(3)
    df = tfs.analyze(df)
    with tf.Graph().as_default():
        x = tf.reduce_min(tf.compat.v1.placeholder(tf.float64, [None], name="x_input"), 0, name="x")
        y = tf.reduce_sum(tfs.block(df, "y", "y_input"), axis=0, name="y")
        blocks = tfs.reduce_blocks([x, y], df, block_size=2)
        single = tfs.reduce_blocks([y], df)
    with tf.Graph().as_default():
        y_1 = tfs.row(df, "y", "y_1")
        y = tf.add(y_1, tfs.row(df, "y", "y_2"), name="y")
        rows = tfs.reduce_rows([y], df)
    expected_y = np.array([21, -42], dtype=np.int32)
    assert isinstance(blocks, list) and blocks[0] == 0.0 and isinstance(blocks[0], np.float64)
    for got in (blocks[1], single[0], rows[0]):
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, expected_y)


def test_aggregate_sums_per_group_like_numpy(spark):
    df = spark.range(10, numPartitions=3).selectExpr("cast(id as double) as x", "id % 2 as k")
    df = df.selectExpr("k", "x", "array(x, x * x) as y")
    with tf.Graph().as_default():
        x = tf.reduce_sum(tf.compat.v1.placeholder(tf.float64, [None], name="x_input"), 0, name="x")
        y_input = tf.compat.v1.placeholder(tf.float64, [None, 2], name="y_input")
        y = tf.reduce_sum(y_input, axis=0, name="y")
        out = tfs.aggregate([x, y], df.groupBy("k"), block_size=2)
    assert out.columns == ["k", "x", "y"]
    got = {r.k: (r.x, r.y) for r in out.collect()}
    values = np.arange(10.0)
    for k in (0, 1):
        group = values[values % 2 == k]
        assert got[k][0] == group.sum()
        np.testing.assert_array_equal(got[k][1], [group.sum(), (group**2).sum()])


def test_reductions_take_tf1_tensors_only(spark):
    with pytest.raises(TypeError, match="reduce_blocks takes TF1 tensors"):
        tfs.reduce_blocks(lambda x_input: tf.reduce_sum(x_input), _numbers(spark))


# ---- shapes -------------------------------------------------------------------------------


def test_analyze_records_cell_shapes(spark):
    scalars = tfs.analyze(_numbers(spark, partitions=4))
    assert tfs.explain(scalars) == "x: double double[?]"

    pairs = spark.createDataFrame([([float(i), 1.0],) for i in range(6)], "y array<double>")
    assert tfs.explain(pairs) == "y: array<double> double[?,?]"
    assert tfs.explain(tfs.analyze(pairs.repartition(3))) == "y: array<double> double[?,2]"

    matrices = tfs.analyze(_matrices(spark))
    assert tfs.explain(matrices) == "m: array<array<double>> double[?,3,2]"


def test_analyze_leaves_varying_dimensions_unknown(spark):
    ragged = spark.createDataFrame([([1],), ([1, 2],)], "y array<int>")
    assert tfs.explain(tfs.analyze(ragged)) == "y: array<int> int32[?,?]"


def test_append_shape_then_explain_and_block(spark, capsys):
    df = spark.createDataFrame([(1, [1.0, 2.0])], "i int, y array<double>")
    shaped = tfs.append_shape(df, "y", [None, 2])
    assert tfs.explain(shaped) == "i: int int32[?]\ny: array<double> double[?,2]"
    assert tfs.explain(tfs.append_shape(df, "y", [-1, -1])) == tfs.explain(df)
    tfs.print_schema(shaped)
    assert capsys.readouterr().out == tfs.explain(shaped) + "\n"
    with tf.Graph().as_default():
        assert tfs.block(shaped, "y").shape.as_list() == [None, 2]
        assert tfs.row(shaped, "y", "cell").shape.as_list() == [2]
        assert tfs.row(shaped, "y", "cell_1").name == "cell_1:0"
    with pytest.raises(IllegalArgumentException, match="needs a block shape of rank 2"):
        tfs.append_shape(df, "y", [None])


# ---- TF2 style ----------------------------------------------------------------------------


def test_tf2_function_columns_are_named_after_ops(spark):
    df = _numbers(spark)
    out = tfs.map_blocks(lambda x: x + 3, df)
    assert out.columns == ["x", "add"]
    rows = out.collect()
    expected = (tf.constant(_values(rows, "x")) + 3).numpy()
    np.testing.assert_array_equal(_values(rows, "add"), expected)

    named = tfs.map_blocks(lambda x: tf.add(x, 3.0, name="plus"), df)
    assert named.columns == ["x", "plus"]


def test_tf2_function_returning_a_dict_over_two_columns(spark):
    df = spark.range(6, numPartitions=2).selectExpr("cast(id as float) as a", "id as b")
    scale = tf.Variable(0.5, dtype=tf.float32)

    @tf.function
    def f(a, b):
        return {"y": a * scale + tf.cast(b, tf.float32), "s": tf.reduce_sum(b, keepdims=True) + b}

    out = tfs.map_blocks(f, df, block_size=4)
    assert out.columns == ["a", "b", "s", "y"]
    rows = out.collect()
    a, b = _values(rows, "a", np.float32), _values(rows, "b", np.int64)
    np.testing.assert_allclose(
        _values(rows, "y"), f(tf.constant(a), tf.constant(b))["y"], atol=1e-6
    )
    # Each partition of 3 rows is one block (block_size 4): "s" sums b per block.
    parts = [slice(0, 3), slice(3, 6)]
    expected_s = np.concatenate([f(tf.constant(a[p]), tf.constant(b[p]))["s"] for p in parts])
    np.testing.assert_array_equal(_values(rows, "s"), expected_s)


def test_tf2_map_rows_and_feed_dict(spark):
    df = spark.createDataFrame([([1.0, 2.0, 3.0],), ([4.0],)], "v array<double>")
    fn = tf.function(lambda cell: tf.reduce_sum(cell * 2.0, name="total"))
    out = tfs.map_rows(fn, df, {"cell": "v"})
    assert out.columns == ["v", "total"]
    assert _values(out.collect(), "total").tolist() == [12.0, 8.0]


def test_tf2_parameters_with_defaults_and_no_column_keep_them(spark):
    def scaled(x, factor=10.0):
        return tf.multiply(x, factor, name="scaled")

    rows = tfs.map_rows(scaled, _numbers(spark, n=3)).collect()
    assert _values(rows, "scaled").tolist() == [0.0, 10.0, 20.0]


def test_tf2_parameter_without_a_column_is_a_value_error(spark):
    with pytest.raises(ValueError, match=r"parameter 'w' .* matches no column .*columns are x"):
        tfs.map_blocks(lambda x, w: x + w, _numbers(spark))
    with pytest.raises(ValueError, match=r"feed_dict names \['nope'\]"):
        tfs.map_blocks(lambda x: x + 1, _numbers(spark), {"nope": "x"})


# ---- laziness and partitioning ------------------------------------------------------------


def _map_blocks_plus_3(df):
    with tf.Graph().as_default():
        z = tf.add(tfs.block(df, "x"), 3.0, name="z")
        return tfs.map_blocks(z, df, block_size=2)


def _map_rows_plus_3(df):
    with tf.Graph().as_default():
        z = tf.add(tfs.row(df, "x"), 3.0, name="z")
        return tfs.map_rows(z, df)


def _aggregate_sum(df):
    with tf.Graph().as_default():
        x_input = tf.compat.v1.placeholder(tf.float64, [None], name="x_input")
        x = tf.reduce_sum(x_input, axis=0, name="x")
        return tfs.aggregate(x, df.groupBy("k"), block_size=2)


def _keyed(spark, partitions: int):
    return spark.range(20, numPartitions=partitions).selectExpr(
        "cast(id as double) as x", "id % 3 as k"
    )


def test_maps_are_lazy_and_partitioning_does_not_matter(spark):
    results = []
    for partitions in (1, 3, 7):
        df = _keyed(spark, partitions)
        group = f"tensorframes-lazy-{partitions}"
        maps = _assert_no_job(
            spark, group, lambda df=df: [_map_blocks_plus_3(df), _map_rows_plus_3(df)]
        )
        outputs = [*maps, _aggregate_sum(df)]
        results.append([sorted(map(tuple, out.collect())) for out in outputs])
    assert results[0] == results[1] == results[2]
    assert results[0][0] == results[0][1] == [(float(i), i % 3, i + 3.0) for i in range(20)]
    assert results[0][2] == [(k, float(sum(range(k, 20, 3)))) for k in range(3)]


def test_aggregate_is_lazy(spark):
    df = _keyed(spark, 3)
    _assert_no_job(spark, "tensorframes-lazy-aggregate", lambda: _aggregate_sum(df))


def test_map_blocks_over_a_shuffled_dataframe_is_lazy(spark):
    df = _keyed(spark, 1).repartition(3)
    _assert_no_job(spark, "tensorframes-lazy-shuffled", lambda: _map_blocks_plus_3(df))


# ---- errors -------------------------------------------------------------------------------


def _with_null(spark):
    return spark.createDataFrame([(1.0,), (None,), (3.0,)], "x double")


@pytest.mark.parametrize("mode", ["blocks", "rows"])
def test_null_cells_fail_or_are_skipped(spark, mode):
    df = _with_null(spark)
    with tf.Graph().as_default():
        if mode == "blocks":
            z = tf.add(tfs.block(df, "x"), 1.0, name="z")
            run = lambda how: tfs.map_blocks(z, df, handle_invalid=how)  # noqa: E731
        else:
            z = tf.add(tfs.row(df, "x"), 1.0, name="z")
            run = lambda how: tfs.map_rows(z, df, handle_invalid=how)  # noqa: E731
        with pytest.raises(JOB_ERRORS, match="column 'x' has a null cell"):
            run("error").collect()
        assert [(r.x, r.z) for r in run("skip").collect()] == [(1.0, 2.0), (3.0, 4.0)]
        kept = [(r.x, r.z) for r in run("keep").collect()]
        assert kept == [(1.0, 2.0), (None, None), (3.0, 4.0)]
        with pytest.raises(IllegalArgumentException, match="handleInvalid must be one of"):
            run("drop")


def test_ragged_arrays_go_through_map_blocks_in_blocks_of_their_own_and_map_rows(spark):
    df = spark.createDataFrame([([1.0, 2.0],), ([3.0],)], "y array<double>").coalesce(1)
    with tf.Graph().as_default():
        s = tf.reduce_sum(tfs.block(df, "y"), axis=1, name="s")
        assert _values(tfs.map_blocks(s, df).collect(), "s").tolist() == [3.0, 3.0]
    with tf.Graph().as_default():
        s = tf.reduce_sum(tfs.row(df, "y"), name="s")
        assert _values(tfs.map_rows(s, df).collect(), "s").tolist() == [3.0, 3.0]


def test_placeholder_without_a_column_is_named(spark):
    df = _numbers(spark)
    with tf.Graph().as_default():
        w = tf.compat.v1.placeholder(tf.float64, [None], name="w")
        z = tf.add(tfs.block(df, "x"), w, name="z")
        with pytest.raises(
            IllegalArgumentException, match=r"placeholder 'w' .* matches no column.* columns are x"
        ):
            tfs.map_blocks(z, df)


def test_dtype_mismatch_names_both_dtypes(spark):
    df = _numbers(spark)
    with tf.Graph().as_default():
        x = tf.compat.v1.placeholder(tf.int32, [None], name="x")
        z = tf.add(x, 1, name="z")
        with pytest.raises(
            IllegalArgumentException,
            match=r"column 'x' has type double \(float64 values\).*int32.*not cast to integers",
        ):
            tfs.map_blocks(z, df)
    with tf.Graph().as_default():  # doubles feed a float32 placeholder, converted
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        z = tf.add(x, 1.0, name="z")
        assert _values(tfs.map_blocks(z, df).collect(), "z")[:2].tolist() == [1.0, 2.0]


def test_existing_output_column_is_an_error(spark):
    df = _numbers(spark).selectExpr("x", "x as z")
    with tf.Graph().as_default():
        z = tf.add(tfs.block(df, "x"), 1.0, name="z")
        with pytest.raises(IllegalArgumentException, match="output column 'z' already exists"):
            tfs.map_blocks(z, df)
    with tf.Graph().as_default():
        z = tf.add(tfs.row(df, "x"), 1.0, name="z")
        with pytest.raises(IllegalArgumentException, match="output column 'z' already exists"):
            tfs.map_rows(z, df)
    # A TF2 function's outputs are its dict's keys: the advice names them.
    with pytest.raises(IllegalArgumentException, match="rename the output \\(its key in the"):
        tfs.map_blocks(lambda x: {"z": x + 1.0}, df)


def test_feed_dict_naming_a_non_placeholder_is_an_error(spark):
    df = _numbers(spark)
    with tf.Graph().as_default():
        x = tfs.block(df, "x")
        y = tf.multiply(x, 2.0, name="y")
        z = tf.add(y, 1.0, name="z")
        with pytest.raises(
            IllegalArgumentException, match="feed_dict names 'y', which is not a placeholder"
        ):
            tfs.map_blocks(z, df, {"y:0": "x"})


def test_python_side_errors_name_the_culprit(spark):
    df = _numbers(spark)
    with tf.Graph().as_default():
        a = tf.add(tfs.block(df, "x"), 1.0, name="a")
    with tf.Graph().as_default():
        b = tf.add(tfs.block(df, "x"), 2.0, name="b")
    with pytest.raises(ValueError, match="fetches come from different graphs: 'a:0'.*'b:0'"):
        tfs.map_blocks([a, b], df)
    with pytest.raises(TypeError, match="fetch 'z' is a str; expected a tf.Tensor"):
        tfs.map_blocks("z", df)
    with pytest.raises(TypeError, match="expected a tf.Tensor of a tf.Graph"):
        tfs.map_rows(tf.constant([1.0]), df)
    with pytest.raises(RuntimeError, match=r"block\(\) builds a TF1 placeholder"):
        tfs.block(df, "x")
    with pytest.raises(IllegalArgumentException, match="no column 'nope'"):
        with tf.Graph().as_default():
            tfs.block(df, "nope")
