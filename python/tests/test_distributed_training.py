"""Data-parallel training (numWorkers > 1) on local[2]: two barrier tasks, each on a TF server,
all-reducing every step, equal Keras' fit on the same global batches."""

from __future__ import annotations

import time

import keras
import keras_fixtures
import numpy as np
import pytest
import trainable_fixtures
from pyspark.sql import types as T
from sparkdl.ml import KerasEstimator, TFEstimator
from sparkdl.model import TFModel

_SCHEMA = T.StructType([
    T.StructField("features", T.ArrayType(T.FloatType(), False)),
    T.StructField("label", T.ArrayType(T.FloatType(), False)),
])


def _mlp() -> keras.Model:
    return keras_fixtures.mlp()


@pytest.fixture(scope="module")
def blobs(spark):
    x, y = keras_fixtures.blobs(7, 90)
    rows = [(a.tolist(), b.tolist()) for a, b in zip(x, y, strict=True)]
    return x, y, spark.createDataFrame(rows, _SCHEMA).repartition(3)


def _global_batch_order() -> list[int]:
    # 90 rows in global batches of 16 for 2 workers: 5 full steps of 8 + 8 rows, then the last
    # 10 rows as 5 + 5. Worker 0 takes rows 0-44, worker 1 rows 45-89 (in the data's order).
    full = [i for s in range(5) for i in [*range(8 * s, 8 * s + 8), *range(45 + 8 * s, 53 + 8 * s)]]
    return [*full, *range(40, 45), *range(85, 90)]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_workers_equal_keras_fit_on_the_same_global_batches(blobs, optimizer):
    x, y, df = blobs
    rows = df.collect()  # the data's order, which the workers' shares follow
    x = np.array([r.features for r in rows], np.float32)
    y = np.array([r.label for r in rows], np.float32)
    order = _global_batch_order()
    assert sorted(order) == list(range(90))
    keras_model = _mlp()
    config = {"class_name": optimizer, "config": {"learning_rate": 0.05}}
    keras_model.compile(
        optimizer=keras.optimizers.get(config),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = keras_model.fit(
        x[order], y[order], batch_size=16, epochs=3, shuffle=False, verbose=0
    ).history
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", optimizer=optimizer,
                         metrics=["accuracy"], inputCol="features", labelCol="label", epochs=3,
                         batchSize=16, learningRate=0.05, shuffle=False, numWorkers=2, verbose=0)
    assert est.getNumWorkers() == 2
    model = est.fit(df)
    got = np.array([r.prediction for r in model.transform(df).collect()], np.float32)
    np.testing.assert_allclose(got, keras_model.predict(x, verbose=0), atol=1e-5)
    np.testing.assert_allclose([h["loss"] for h in model.history], history["loss"], atol=1e-5)
    np.testing.assert_allclose(
        [h["accuracy"] for h in model.history], history["accuracy"], atol=1e-5
    )


def test_more_workers_than_task_slots_fails_at_once_naming_num_workers(blobs):
    _, _, df = blobs
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", inputCol="features",
                         labelCol="label", numWorkers=3, verbose=0)
    with pytest.raises(Exception, match="numWorkers 3 needs 3 task slots at once"):
        est.fit(df)


def test_a_failing_worker_fails_the_fit_naming_the_worker(spark):
    # Row 30 is in worker 1's share (rows 16-31) and has a label of 4 values for a 3-unit model.
    rng = np.random.default_rng(2)
    rows = [(rng.normal(size=8).tolist(), [1.0, 0.0, 0.0, *([0.0] if i == 30 else [])])
            for i in range(32)]
    df = spark.createDataFrame(rows, _SCHEMA).coalesce(1)
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", inputCol="features",
                         labelCol="label", batchSize=16, numWorkers=2, verbose=0)
    with pytest.raises(Exception, match="worker 1 of 2 failed") as failed:
        est.fit(df)
    assert "labelCol column 'label'" in str(failed.value)


