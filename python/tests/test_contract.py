"""sparkdl._gen.contract, generated from the Scala sources, agrees with the running JVM, and the
Python code that reads it decides as the JVM does (the model store's root, the catalog)."""

from __future__ import annotations

import inspect

import pytest
from sparkdl import _param_types, models
from sparkdl._gen import contract
from sparkdl._gen import ml as gen_ml

STORE_CONF = "spark.sparkdl.modelStore"


def _scala(spark, name):
    return getattr(spark._jvm, name)


def test_constants_are_the_jvms(spark):
    frames = _scala(spark, "io.sparkdl.tensorframes.TensorFrames")
    assert contract.DEFAULT_BLOCK_SIZE == frames.DefaultBlockSize()
    assert contract.SHAPE_METADATA_KEY == _scala(spark, "io.sparkdl.model.ShapeMetadata").Key()
    store = _scala(spark, "io.sparkdl.ml.NamedImageModels")
    assert contract.MODEL_STORE_CONF == store.StoreConf() == STORE_CONF
    assert contract.MODEL_STORE_ENV == store.StoreEnv()
    assert contract.MODEL_STORE_DEFAULT_ROOT == store.DefaultStoreRoot()
    assert list(contract.MODEL_NAMES) == list(store.Names().toList().mkString("|").split("|"))


def test_the_python_catalog_has_the_jvms_model_names():
    assert sorted(models.NAMES) == sorted(contract.MODEL_NAMES)
    for name in contract.MODEL_NAMES:
        assert models.input_size(name)[0] > 0


@pytest.mark.parametrize("path", ["~", "~/m", "~/", "~x/m", "/abs/m", "rel/~/m", "hdfs:///m"])
def test_the_store_root_is_the_jvms(spark, path):
    jvm_store = _scala(spark, "io.sparkdl.ml.NamedImageModels")
    previous = spark.conf.get(STORE_CONF, None)
    spark.conf.set(STORE_CONF, path)
    try:
        expected = jvm_store.root(spark._jvm.scala.Some(spark._jsparkSession))
        assert models.store_root(spark) == expected
    finally:
        if previous is None:
            spark.conf.unset(STORE_CONF)
        else:
            spark.conf.set(STORE_CONF, previous)


