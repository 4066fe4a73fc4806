"""sparkdl.ml: the Python stages generated from the Scala ones, against TF/Keras Python results."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
import sparkdl
import sparkdl._gen
import tensorflow as tf
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.linalg import VectorUDT
from pyspark.ml.wrapper import JavaEstimator, JavaModel, JavaTransformer
from pyspark.sql import DataFrame
from sparkdl import ml
from sparkdl._stage import SparkdlJavaParams
from sparkdl.ml import KerasTransformer, TFTransformer
from sparkdl.model import TFModel

GEN_DIR = Path(sparkdl._gen.__file__).parent


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def features() -> np.ndarray:
    """20 rows of 10 floats."""
    return np.random.default_rng(7).normal(size=(20, 10)).astype(np.float32)


@pytest.fixture(scope="module")
def features_df(spark, features):
    labels = (features.sum(axis=1) > 0).astype(float)
    rows = [
        (i, [float(v) for v in f], float(y))
        for i, (f, y) in enumerate(zip(features, labels, strict=True))
    ]
    return spark.createDataFrame(rows, "id long, features array<float>, label double")


@pytest.fixture(scope="module")
def keras_model() -> keras.Model:
    """Dense(10, relu) -> Dense(1, sigmoid), seeded."""
    keras.utils.set_random_seed(11)
    return keras.Sequential(
        [
            keras.Input((10,), name="x"),
            keras.layers.Dense(10, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def _column(df: DataFrame, col: str) -> np.ndarray:
    """``col`` ordered by ``id``, as a float64 array (vectors and arrays alike)."""
    rows = df.orderBy("id").select(col).collect()
    return np.array([np.asarray(r[0], dtype=np.float64) for r in rows])


# ---- the generated wrappers ---------------------------------------------------------------


def _scala_stages(spark) -> dict[str, str]:
    """The public concrete PipelineStages in io.sparkdl.ml of the sparkdl jar the JVM runs,
    found independently of the generator (by listing the jar and asking the JVM): Java class
    name -> "estimator", "model" or "transformer"."""
    jvm = spark._jvm
    jar = next(p for p in sparkdl.bundled_jars() if Path(p).name.startswith("sparkdl_"))
    with zipfile.ZipFile(jar) as z:
        names = [
            n[: -len(".class")].replace("/", ".")
            for n in z.namelist()
            if n.startswith("io/sparkdl/ml/") and n.endswith(".class") and "$" not in n
        ]
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    stage, estimator, model = (
        jvm.java.lang.Class.forName(f"org.apache.spark.ml.{name}")
        for name in ("PipelineStage", "Estimator", "Model")
    )
    modifier = jvm.java.lang.reflect.Modifier
    out = {}
    for name in names:
        cls = jvm.java.lang.Class.forName(name, False, loader)
        mods = cls.getModifiers()
        concrete = not modifier.isAbstract(mods) and not cls.isInterface()
        if stage.isAssignableFrom(cls) and modifier.isPublic(mods) and concrete:
            if estimator.isAssignableFrom(cls):
                out[name] = "estimator"
            elif model.isAssignableFrom(cls):
                out[name] = "model"
            else:
                out[name] = "transformer"
    return dict(sorted(out.items()))


def _fitted_model(spark, java_class: str) -> str:
    """The Java class an estimator's ``fit(Dataset)`` returns (the JVM picks the most specific
    return type over Scala's bridge method)."""
    jvm = spark._jvm
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    cls = jvm.java.lang.Class.forName(java_class, False, loader)
    dataset = jvm.java.lang.Class.forName("org.apache.spark.sql.Dataset")
    params = spark.sparkContext._gateway.new_array(jvm.java.lang.Class, 1)
    params[0] = dataset
    return cls.getMethod("fit", params).getReturnType().getName()


