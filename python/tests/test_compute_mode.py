"""Compute modes (issue: performance): graph optimizations and bfloat16, from params and confs.

Every mode's results are checked against Keras/TF Python on the same inputs: the float32 modes
within 1e-5, bfloat16 against TF Python's own bfloat16 mixed precision and within bfloat16's
precision of float32. Where the CPU lacks bfloat16, the refusal is what is tested.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from pyspark.ml import PipelineModel
from pyspark.sql.utils import IllegalArgumentException
from sparkdl import tensorframes as tfs
from sparkdl.ml import KerasTransformer, TFTransformer
from sparkdl.model import TFModel
from sparkdl.udf import registerModelUDF
from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2


def _cpu_has_bfloat16() -> bool:
    flags = next(
        (
            line
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
        ),
        "",
    )
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


BF16 = _cpu_has_bfloat16()
ROWS = 96


@pytest.fixture(scope="module")
def mlp():
    tf.keras.utils.set_random_seed(11)
    return tf.keras.Sequential(
        [
            tf.keras.Input((64,), name="x"),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dense(64, activation="relu"),
            tf.keras.layers.Dense(8),
        ]
    )


@pytest.fixture(scope="module")
def cnn():
    tf.keras.utils.set_random_seed(12)
    return tf.keras.Sequential(
        [
            tf.keras.Input((12, 12, 3), name="x"),
            tf.keras.layers.Conv2D(16, 3, activation="relu"),
            tf.keras.layers.MaxPooling2D(2),
            tf.keras.layers.Conv2D(16, 3, activation="relu"),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(4),
        ]
    )


@contextmanager
def _conf(spark, key, value):
    """The session conf `key` set to `value` inside the block, unset after."""
    spark.conf.set(key, value)
    try:
        yield
    finally:
        spark.conf.unset(key)


def _inputs(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, (ROWS, *shape)).astype(np.float32)


def _frame(spark, x):
    return spark.createDataFrame(
        [(i, row.tolist()) for i, row in enumerate(x)], ["id", "x"]
    ).repartition(2)


def _run(stage, spark, x):
    rows = stage.transform(_frame(spark, x)).orderBy("id").select("p").collect()
    return np.array([r.p for r in rows], dtype=np.float32)


def _amp_bfloat16(model, x):
    """TF Python's own bfloat16 mixed precision for oneDNN on the same graph."""
    fn = tf.function(lambda t: model(t)).get_concrete_function(
        tf.TensorSpec((None, *x.shape[1:]), tf.float32)
    )
    graph_def = convert_variables_to_constants_v2(fn).graph.as_graph_def()
    config = config_pb2.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    config.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = (
        rewriter_config_pb2.RewriterConfig.ON
    )
    with tf.Graph().as_default() as g:
        tf.import_graph_def(graph_def, name="")
        placeholder = [op for op in g.get_operations() if op.type == "Placeholder"][0]
        output = g.get_operations()[-1].outputs[0]
        with tf.compat.v1.Session(graph=g, config=config) as s:
            return s.run(output, {placeholder.outputs[0]: x})


@pytest.mark.parametrize("optimization", ["default", "xla", "none"])
@pytest.mark.parametrize("which", ["mlp", "cnn"])
def test_float32_modes_equal_keras(spark, request, which, optimization):
    model = request.getfixturevalue(which)
    x = _inputs(model.input_shape[1:], seed=len(which))
    stage = KerasTransformer(
        model=model, inputCol="x", outputCol="p", graphOptimization=optimization
    )
    got = _run(stage, spark, x)
    np.testing.assert_allclose(got, model(x).numpy(), atol=1e-5, rtol=0)


