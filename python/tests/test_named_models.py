"""DeepImageFeaturizer and DeepImagePredictor over a model store of the tests' own.

No weights are downloaded: the store holds a small seeded Keras model under a real model's name
("ResNet50"), with the store's contract (signature ``serving_default``, input ``image`` of RGB
values 0..255, outputs ``features`` and ``predictions``) and a model.json whose input size (32)
is not the real model's, so the stages must take the size from model.json.
"""

from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException, IllegalArgumentException
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.linalg import DenseVector
from pyspark.sql import DataFrame
from pyspark.sql import types as T
from sparkdl import DeepImageFeaturizer, DeepImagePredictor
from sparkdl._gen.ml import _DeepImageFeaturizer, _DeepImagePredictor
from sparkdl.image import columnSchema, imageArrayToStruct

NAME = "ResNet50"
SIZE = 32
FEATURES = 8
CLASSES = 1000
JOB_ERRORS = (Py4JJavaError, CapturedException)


def _model() -> keras.Model:
    keras.utils.set_random_seed(11)
    image = keras.Input((SIZE, SIZE, 3), name="image")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(image)  # preprocessing inside the graph
    x = keras.layers.Conv2D(FEATURES, 3, activation="relu")(x)
    features = keras.layers.GlobalAveragePooling2D()(x)
    predictions = keras.layers.Dense(CLASSES, activation="softmax")(features)
    return keras.Model(image, [features, predictions])


def _export(model: keras.Model, entry) -> None:
    """The store's layout: ``saved_model/`` with the contract's signature, and ``model.json``."""
    archive = keras.export.ExportArchive()
    archive.track(model)

    def serve(image):
        features, predictions = model(image)
        return {"features": features, "predictions": predictions}

    spec = tf.TensorSpec([None, SIZE, SIZE, 3], tf.float32, name="image")
    archive.add_endpoint("serving_default", serve, input_signature=[spec])
    archive.write_out(str(entry / "saved_model"), verbose=False)
    meta = {
        "name": NAME,
        "inputHeight": SIZE,
        "inputWidth": SIZE,
        "featureDim": FEATURES,
        "numClasses": CLASSES,
        "weights": "seeded random (test)",
    }
    (entry / "model.json").write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def model() -> keras.Model:
    return _model()


@pytest.fixture(scope="module")
def classes() -> list[list[str]]:
    return [[f"n{i:08d}", f"class {i}"] for i in range(CLASSES)]


@pytest.fixture(scope="module")
def store(spark, model, classes, tmp_path_factory):
    """The store root, set as the session's ``spark.sparkdl.modelStore``; a class list of the
    tests' own as ``spark.sparkdl.imagenetClasses`` (whatever the jar ships)."""
    root = tmp_path_factory.mktemp("store")
    (root / NAME).mkdir()
    _export(model, root / NAME)
    classes_file = root / "classes.json"
    classes_file.write_text(json.dumps(classes))
    spark.conf.set("spark.sparkdl.modelStore", str(root))
    spark.conf.set("spark.sparkdl.imagenetClasses", str(classes_file))
    yield root
    spark.conf.unset("spark.sparkdl.modelStore")
    spark.conf.unset("spark.sparkdl.imagenetClasses")


def _rgb_images(seed: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = [(SIZE, SIZE), (40, 50), (20, 24), (64, 48)]
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes]


def _frame(spark, rgb: list[np.ndarray | None], labels: list[float] | None = None) -> DataFrame:
    labels = labels or [0.0] * len(rgb)
    rows = [
        (i, None if a is None else imageArrayToStruct(a[..., ::-1].copy(), f"img{i}"), y)
        for i, (a, y) in enumerate(zip(rgb, labels, strict=True))
    ]
    schema = T.StructType([
        T.StructField("i", T.LongType()),
        T.StructField("image", columnSchema),
        T.StructField("label", T.DoubleType()),
    ])
    return spark.createDataFrame(rows, schema)


def _resized(rgb: np.ndarray, method=Image.Resampling.BOX) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb, "RGB").resize((SIZE, SIZE), method), dtype=np.float32)


def _keras(model: keras.Model, rgb: list[np.ndarray], method=Image.Resampling.BOX):
    features, predictions = model.predict(np.stack([_resized(a, method) for a in rgb]), verbose=0)
    return features, predictions