def _generated_bases() -> dict[str, type]:
    """Java class name -> generated base, over every module of sparkdl._gen."""
    out = {}
    for path in sorted(GEN_DIR.glob("*.py")):
        module = importlib.import_module(f"sparkdl._gen.{path.stem}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, SparkdlJavaParams):
                out[cls._java_class] = cls
    return out


def test_every_scala_stage_has_a_generated_base_and_a_public_python_class(spark):
    stages = _scala_stages(spark)
    assert "io.sparkdl.ml.TFTransformer" in stages and "io.sparkdl.ml.KerasTransformer" in stages
    bases = _generated_bases()
    missing = sorted(set(stages) - set(bases))
    assert not missing, f"no generated base for {missing}: run build/sbt pythonWrappers"
    pyspark_base = {"estimator": JavaEstimator, "model": JavaModel, "transformer": JavaTransformer}
    for java_class, kind in stages.items():
        package, name = java_class.rsplit(".", 1)
        public = getattr(ml, name, None)
        assert public is not None and name in ml.__all__, f"sparkdl.ml has no public {name}"
        assert issubclass(public, bases[java_class]) and public is not bases[java_class]
        assert issubclass(public, pyspark_base[kind]), f"{name} is a {kind}"
        if kind == "transformer":
            assert not issubclass(public, JavaModel), f"{name} is no model"
        # How PySpark's readers find it: by importing the Java class name.
        assert getattr(__import__(package, fromlist=[name]), name) is public


def test_every_estimator_fits_the_public_python_class_of_its_model(spark, monkeypatch):
    """What ``fit`` returns in Python wraps the JVM model in the public class of the Java class
    that the Scala estimator's ``fit`` returns (trivially true while there are no estimators)."""
    for java_class, kind in _scala_stages(spark).items():
        if kind != "estimator":
            continue
        model_name = _fitted_model(spark, java_class)
        model_class = getattr(ml, model_name.rsplit(".", 1)[1], None)
        assert model_class is not None, f"{java_class}.fit returns {model_name}: no Python class"
        java_model = object()  # stands for the JVM model, which the model class only keeps

        def keep(self, java_model):
            self.kept = java_model

        with monkeypatch.context() as m:
            m.setattr(model_class, "__init__", keep)
            model = getattr(ml, java_class.rsplit(".", 1)[1])()._create_model(java_model)
        assert type(model) is model_class and model.kept is java_model


def test_generated_code_is_ruff_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-respect-gitignore", str(GEN_DIR)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("cls", [TFTransformer, KerasTransformer])
def test_params_docs_and_defaults_mirror_scala(spark, cls):
    stage = cls()
    java = stage._java_obj
    java_params = {p.name(): p for p in java.params()}
    assert sorted(p.name for p in stage.params) == sorted(java_params)
    for p in stage.params:
        jp = java_params[p.name]
        assert p.doc == jp.doc()
        assert stage.hasDefault(p) == java.hasDefault(jp)
        if stage.hasDefault(p):
            assert stage.getOrDefault(p) == java.getDefault(jp).get()
    assert stage.explainParams() == java.explainParams()
    assert stage.getBatchSize() == 1024
    assert stage.getHandleInvalid() == "error"
    assert stage.getOutputMode() == "array"
    assert stage.uid == java.uid()


def test_keyword_only_constructor_and_setters():
    with pytest.raises(TypeError, match="keyword arguments"):
        TFTransformer(TFModel.from_graph_def(b"x"))
    t = TFTransformer(inputMapping={"a": "x"}, batchSize=7).setOutputMapping({"y": "out"})
    assert t.getInputMapping() == {"a": "x"} and t.getOutputMapping() == {"y": "out"}
    assert t.getBatchSize() == 7
    assert t.setParams(handleInvalid="skip").getHandleInvalid() == "skip"


def test_bad_param_values_name_the_stage_and_param():
    t = TFTransformer()
    with pytest.raises(TypeError, match=r"TFTransformer \w+: .*inputMapping.*str -> str"):
        t.setInputMapping({"a": 1})
    with pytest.raises(TypeError, match=r"TFTransformer \w+: param model: expected a TFModel.*int"):
        t.setModel(3)
    with pytest.raises(ValueError, match="param model: a Graph .* outputMapping, which is not set"):
        TFTransformer(model=tf.Graph())
    k = KerasTransformer()
    with pytest.raises(TypeError, match=r"KerasTransformer \w+: .*model.*expected a sparkdl.model"):
        k.setModel(3)
    with pytest.raises(ValueError, match="not a Keras file; expected a .keras or .h5"):
        k.setModel("/tmp/model.pb")


# ---- results against TF/Keras -------------------------------------------------------------


def test_keras_transformer_on_a_model_object(features_df, features, keras_model):
    t = KerasTransformer(model=keras_model, inputCol="features", outputCol="prediction")
    got = _column(t.transform(features_df), "prediction")
    expected = keras_model.predict(features, verbose=0)
    assert got.shape == (20, 1)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_output_mode_vector_flattens_any_rank_as_numpy_reshape(features_df, features):
    """``outputMode="vector"`` means one thing in every stage: the output flattened row-major."""
    keras.utils.set_random_seed(5)
    x = keras.Input((10,), name="x")
    model = keras.Model(x, keras.layers.Reshape((2, 3))(keras.layers.Dense(6)(x)))  # rank-2 cells
    expected = model.predict(features, verbose=0).reshape(len(features), -1)
    stages = [
        TFTransformer(model=model, inputMapping={"features": "x"},
                      outputMapping={"output_0": "y"}, outputMode="vector"),
        KerasTransformer(model=model, inputCol="features", outputCol="y", outputMode="vector"),
    ]
    for stage in stages:
        out = stage.transform(features_df)
        assert out.schema["y"].dataType == VectorUDT(), type(stage).__name__
        np.testing.assert_allclose(_column(out, "y"), expected, atol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_transformer_on_a_keras_file(features_df, features, keras_model, tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    keras_model.save(path)
    t = KerasTransformer(inputCol="features", outputCol="prediction").setModel(str(path))
    got = _column(t.transform(features_df), "prediction")
    np.testing.assert_allclose(got, keras_model.predict(features, verbose=0), atol=1e-5)


def test_keras_file_with_custom_objects(features_df, features, tmp_path):
    @keras.saving.register_keras_serializable(package="sparkdl_test", name="Doubling")
    class Doubling(keras.layers.Layer):
        def call(self, x):
            return x * 2.0 + 1.0

    model = keras.Sequential([keras.Input((10,), name="x"), Doubling()])
    path = tmp_path / "custom.keras"
    model.save(path)
    keras.saving.get_custom_objects().clear()  # now only custom_objects can resolve it
    with pytest.raises(TypeError, match="Doubling"):
        TFModel.from_keras(str(path))
    t = KerasTransformer(
        model=str(path),
        custom_objects={"sparkdl_test>Doubling": Doubling},
        inputCol="features",
        outputCol="y",
    )
    np.testing.assert_allclose(_column(t.transform(features_df), "y"), features * 2 + 1, atol=1e-5)


def test_tf_transformer_on_a_tf_function_with_two_inputs(spark):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 30, 5)).astype(np.float32)
    df = spark.createDataFrame(
        [
            (i, [float(v) for v in x], [float(v) for v in y])
            for i, (x, y) in enumerate(zip(a, b, strict=True))
        ],
        "id long, a array<float>, b array<float>",
    )

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, 5], tf.float32, name="x1"),
            tf.TensorSpec([None, 5], tf.float32, name="x2"),
        ]
    )
    def fn(x1, x2):
        return tf.reduce_max(x1 - x2, axis=1)

    t = TFTransformer(
        model=fn, inputMapping={"a": "x1", "b": "x2"}, outputMapping={"output_0": "m"}
    )
    got = _column(t.transform(df), "m")
    np.testing.assert_allclose(got, fn(a, b).numpy(), atol=1e-5)
    # A concrete function works the same way.
    t2 = t.copy().setModel(fn.get_concrete_function())
    np.testing.assert_allclose(_column(t2.transform(df), "m"), fn(a, b).numpy(), atol=1e-5)