@pytest.mark.skipif(not BF16, reason="the CPU has no AVX-512 BF16 or AMX (the refusal is tested)")
@pytest.mark.parametrize("which", ["mlp", "cnn"])
def test_bfloat16_is_tfs_mixed_precision(spark, request, which):
    model = request.getfixturevalue(which)
    x = _inputs(model.input_shape[1:], seed=3)
    want32 = model(x).numpy()
    got = _run(
        KerasTransformer(model=model, inputCol="x", outputCol="p", precision="bfloat16"), spark, x
    )
    scale = np.abs(want32).max()
    # bfloat16 was applied (results moved off float32) and stays within its 8-bit mantissa ...
    assert np.abs(got - want32).max() > 1e-5 * scale
    assert np.abs(got - want32).max() < 3e-2 * scale
    # ... and it is TF's own mixed precision: the same rewrite TF Python makes, the same kernels.
    np.testing.assert_allclose(got, _amp_bfloat16(model, x), atol=2e-3 * scale, rtol=0)


@pytest.mark.skipif(BF16, reason="the CPU has bfloat16 (its results are tested)")
def test_bfloat16_is_refused_where_the_cpu_lacks_it(spark, mlp):
    stage = KerasTransformer(model=mlp, inputCol="x", outputCol="p", precision="bfloat16")
    with pytest.raises(IllegalArgumentException, match=r"param 'precision'.*AVX-512 BF16 or AMX"):
        stage.transform(_frame(spark, _inputs((64,), seed=1)))


def test_confs_choose_the_mode_for_map_blocks_and_sql_functions(spark, mlp, tmp_path):
    x = _inputs((64,), seed=5)
    want = mlp(x).numpy()
    df = _frame(spark, x)
    mlp.export(str(tmp_path / "mlp"), verbose=False)
    model = TFModel.from_saved_model(str(tmp_path / "mlp"), signature="serve")
    udf = registerModelUDF(spark, "compute_mode_mlp", model)
    try:
        spark.conf.set("spark.sparkdl.graphOptimization", "xla")
        rows = df.select("id", udf("x").alias("p")).orderBy("id").collect()
        np.testing.assert_allclose(np.array([r.p for r in rows]), want, atol=1e-5, rtol=0)
        with tf.Graph().as_default():
            block = tfs.block(df, "x")
            doubled = tf.identity(block * 2.0, name="y")
            rows = tfs.map_blocks(doubled, df).orderBy("id").collect()
        np.testing.assert_allclose(np.array([r.y for r in rows]), x * 2.0, atol=0, rtol=0)
        if BF16:
            spark.conf.set("spark.sparkdl.precision", "bfloat16")
            rows = df.select("id", udf("x").alias("p")).orderBy("id").collect()
            got = np.array([r.p for r in rows], dtype=np.float32)
            assert 1e-5 < np.abs(got - want).max() < 3e-2 * np.abs(want).max()
        # Back to float32: the executor's cache keeps one session per mode, never mixing them.
        spark.conf.unset("spark.sparkdl.precision")
        rows = df.select("id", udf("x").alias("p")).orderBy("id").collect()
        np.testing.assert_allclose(np.array([r.p for r in rows]), want, atol=1e-5, rtol=0)
    finally:
        spark.conf.unset("spark.sparkdl.graphOptimization")
        spark.conf.unset("spark.sparkdl.precision")


def test_bad_settings_name_the_conf_or_the_param(spark, mlp):
    df = _frame(spark, _inputs((64,), seed=1))
    with _conf(spark, "spark.sparkdl.precision", "float16"):
        with pytest.raises(
            IllegalArgumentException,
            match=r"spark.sparkdl.precision: unknown precision 'float16'; expected one of "
            r"'float32', 'bfloat16'",
        ):
            KerasTransformer(model=mlp, inputCol="x", outputCol="p").transform(df)
    with _conf(spark, "spark.sparkdl.graphOptimization", "fast"):
        with pytest.raises(
            IllegalArgumentException,
            match=r"spark.sparkdl.graphOptimization: unknown graph "
            r"optimization 'fast'; expected one of 'default'",
        ):
            with tf.Graph().as_default():
                tfs.map_blocks(tf.identity(tfs.block(df, "x"), name="y"), df)
    # As PySpark's own params: checked by the JVM's validator when the stage runs.
    with pytest.raises(
        IllegalArgumentException, match=r"parameter precision given invalid value float16"
    ):
        KerasTransformer(model=mlp, inputCol="x", outputCol="p", precision="float16").transform(df)
    if BF16:
        with pytest.raises(
            IllegalArgumentException,
            match=r"param 'precision'.*graph optimization 'none' turns off",
        ):
            KerasTransformer(
                model=mlp,
                inputCol="x",
                outputCol="p",
                precision="bfloat16",
                graphOptimization="none",
            ).transform(df)


