"""sparkdl 1.x's TFInputGraph and its constructors, run by TFTransformer as sparkdl 1.x ran them;
results against TensorFlow Python on the same graph, session values and inputs."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
import tensorflow as tf
from sparkdl import TFInputGraph, TFTransformer
from sparkdl.graph.input import TFInputGraph as TFInputGraphByOriginalPath

v1 = tf.compat.v1
SERVING_TAG = "serving_tag"
SIGNATURE = "prediction_signature"
INPUT, OUTPUT = "input_tensor", "output_tensor"
INPUT_KEY, OUTPUT_KEY = "well_known_input_sig", "well_known_output_sig"
# Values the session gives the variables, unlike their initializers: freezing must keep these.
W_VALUE, B_VALUE = [2.0, -1.0, 0.5], 0.25

FEATURES = np.random.default_rng(7).normal(size=(12, 3)) * 10


def _build_graph(session):
    """output = max(input * w, axis 1) + b, the variables assigned in ``session``."""
    x = v1.placeholder(tf.float64, shape=[None, 3], name=INPUT)
    w = tf.Variable(tf.ones([3], dtype=tf.float64), name="w")
    b = tf.Variable(0.0, dtype=tf.float64, name="b")
    y = tf.add(tf.reduce_max(x * w, axis=1), b, name=OUTPUT)
    session.run(v1.global_variables_initializer())
    session.run([w.assign(W_VALUE), b.assign(B_VALUE)])
    expected = session.run(y, {x: FEATURES})
    return x, y, expected


def _signature(x, y):
    return v1.saved_model.signature_def_utils.build_signature_def(
        inputs={INPUT_KEY: v1.saved_model.utils.build_tensor_info(x)},
        outputs={OUTPUT_KEY: v1.saved_model.utils.build_tensor_info(y)},
    )


def _in_session(build):
    """Runs ``build(session, x, y)`` with the graph built in a fresh session; returns its result
    and TF Python's output on FEATURES."""
    graph = tf.Graph()
    with v1.Session(graph=graph) as session, graph.as_default():
        x, y, expected = _build_graph(session)
        return build(session, x, y), expected


def _save_checkpoint(directory):
    def save(session, x, y):
        v1.train.Saver().save(session, os.path.join(directory, "model_ckpt"), global_step=2702)
        # As sparkdl 1.x's tests did: put a signature into the checkpoint's meta graph.
        meta_graph_def = v1.train.export_meta_graph()
        meta_graph_def.signature_def[SIGNATURE].CopyFrom(_signature(x, y))
        (meta_path,) = glob.glob(os.path.join(directory, "*.meta"))
        with open(meta_path, "wb") as f:
            f.write(meta_graph_def.SerializeToString())

    return _in_session(save)[1]


def _save_saved_model(directory):
    def save(session, x, y):
        builder = v1.saved_model.Builder(directory)
        builder.add_meta_graph_and_variables(
            session, [SERVING_TAG], signature_def_map={SIGNATURE: _signature(x, y)}
        )
        builder.save()

    return _in_session(save)[1]


def _transformed(spark, gin, input_mapping, output_mapping):
    df = spark.createDataFrame([(i, row.tolist()) for i, row in enumerate(FEATURES)], ["i", "f"])
    transformer = TFTransformer(
        tfInputGraph=gin, inputMapping=input_mapping, outputMapping=output_mapping
    )
    assert transformer.getTFInputGraph() is gin
    rows = transformer.transform(df).orderBy("i").collect()
    return np.array([r.out for r in rows])


def _check(spark, gin, expected, input_mapping=None, output_mapping=None):
    actual = _transformed(
        spark,
        gin,
        input_mapping or {"f": f"{INPUT}:0"},
        output_mapping or {f"{OUTPUT}:0": "out"},
    )
    np.testing.assert_allclose(actual, expected, rtol=1e-12)


# ---- the constructors ---------------------------------------------------------------------


def test_from_graph_keeps_the_session_values(spark):
    gin, expected = _in_session(
        lambda session, x, y: TFInputGraph.fromGraph(session.graph, session, [INPUT], [OUTPUT])
    )
    assert gin.input_tensor_name_from_signature is None
    _check(spark, gin, expected)


def test_from_graph_def(spark):
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float64, shape=[None, 3], name=INPUT)
        y = tf.reduce_sum(tf.square(x) - x, axis=1, name=OUTPUT)
    with v1.Session(graph=graph) as session:
        expected = session.run(y, {x: FEATURES})
    gin = TFInputGraph.fromGraphDef(graph.as_graph_def(), [f"{INPUT}:0"], [f"{OUTPUT}:0"])
    _check(spark, gin, expected)


def test_from_checkpoint(spark, tmp_path):
    expected = _save_checkpoint(str(tmp_path))
    gin = TFInputGraph.fromCheckpoint(str(tmp_path), [INPUT], [OUTPUT])
    _check(spark, gin, expected)