def test_tf_transformer_on_a_tf1_graph_and_session(features_df, features):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 10], name="x")
        w = tf.compat.v1.get_variable("w", initializer=np.ones((10, 2), np.float32) / 10)
        tf.nn.tanh(tf.matmul(x, w), name="y")
        assign = w.assign(w * 3.0)
    mapping = {"inputMapping": {"features": "x"}, "outputMapping": {"y": "out"}}
    # A graph: variables at their initial values.
    got = _column(TFTransformer(model=graph, **mapping).transform(features_df), "out")
    np.testing.assert_allclose(got, np.tanh(features @ (np.ones((10, 2)) / 10)), atol=1e-5)
    # A session: variables at their values in the session.
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(tf.compat.v1.variables_initializer([w]))
        sess.run(assign)
        expected = sess.run("y:0", {"x:0": features})
        t = TFTransformer(**mapping).setModel(sess)
    np.testing.assert_allclose(_column(t.transform(features_df), "out"), expected, atol=1e-5)


# ---- persistence --------------------------------------------------------------------------


def test_save_load_round_trip(features_df, features, keras_model, tmp_path):
    t = TFTransformer(
        model=keras_model,
        inputMapping={"features": "x"},
        outputMapping={"output_0": "p"},
        batchSize=5,
        outputMode="vector",
    )
    path = str(tmp_path / "tft")
    t.save(path)
    with pytest.raises(Exception, match="already exists"):
        t.save(path)
    t.write().overwrite().save(path)
    loaded = TFTransformer.load(path)
    assert type(loaded) is TFTransformer and loaded.uid == t.uid
    assert loaded.getInputMapping() == {"features": "x"}
    assert loaded.getOutputMapping() == {"output_0": "p"}
    assert loaded.getBatchSize() == 5 and loaded.getOutputMode() == "vector"
    assert isinstance(loaded.getModel(), TFModel)
    assert not loaded.isSet(loaded.handleInvalid) and loaded.getHandleInvalid() == "error"
    got = _column(loaded.transform(features_df), "p")
    np.testing.assert_allclose(got, keras_model.predict(features, verbose=0), atol=1e-5)

    k = KerasTransformer(model=keras_model, inputCol="features", outputCol="q")
    k.save(str(tmp_path / "kt"))
    k2 = KerasTransformer.load(str(tmp_path / "kt"))
    assert type(k2) is KerasTransformer
    assert (k2.getInputCol(), k2.getOutputCol()) == ("features", "q")
    got = _column(k2.transform(features_df), "q")
    np.testing.assert_allclose(got, keras_model.predict(features, verbose=0), atol=1e-5)