@pytest.mark.parametrize(
    ("hint", "method"),
    [("SCALE_AREA_AVERAGING", Image.Resampling.BOX), ("SCALE_FAST", Image.Resampling.NEAREST)],
)
def test_features_and_probabilities_equal_keras(spark, store, model, hint, method):
    rgb = _rgb_images()
    df = _frame(spark, rgb)
    features, predictions = _keras(model, rgb, method)
    featurizer = DeepImageFeaturizer(
        inputCol="image", outputCol="f", modelName=NAME, scaleHint=hint, batchSize=3
    )
    out = featurizer.transform(df).orderBy("i").collect()
    assert isinstance(out[0].f, DenseVector) and len(out[0].f) == FEATURES
    np.testing.assert_allclose(np.stack([r.f.toArray() for r in out]), features, atol=1e-5)
    predictor = DeepImagePredictor(inputCol="image", outputCol="p", modelName=NAME, scaleHint=hint)
    out = predictor.transform(df).orderBy("i").collect()
    np.testing.assert_allclose(np.stack([r.p.toArray() for r in out]), predictions, atol=1e-5)


def test_decoded_predictions_are_the_top_k_named(spark, store, model, classes):
    rgb = _rgb_images(seed=4)
    _, predictions = _keras(model, rgb)
    stage = DeepImagePredictor(
        inputCol="image", outputCol="top", modelName=NAME, decodePredictions=True, topK=10
    )
    df = stage.transform(_frame(spark, rgb))
    top_type = df.schema["top"].dataType
    assert isinstance(top_type, T.ArrayType)
    assert [f.name for f in top_type.elementType.fields] == ["class", "description", "probability"]
    assert isinstance(top_type.elementType["probability"].dataType, T.FloatType)
    stage._transfer_params_to_java()  # what transformSchema declares is what transform gives
    declared = stage._java_obj.transformSchema(df.drop("top")._jdf.schema()).apply("top")
    assert declared.dataType().json() == json.dumps(top_type.jsonValue(), separators=(",", ":"))
    for row, probs in zip(df.orderBy("i").collect(), predictions, strict=True):
        assert len(row.top) == 10
        got = [p.probability for p in row.top]
        assert got == sorted(got, reverse=True)
        best = np.argsort(-probs, kind="stable")[:10]
        assert [p["class"] for p in row.top] == [classes[k][0] for k in best]
        assert [p.description for p in row.top] == [classes[k][1] for k in best]
        np.testing.assert_allclose(got, probs[best], atol=1e-6)


def test_unknown_model_name_lists_the_known_ones(spark, store):
    df = _frame(spark, _rgb_images()[:1])
    stage = DeepImageFeaturizer(inputCol="image", outputCol="f", modelName="ResNet51")
    known = "InceptionV3, Xception, ResNet50, VGG16, VGG19, MobileNetV2, EfficientNetB0"
    with pytest.raises(IllegalArgumentException, match=f"'ResNet51'.*{known}"):
        stage.transform(df)


def test_a_model_missing_from_the_store_names_the_prepare_command_and_runs_no_job(spark, store):
    df = _frame(spark, _rgb_images()[:1])
    sc = spark.sparkContext
    sc.setJobGroup("sparkdl-missing-model", "a model missing from the store")
    try:
        for stage, jvm_stage in (
            (DeepImageFeaturizer(inputCol="image", outputCol="f", modelName="VGG16"),
             _DeepImageFeaturizer),
            (DeepImagePredictor(inputCol="image", outputCol="p", modelName="VGG16"),
             _DeepImagePredictor),
        ):  # fmt: skip
            # The JVM stage's own error (Scala users meet it): Python's stage would first
            # prepare the model (test_newcomer tests that).
            with pytest.raises(IllegalArgumentException) as e:
                jvm_stage._transform(stage, df)
            message = str(e.value)
            assert "python -m sparkdl.models prepare VGG16" in message
            assert str(store / "VGG16") in message
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    assert list(sc.statusTracker().getJobIdsForGroup("sparkdl-missing-model")) == []


def test_a_model_json_that_disagrees_with_its_saved_model_names_both_sizes(spark, store, tmp_path):
    """A store entry whose model.json gives another input size than its SavedModel takes: one
    error on the driver naming the file and both sizes, not every image blamed in a job."""
    bad = tmp_path / "bad_store"
    shutil.copytree(store / NAME, bad / NAME)
    meta = json.loads((bad / NAME / "model.json").read_text())
    (bad / NAME / "model.json").write_text(json.dumps({**meta, "inputHeight": 48}))
    df = _frame(spark, _rgb_images()[:2])
    spark.conf.set("spark.sparkdl.modelStore", str(bad))
    try:
        for stage in (
            DeepImageFeaturizer(inputCol="image", outputCol="f", modelName=NAME),
            DeepImagePredictor(inputCol="image", outputCol="p", modelName=NAME),
        ):
            with pytest.raises(IllegalArgumentException) as e:
                stage.transform(df).collect()
            message = str(e.value)
            for part in (str(bad / NAME / "model.json"), "disagrees with its SavedModel",
                         "inputHeight 48", f"{SIZE}x{SIZE}", f"prepare {NAME} --overwrite"):
                assert part in message, message
            assert "skip" not in message
    finally:
        spark.conf.set("spark.sparkdl.modelStore", str(store))