def test_the_environments_store_root_expands_home_as_the_jvm(monkeypatch, tmp_path):
    """SPARKDL_MODEL_STORE='~/m': `prepare` wrote ./~/m while the stages read $HOME/m."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SPARKDL_MODEL_STORE", "~/m")

    class NoConf:
        class conf:  # noqa: N801 - SparkSession's attribute
            @staticmethod
            def get(key, default=None):
                return default

    assert models.store_root(NoConf()) == str(tmp_path / "m")


def test_the_opencv_modes_are_the_jvms(spark):
    from sparkdl.image import ocvTypes

    image_format = _scala(spark, "io.sparkdl.image.ImageFormat")
    assert len(contract.OCV_TYPES) == image_format.modeNames().size()
    for name, mode, channels, dtype in contract.OCV_TYPES:
        assert image_format.modeName(mode) == name
        assert image_format.channelsOf(mode) == channels
        assert image_format.isFloatMode(mode) == (dtype == "float32")
        assert ocvTypes[name] == mode


def test_output_modes_defaults_and_connect_names_are_the_jvms(spark):
    mode = _scala(spark, "io.sparkdl.ml.param.OutputMode")
    assert contract.OUTPUT_MODE_ARRAY == mode.Array()
    assert contract.OUTPUT_MODE_VECTOR == mode.Vector()
    udfs = _scala(spark, "io.sparkdl.sql.ModelUDF")
    assert contract.MODEL_UDF_BATCH_SIZE == udfs.DefaultBatchSize()
    wire = _scala(spark, "io.sparkdl.model.ModelWireFormat")
    assert contract.MODEL_WIRE_PREFIX == wire.Prefix()
    saved_model = _scala(spark, "io.sparkdl.tf.SavedModel")
    assert contract.SAVED_MODEL_SIGNATURE == saved_model.DefaultSignature()
    assert contract.SAVED_MODEL_TAG == saved_model.ServeTag()
    command = _scala(spark, "io.sparkdl.connect.ModelUDFCommandNames")
    assert contract.CONNECT_COMMAND_PLUGIN == command.PluginClass()
    assert contract.REGISTER_MODEL_UDF_TYPE_URL == command.TypeUrl()


def test_the_training_contract_is_the_jvms(spark):
    t = _scala(spark, "io.sparkdl.runtime.TrainingSignatures")
    jvm = {
        "SIGNATURE_SERVE": t.Serve(), "SIGNATURE_TRAIN_STEP": t.TrainStep(),
        "SIGNATURE_EVALUATE": t.Evaluate(),
        "SIGNATURE_TRAIN_STEP_ALLREDUCE": t.TrainStepAllReduce(),
        "SIGNATURE_ALLREDUCE_SUM": t.AllReduceSum(), "KEY_FEATURES": t.Features(),
        "KEY_LABEL": t.Label(), "KEY_LEARNING_RATE": t.LearningRate(),
        "KEY_GROUP_SIZE": t.GroupSize(), "KEY_GROUP_KEY": t.GroupKey(),
        "KEY_INSTANCE_KEY": t.InstanceKey(), "KEY_VALUES": t.Values(), "KEY_SUM": t.Sum(),
        "KEY_SERVE_OUTPUT": t.ServeOutput(), "KEY_LOSS": t.Loss(),
        "VALIDATION_PREFIX": t.ValidationPrefix(),
    }  # fmt: skip
    assert {k: getattr(contract, k) for k in jvm} == jvm
    assert list(contract.GROUP_INPUTS) == list(t.GroupInputs().mkString("|").split("|"))


def test_the_catalogs_input_sizes_are_the_jvms(spark):
    store = _scala(spark, "io.sparkdl.ml.NamedImageModels")
    for name in contract.MODEL_NAMES:
        size = store.InputSizes().apply(name)
        assert contract.MODEL_INPUT_SIZES[name] == size
        assert models.input_size(name) == (size, size)


def test_python_implements_each_param_kind_of_the_contract():
    assert set(_param_types.KINDS) == set(contract.PARAM_KINDS)
    assert {kind for kind, _ in contract.PARAM_TYPES.values()} == set(contract.PARAM_KINDS)


def _generated_stages():
    return [
        cls
        for _, cls in inspect.getmembers(gen_ml, inspect.isclass)
        if cls.__module__ == gen_ml.__name__ and hasattr(cls, "_java_class")
    ]


@pytest.mark.parametrize("base", _generated_stages(), ids=lambda c: c.__name__)
def test_each_params_kind_is_that_of_its_jvm_param_class(spark, base):
    """The kind a generated base gives each param is the one the contract's table gives the
    class of the Scala stage's param, and the stage's public class sends it by that kind (a
    KerasEstimator's ``model``, a Python param of its own, too)."""
    from pyspark.ml.wrapper import JavaModel
    from sparkdl import ml
    from sparkdl._jvm import sparkdl_class

    java = sparkdl_class(spark.sparkContext, base._java_class)()
    public = getattr(ml, base.__name__[1:])
    stage = public(java) if issubclass(base, JavaModel) else public()
    names = {p.name() for p in java.params()}
    assert set(base._param_kinds) == names
    for name in names:
        java_class = java.getParam(name).getClass()
        while java_class.getName() not in contract.PARAM_TYPES:  # e.g. IntChoiceParam
            java_class = java_class.getSuperclass()
        kind, _ = contract.PARAM_TYPES[java_class.getName()]
        assert base._param_kinds[name] == kind, f"{base._java_class}.{name}"
        assert _param_types.kind_of(stage, stage.getParam(name)) is _param_types.KINDS[kind]
    if public is ml.TFEstimator:
        keras = ml.KerasEstimator()
        assert _param_types.kind_of(keras, keras.model) is _param_types.KINDS["model"]