def _lr_pipeline_stages() -> list:
    return [
        VectorAssembler(inputCols=["p"], outputCol="lr_features"),
        LogisticRegression(featuresCol="lr_features", labelCol="label", maxIter=20),
    ]


def test_pipeline_saved_in_python_loads_in_scala(spark, features_df, keras_model, tmp_path):
    tft = TFTransformer(
        model=keras_model,
        inputMapping={"features": "x"},
        outputMapping={"output_0": "p"},
        outputMode="vector",
    )
    fitted = Pipeline(stages=[tft, *_lr_pipeline_stages()]).fit(features_df)
    path = str(tmp_path / "py_pipeline")
    fitted.save(path)

    java_model = spark._jvm.org.apache.spark.ml.PipelineModel.load(path)
    assert java_model.stages()[0].getClass().getName() == "io.sparkdl.ml.TFTransformer"
    scala_out = DataFrame(java_model.transform(features_df._jdf), spark)
    python_out = fitted.transform(features_df)
    for col in ("p", "probability", "prediction"):
        np.testing.assert_allclose(_column(scala_out, col), _column(python_out, col), atol=1e-9)
    # and Python reads it back as sparkdl's class, too
    reloaded = PipelineModel.load(path)
    assert type(reloaded.stages[0]) is TFTransformer
    np.testing.assert_allclose(
        _column(reloaded.transform(features_df), "probability"),
        _column(python_out, "probability"),
        atol=1e-9,
    )


def test_pipeline_saved_in_scala_loads_in_python(spark, features_df, keras_model, tmp_path):
    jvm, gateway = spark._jvm, spark.sparkContext._gateway
    keras_stage = (
        jvm.io.sparkdl.ml.KerasTransformer()
        .setModel(TFModel.from_keras(keras_model)._to_java(spark))
        .setInputCol("features")
        .setOutputCol("p")
        .setOutputMode("vector")
        .setBatchSize(7)
    )
    input_cols = gateway.new_array(jvm.java.lang.String, 1)
    input_cols[0] = "p"
    assembler = jvm.org.apache.spark.ml.feature.VectorAssembler()
    assembler.setInputCols(input_cols).setOutputCol("lr_features")
    lr = jvm.org.apache.spark.ml.classification.LogisticRegression()
    lr.setFeaturesCol("lr_features").setLabelCol("label").setMaxIter(20)
    stages = gateway.new_array(jvm.org.apache.spark.ml.PipelineStage, 3)
    for i, s in enumerate([keras_stage, assembler, lr]):
        stages[i] = s
    java_fitted = jvm.org.apache.spark.ml.Pipeline().setStages(stages).fit(features_df._jdf)
    path = str(tmp_path / "scala_pipeline")
    java_fitted.write().save(path)

    loaded = PipelineModel.load(path)
    kt = loaded.stages[0]
    assert type(kt) is KerasTransformer
    assert (kt.getInputCol(), kt.getOutputCol(), kt.getBatchSize()) == ("features", "p", 7)
    assert kt.getOutputMode() == "vector" and isinstance(kt.getModel(), TFModel)
    python_out = loaded.transform(features_df)
    scala_out = DataFrame(java_fitted.transform(features_df._jdf), spark)
    for col in ("p", "probability", "prediction"):
        np.testing.assert_allclose(_column(python_out, col), _column(scala_out, col), atol=1e-9)
    # A KerasTransformer of the Python API feeds the same values.
    np.testing.assert_allclose(
        _column(python_out, "p"),
        keras_model.predict(np.array(_column(features_df, "features"), np.float32), verbose=0),
        atol=1e-5,
    )


def test_from_function_freezes_variables_and_names_signature_keys(spark):
    scale = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
    def fn(x):
        return {"twice": x * scale, "total": tf.reduce_sum(x)}

    model = TFModel.from_function(fn)
    assert model.input_names(spark) == ["x"]
    assert model.output_names(spark) == ["total", "twice"]
    scale.assign(5.0)  # frozen at conversion: later assignments do not reach the model
    df = spark.createDataFrame([(1.0,), (3.0,)], "x float")
    t = TFTransformer(model=model, inputMapping={"x": "x"}, outputMapping={"twice": "y"})
    assert [r.y for r in t.transform(df).collect()] == [2.0, 6.0]


def test_from_function_refuses_resources_it_cannot_freeze():
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(["a"]), tf.constant([1], tf.int64)), -1
    )

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="k")])
    def fn(k):
        return table.lookup(k)

    with pytest.raises(ValueError, match=r"a resource other than a variable .*from_saved_model"):
        TFModel.from_function(fn)