_TWO_INPUT_SCHEMA = T.StructType([
    T.StructField("a", T.ArrayType(T.FloatType(), False)),
    T.StructField("b", T.ArrayType(T.FloatType(), False)),
    T.StructField("label", T.ArrayType(T.FloatType(), False)),
])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_two_workers_train_a_two_input_model_as_keras_fit_on_the_same_global_batches(
    spark, tmp_path, optimizer
):
    # TFEstimator over a hand-made trainable model of inputs 'a' and 'b', fed from two columns.
    a, b, y = trainable_fixtures.two_input_blobs(5, 90)
    rows = [(*(v.tolist() for v in r),) for r in zip(a, b, y, strict=True)]
    df = spark.createDataFrame(rows, _TWO_INPUT_SCHEMA).repartition(3)
    ordered = df.collect()  # the data's order, which the workers' shares follow
    a, b, y = (np.array([r[c] for r in ordered], np.float32) for c in ("a", "b", "label"))
    order = _global_batch_order()
    keras_model = trainable_fixtures.two_input_mlp()
    config = {"class_name": optimizer, "config": {"learning_rate": 0.05}}
    keras_model.compile(optimizer=keras.optimizers.get(config), loss="categorical_crossentropy",
                        metrics=["accuracy"])
    history = keras_model.fit([a[order], b[order]], y[order], batch_size=16, epochs=3,
                              shuffle=False, verbose=0).history
    trainable_fixtures.export_two_input_trainable(
        trainable_fixtures.two_input_mlp(), optimizer, str(tmp_path / "m"))
    est = TFEstimator(model=TFModel.from_saved_model(str(tmp_path / "m")),
                      inputMapping={"a": "a", "b": "b"}, labelCol="label", outputCol="out",
                      epochs=3, batchSize=16, learningRate=0.05, shuffle=False, numWorkers=2,
                      verbose=0)
    model = est.fit(df)
    got = np.array([r.out for r in model.transform(df).collect()], np.float32)
    np.testing.assert_allclose(got, keras_model.predict([a, b], verbose=0), atol=1e-5)
    np.testing.assert_allclose([h["loss"] for h in model.history], history["loss"], atol=1e-5)
    np.testing.assert_allclose(
        [h["accuracy"] for h in model.history], history["accuracy"], atol=1e-5
    )


def test_a_worker_whose_tf_step_fails_fails_the_fit_with_the_step_error_naming_the_worker(
    spark, tmp_path
):
    # Row 30 is in worker 1's share (rows 16-31): its 'a' fails the model's own assert in the
    # TF step on worker 1 only, while worker 0 waits in the step's all-reduce. The collective
    # would wait 240 s; worker 0's step is cancelled when Spark kills its task instead.
    a, b, y = trainable_fixtures.two_input_blobs(6, 32)
    a[30, 2] = 1000.0
    rows = [(*(v.tolist() for v in r),) for r in zip(a, b, y, strict=True)]
    df = spark.createDataFrame(rows, _TWO_INPUT_SCHEMA).coalesce(1)
    trainable_fixtures.export_two_input_trainable(
        trainable_fixtures.two_input_mlp(), "sgd", str(tmp_path / "m"), a_below=100.0,
        collective_timeout=240.0)
    est = TFEstimator(model=TFModel.from_saved_model(str(tmp_path / "m")),
                      inputMapping={"a": "a", "b": "b"}, labelCol="label", batchSize=16,
                      numWorkers=2, verbose=0)
    started = time.monotonic()
    with pytest.raises(Exception, match="worker 1 of 2 failed") as failed:
        est.fit(df)
    assert "a value of input a is at least 100.0" in str(failed.value)
    assert "DEADLINE_EXCEEDED" not in str(failed.value)
    assert time.monotonic() - started < 120  # far below the collective's 240 s: no wait
    # The peers' slots are free again: the same fit without the bad row trains.
    a[30, 2] = 0.0
    rows = [(*(v.tolist() for v in r),) for r in zip(a, b, y, strict=True)]
    assert len(est.fit(spark.createDataFrame(rows, _TWO_INPUT_SCHEMA).coalesce(1)).history) == 1


def test_epoch_figures_are_summed_over_the_workers_in_float64(spark):
    # A model that predicts 0 everywhere (zero weights that training rows of zeros keep zero):
    # worker 0 validates 16 rows of loss 2^24, worker 1 16 rows of loss 1, so the workers' sums
    # are 2^28 and 16, whose float32 sum rounds to 2^28. Summed in float64 the validation loss
    # is exactly (2^28 + 16) / 32, as one worker reports it.
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((2,), name="x"),
                              keras.layers.Dense(1, kernel_initializer="zeros")])
    labels = [0.0] * 32 + [4096.0] * 16 + [1.0] * 16
    schema = T.StructType([T.StructField("features", T.ArrayType(T.FloatType(), False)),
                           T.StructField("label", T.FloatType(), False)])
    df = spark.createDataFrame([([0.0, 0.0], v) for v in labels], schema).coalesce(1)
    est = KerasEstimator(model=model, loss="mse", optimizer="sgd", inputCol="features",
                         labelCol="label", epochs=1, batchSize=16, validationFraction=0.5,
                         shuffle=False, verbose=0)
    for workers in (1, 2):
        history = est.copy({est.numWorkers: workers}).fit(df).history
        assert history[0]["val_loss"] == (2**28 + 16) / 32, workers
        assert history[0]["loss"] == 0.0, workers