def test_schema_errors_name_the_columns(spark, store):
    df = _frame(spark, _rgb_images()[:1])
    stage = DeepImageFeaturizer(inputCol="nope", outputCol="f", modelName=NAME)
    with pytest.raises(IllegalArgumentException, match=r"DeepImageFeaturizer.*'nope'.*lacks"):
        stage.transform(df)
    with pytest.raises(IllegalArgumentException, match=r"column 'i' has type bigint.*image struct"):
        stage.setInputCol("i").transform(df)
    with pytest.raises(IllegalArgumentException, match="'label', which already exists"):
        stage.setInputCol("image").setOutputCol("label").transform(df)


def test_null_images_error_skip_or_keep(spark, store):
    rgb = _rgb_images()[:2]
    df = _frame(spark, [rgb[0], None, rgb[1]])
    for stage in (
        DeepImageFeaturizer(inputCol="image", outputCol="out", modelName=NAME),
        DeepImagePredictor(
            inputCol="image", outputCol="out", modelName=NAME, decodePredictions=True
        ),
    ):
        # Named as the user's stage, not as the TFImageTransformer that runs inside it.
        name = f"{type(stage).__name__} {stage.uid}: inputCol column 'image' has a null cell"
        with pytest.raises(JOB_ERRORS, match=name):
            stage.transform(df).collect()
        assert stage.setHandleInvalid("skip").transform(df).count() == 2
        kept = stage.setHandleInvalid("keep").transform(df).orderBy("i").collect()
        assert [r.out is None for r in kept] == [False, True, False]


def test_save_load(spark, store, tmp_path):
    df = _frame(spark, _rgb_images())
    featurizer = DeepImageFeaturizer(
        inputCol="image", outputCol="f", modelName=NAME, scaleHint="SCALE_SMOOTH", batchSize=2
    )
    predictor = DeepImagePredictor(
        inputCol="image", outputCol="p", modelName=NAME, decodePredictions=True, topK=3
    )
    for stage, col in ((featurizer, "f"), (predictor, "p")):
        path = str(tmp_path / col)
        stage.save(path)
        with pytest.raises(JOB_ERRORS + (OSError,), match="already exists"):
            stage.save(path)
        loaded = type(stage).load(path)
        assert type(loaded) is type(stage) and loaded.uid == stage.uid
        assert {p.name: v for p, v in loaded.extractParamMap().items()} == {
            p.name: v for p, v in stage.extractParamMap().items()
        }
        before = stage.transform(df).orderBy("i").select(col).collect()
        assert loaded.transform(df).orderBy("i").select(col).collect() == before


def test_pipeline_saved_in_python_loads_in_scala(spark, store, tmp_path):
    rng = np.random.default_rng(9)
    bright = [rng.integers(170, 256, (24 + i, 30, 3), dtype=np.uint8) for i in range(8)]
    dark = [rng.integers(0, 86, (30, 24 + i, 3), dtype=np.uint8) for i in range(8)]
    df = _frame(spark, bright + dark, [1.0] * 8 + [0.0] * 8)
    pipeline = Pipeline(stages=[
        DeepImageFeaturizer(inputCol="image", outputCol="features", modelName=NAME),
        LogisticRegression(maxIter=20, regParam=0.05, elasticNetParam=0.3),
    ])
    fitted = pipeline.fit(df)
    python_out = fitted.transform(df).orderBy("i").select("prediction", "probability").collect()
    assert [r.prediction for r in python_out] == [1.0] * 8 + [0.0] * 8
    path = str(tmp_path / "pipeline")
    fitted.save(path)

    java_model = spark._jvm.org.apache.spark.ml.PipelineModel.load(path)
    assert java_model.stages()[0].getClass().getName() == "io.sparkdl.ml.DeepImageFeaturizer"
    scala_out = DataFrame(java_model.transform(df._jdf), spark).orderBy("i")
    scala_rows = scala_out.select("prediction", "probability").collect()
    assert [r.prediction for r in scala_rows] == [r.prediction for r in python_out]
    np.testing.assert_allclose(
        [r.probability.toArray() for r in scala_rows],
        [r.probability.toArray() for r in python_out],
        atol=1e-9,
    )
    reloaded = PipelineModel.load(path)
    assert type(reloaded.stages[0]) is DeepImageFeaturizer
