"""sparkdl._gen.contract, generated from the Scala sources, agrees with the running JVM, and the
Python code that reads it decides as the JVM does (the model store's root, the catalog)."""

from __future__ import annotations

import pytest
from sparkdl import models
from sparkdl._gen import contract

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