def test_the_params_persist_and_a_stage_param_beats_the_conf(spark, mlp, tmp_path):
    x = _inputs((64,), seed=9)
    stage = KerasTransformer(
        model=mlp, inputCol="x", outputCol="p", graphOptimization="none", precision="float32"
    )
    path = str(tmp_path / "stage")
    stage.write().save(path)
    loaded = KerasTransformer.load(path)
    assert loaded.getGraphOptimization() == "none" and loaded.getPrecision() == "float32"
    with _conf(spark, "spark.sparkdl.precision", "no-such-precision"):  # ignored: the param is set
        np.testing.assert_allclose(_run(loaded, spark, x), mlp(x).numpy(), atol=1e-5, rtol=0)
    assert isinstance(PipelineModel(stages=[loaded]).stages[0], KerasTransformer)


def test_session_options_are_the_config_proto_tf_reads(spark):
    jvm = spark.sparkContext._jvm
    tf_pkg = jvm.io.sparkdl.tf
    precisions = ["float32"] + (["bfloat16"] if BF16 else [])
    for name in ["default", "xla", "none"]:
        for precision in precisions:
            if name == "none" and precision == "bfloat16":
                continue
            config = tf_pkg.SessionConfig(
                1,
                -1,
                tf_pkg.GraphOptimization.parse(name, "test"),
                tf_pkg.Precision.parse(precision, "test"),
                jvm.scala.Option.empty(),  # no TF server: a local session
            )
            proto = config_pb2.ConfigProto.FromString(bytes(config.toConfigProto()))
            assert (
                proto.intra_op_parallelism_threads == 1 and proto.inter_op_parallelism_threads == -1
            )
            assert proto.allow_soft_placement
            jit = proto.graph_options.optimizer_options.global_jit_level
            assert jit == (
                config_pb2.OptimizerOptions.ON_1
                if name == "xla"
                else config_pb2.OptimizerOptions.DEFAULT
            )
            rewrites = proto.graph_options.rewrite_options
            assert rewrites.disable_meta_optimizer == (name == "none")
            assert rewrites.auto_mixed_precision_onednn_bfloat16 == (
                rewriter_config_pb2.RewriterConfig.ON
                if precision == "bfloat16"
                else rewriter_config_pb2.RewriterConfig.DEFAULT
            )


def test_tftransformer_takes_the_params_too(spark, mlp):
    x = _inputs((64,), seed=4)
    fn = tf.function(lambda t: mlp(t)).get_concrete_function(tf.TensorSpec((None, 64), tf.float32))
    frozen = convert_variables_to_constants_v2(fn)
    graph_def = frozen.graph.as_graph_def()
    stage = TFTransformer(
        model=TFModel.from_graph_def(graph_def),
        inputMapping={"x": frozen.inputs[0].name},
        outputMapping={frozen.outputs[0].name: "p"},
        graphOptimization="xla",
    )
    np.testing.assert_allclose(_run(stage, spark, x), mlp(x).numpy(), atol=1e-5, rtol=0)


def test_a_fitted_model_keeps_the_estimators_settings(spark, mlp):
    from sparkdl.ml import KerasEstimator

    x = _inputs((64,), seed=6)
    df = spark.createDataFrame([(r.tolist(), r[:8].tolist()) for r in x], ["x", "label"])
    est = KerasEstimator(
        model=mlp,
        loss="mse",
        optimizer="sgd",
        inputCol="x",
        labelCol="label",
        outputCol="p",
        epochs=1,
        batchSize=32,
        graphOptimization="none",
    )
    fitted = est.fit(df)
    assert fitted.getGraphOptimization() == "none"
    assert not fitted.isSet(fitted.precision)
    assert fitted.transform(df).count() == ROWS