def test_from_checkpoint_with_signature(spark, tmp_path):
    expected = _save_checkpoint(str(tmp_path))
    gin = TFInputGraph.fromCheckpointWithSignature(str(tmp_path), SIGNATURE)
    assert gin.input_tensor_name_from_signature == {INPUT_KEY: f"{INPUT}:0"}
    assert gin.output_tensor_name_from_signature == {OUTPUT_KEY: f"{OUTPUT}:0"}
    # Signature keys, directly or translated as sparkdl 1.x needed.
    _check(spark, gin, expected, {"f": INPUT_KEY}, {OUTPUT_KEY: "out"})
    _check(
        spark,
        gin,
        expected,
        gin.translateInputMapping({"f": INPUT_KEY}),
        gin.translateOutputMapping({OUTPUT_KEY: "out"}),
    )


def test_from_saved_model(spark, tmp_path):
    directory = str(tmp_path / "saved_model")
    expected = _save_saved_model(directory)
    gin = TFInputGraph.fromSavedModel(directory, SERVING_TAG, [INPUT], [OUTPUT])
    _check(spark, gin, expected)


def test_from_saved_model_with_signature(spark, tmp_path):
    directory = str(tmp_path / "saved_model")
    expected = _save_saved_model(directory)
    gin = TFInputGraphByOriginalPath.fromSavedModelWithSignature(directory, SERVING_TAG, SIGNATURE)
    assert gin.model.input_names(spark) == [INPUT_KEY]
    assert gin.model.output_names(spark) == [OUTPUT_KEY]
    _check(spark, gin, expected, {"f": INPUT_KEY}, {OUTPUT_KEY: "out"})
    assert gin.translateInputMapping({"f": INPUT_KEY}) == {"f": f"{INPUT}:0"}
    assert gin.translateOutputMapping({OUTPUT_KEY: "out"}) == {f"{OUTPUT}:0": "out"}


# ---- errors -------------------------------------------------------------------------------


def test_errors_name_what_is_missing(tmp_path):
    directory = str(tmp_path / "saved_model")
    _save_saved_model(directory)
    with pytest.raises(ValueError, match="has no signature 'nope'; its signatures: " + SIGNATURE):
        TFInputGraph.fromSavedModelWithSignature(directory, SERVING_TAG, "nope")
    with pytest.raises(ValueError, match="fetch_names: 'missing' is not a tensor of the graph"):
        TFInputGraph.fromSavedModel(directory, SERVING_TAG, [INPUT], ["missing"])
    with pytest.raises(FileNotFoundError, match="no checkpoint in"):
        TFInputGraph.fromCheckpoint(str(tmp_path), [INPUT], [OUTPUT])
    with pytest.raises(TypeError, match="expected a tf.compat.v1.GraphDef"):
        TFInputGraph.fromGraphDef(b"bytes", [INPUT], [OUTPUT])
    gin = TFInputGraph.fromSavedModel(directory, SERVING_TAG, [INPUT], [OUTPUT])
    with pytest.raises(ValueError, match="not built from a signature"):
        gin.translateInputMapping({"f": INPUT_KEY})
    signed = TFInputGraph.fromSavedModelWithSignature(directory, SERVING_TAG, SIGNATURE)
    with pytest.raises(KeyError, match=f"'x' is not an input key of the signature.*{INPUT_KEY}"):
        signed.translateInputMapping({"f": "x"})


# ---- the original names -------------------------------------------------------------------


def test_the_original_names_import_from_sparkdl():
    import sparkdl
    from sparkdl import (  # noqa: F401
        DeepImageFeaturizer,
        DeepImagePredictor,
        KerasImageFileTransformer,
        KerasTransformer,
        TFImageTransformer,
        TFInputGraph,
        TFTransformer,
        readImages,
        registerKerasImageUDF,
    )

    # KerasImageFileEstimator is exported from sparkdl.keras_image, where the training work
    # adds it.
    assert sparkdl._LAZY["KerasImageFileEstimator"] == "sparkdl.keras_image"
    assert "KerasImageFileEstimator" in sparkdl.__all__


def test_the_original_module_paths_import():
    import sparkdl
    import sparkdl.transformers.named_image
    from sparkdl.estimators.keras_image_file_estimator import KerasImageFileEstimator
    from sparkdl.transformers.keras_image import KerasImageFileTransformer
    from sparkdl.transformers.keras_tensor import KerasTransformer
    from sparkdl.transformers.named_image import DeepImageFeaturizer, DeepImagePredictor
    from sparkdl.transformers.tf_image import TFImageTransformer
    from sparkdl.transformers.tf_tensor import TFTransformer
    from sparkdl.udf.keras_image_model import registerKerasImageUDF

    for name, found in [
        ("DeepImageFeaturizer", DeepImageFeaturizer),
        ("DeepImagePredictor", DeepImagePredictor),
        ("TFImageTransformer", TFImageTransformer),
        ("TFTransformer", TFTransformer),
        ("KerasTransformer", KerasTransformer),
        ("KerasImageFileTransformer", KerasImageFileTransformer),
        ("KerasImageFileEstimator", KerasImageFileEstimator),
        ("registerKerasImageUDF", registerKerasImageUDF),
    ]:
        assert found is getattr(sparkdl, name), name
    # The dotted path resolves as an attribute chain too, and unknown names still fail.
    assert sparkdl.transformers.named_image.DeepImageFeaturizer is DeepImageFeaturizer
    with pytest.raises(AttributeError):
        sparkdl.transformers.named_image.NoSuchStage  # noqa: B018
    with pytest.raises(ModuleNotFoundError):
        import sparkdl.transformers.no_such_module  # noqa: F401
