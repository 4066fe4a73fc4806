"""Training in Spark tasks through sparkdl's engine, against Keras fit on the same batches."""

from __future__ import annotations

import math

import keras
import keras_fixtures
import numpy as np
import pytest
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import types as T
from sparkdl.ml import KerasEstimator, TFEstimator, TFEstimatorModel
from sparkdl.model import TFModel


def _mlp(hidden: int = 16) -> keras.Model:
    return keras_fixtures.mlp(hidden)


@pytest.fixture(scope="module")
def blobs(spark):
    x, y = keras_fixtures.blobs(5, 96)
    schema = T.StructType([
        T.StructField("features", T.ArrayType(T.FloatType(), False)),
        T.StructField("label", T.ArrayType(T.FloatType(), False)),
    ])
    rows = [(a.tolist(), b.tolist()) for a, b in zip(x, y, strict=True)]
    return x, y, spark.createDataFrame(rows, schema).coalesce(1)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_keras_estimator_equals_keras_fit(blobs, optimizer):
    x, y, df = blobs
    fitted = _mlp()
    fitted.compile(
        optimizer=keras.optimizers.get(
            {"class_name": optimizer, "config": {"learning_rate": 0.05}}
        ),
        loss="categorical_crossentropy",
    )
    fitted.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", optimizer=optimizer,
                         metrics=["accuracy"], inputCol="features", labelCol="label",
                         epochs=3, batchSize=16, learningRate=0.05, shuffle=False)
    model = est.fit(df)
    assert isinstance(model, TFEstimatorModel)
    got = np.array([r.prediction for r in model.transform(df).collect()], dtype=np.float32)
    np.testing.assert_allclose(got, fitted.predict(x, verbose=0), atol=1e-5)
    assert len(model.history) == 3 and set(model.history[0]) == {"loss", "accuracy"}
    assert len(model.epoch_seconds) == 3 and all(t > 0 for t in model.epoch_seconds)


def test_a_learnable_task_reaches_high_accuracy_and_saves(blobs, tmp_path):
    _, _, df = blobs
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", metrics=["accuracy"],
                         inputCol="features", epochs=20, batchSize=16, learningRate=0.01,
                         validationFraction=0.25, seed=3)
    model = est.fit(df)
    assert model.history[-1]["accuracy"] > 0.9 and "val_loss" in model.history[-1]
    model.write().save(str(tmp_path / "m"))
    loaded = TFEstimatorModel.load(str(tmp_path / "m"))
    assert loaded.history == model.history
    a = [r.prediction for r in model.transform(df).collect()]
    assert a == [r.prediction for r in loaded.transform(df).collect()]


def test_fit_multiple_and_cross_validation_pick_a_sparkdl_model(spark, blobs):
    _, _, df = blobs
    trainable = TFModel.from_keras_trainable(_mlp(), "categorical_crossentropy", "adam")
    est = TFEstimator(model=trainable, inputMapping={"features": "x"}, epochs=2, batchSize=16)
    maps = ParamGridBuilder().addGrid(est.learningRate, [0.001, 0.05]).build()
    sc = spark.sparkContext
    sc.setJobGroup("sparkdl-fit-multiple", "fitMultiple")
    try:
        fitted = dict(est.fitMultiple(df, maps))
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    assert sorted(fitted) == [0, 1]
    assert all(isinstance(m, TFEstimatorModel) for m in fitted.values())
    assert fitted[0].history[-1]["loss"] != fitted[1].history[-1]["loss"]
    # One cache of the data (one partition here), then one training job of one task per map.
    tracker = sc.statusTracker()
    jobs = [tracker.getJobInfo(j) for j in tracker.getJobIdsForGroup("sparkdl-fit-multiple")]
    tasks = sorted(tracker.getStageInfo(s).numTasks for j in jobs for s in j.stageIds)
    assert len(jobs) == 3 and tasks == [1, 1, 1], tasks

    from pyspark.ml.evaluation import Evaluator

    class NegativeLoss(Evaluator):
        """Higher is better: minus the mean cross-entropy of the predictions."""

        def _evaluate(self, dataset):
            rows = dataset.select("prediction", "label").collect()
            p = np.array([r.prediction for r in rows])
            t = np.array([r.label for r in rows])
            return float(np.mean(np.sum(t * np.log(p + 1e-7), axis=1)))

    cv = CrossValidator(estimator=est, estimatorParamMaps=maps, evaluator=NegativeLoss(),
                        numFolds=2, parallelism=2, seed=1)
    best = cv.fit(df).bestModel
    assert isinstance(best, TFEstimatorModel)


def _keras_fit(hidden, optimizer, loss, x, y):
    model = _mlp(hidden)
    config = {"class_name": optimizer, "config": {"learning_rate": 0.05}}
    model.compile(optimizer=keras.optimizers.get(config), loss=loss)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model.predict(x, verbose=0)


def test_param_maps_vary_the_keras_model_optimizer_and_loss(blobs):
    x, y, df = blobs
    wide, narrow = _mlp(16), _mlp(4)
    est = KerasEstimator(model=wide, loss="categorical_crossentropy", optimizer="sgd",
                         inputCol="features", epochs=2, batchSize=16, learningRate=0.05,
                         shuffle=False, verbose=0)
    maps = [
        {est.model: wide, est.optimizer: "sgd"},
        {est.model: narrow, est.optimizer: "adam"},
        {est.loss: "mean_squared_error"},
    ]
    expected = [
        _keras_fit(16, "sgd", "categorical_crossentropy", x, y),
        _keras_fit(4, "adam", "categorical_crossentropy", x, y),
        _keras_fit(16, "sgd", "mean_squared_error", x, y),
    ]
    fitted = dict(est.fitMultiple(df, maps))
    assert sorted(fitted) == [0, 1, 2]
    for i, want in enumerate(expected):
        got = np.array([r.prediction for r in fitted[i].transform(df).collect()], np.float32)
        np.testing.assert_allclose(got, want, atol=1e-5, err_msg=f"param map {i}")


def test_tuning_over_keras_models_in_parallel(blobs):
    from pyspark.ml.evaluation import Evaluator
    from pyspark.ml.tuning import TrainValidationSplit

    class NegativeLoss(Evaluator):
        def _evaluate(self, dataset):
            rows = dataset.select("prediction", "label").collect()
            p = np.array([r.prediction for r in rows])
            t = np.array([r.label for r in rows])
            return float(np.mean(np.sum(t * np.log(p + 1e-7), axis=1)))

    _, _, df = blobs
    est = KerasEstimator(model=_mlp(16), loss="categorical_crossentropy", inputCol="features",
                         epochs=3, batchSize=16, learningRate=0.05, verbose=0)
    grid = (ParamGridBuilder().addGrid(est.model, [_mlp(16), _mlp(4)])
            .addGrid(est.optimizer, ["sgd", "adam"]).build())
    cv = CrossValidator(estimator=est, estimatorParamMaps=grid, evaluator=NegativeLoss(),
                        numFolds=2, parallelism=2, seed=1).fit(df)
    assert isinstance(cv.bestModel, TFEstimatorModel) and len(cv.avgMetrics) == 4
    assert len(set(cv.avgMetrics)) == 4, cv.avgMetrics
    tvs = TrainValidationSplit(estimator=est, estimatorParamMaps=grid, evaluator=NegativeLoss(),
                               trainRatio=0.75, parallelism=2, seed=1).fit(df)
    assert isinstance(tvs.bestModel, TFEstimatorModel) and len(tvs.validationMetrics) == 4


@pytest.mark.parametrize("verbose", [None, 0, 1, 2])
def test_verbose_prints_a_line_per_fit_and_2_a_line_per_epoch(blobs, capsys, verbose):
    # By default (1) a grid search prints one line per fit, not one per epoch per fit.
    _, _, df = blobs
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", metrics=["accuracy"],
                         inputCol="features", epochs=2, batchSize=16, validationFraction=0.25)
    if verbose is not None:
        est.setVerbose(verbose)
    maps = [{est.learningRate: 0.01}, {est.learningRate: 0.02}]
    capsys.readouterr()
    list(est.fitMultiple(df, maps))
    lines = capsys.readouterr().out.splitlines()
    if verbose == 0:
        assert lines == []
        return
    epochs = [line for line in lines if " epoch " in line]
    done = [line for line in lines if " done: " in line]
    assert len(lines) == len(epochs) + len(done), lines
    for i in (0, 1):
        fit = f"paramMaps[{i}] {{learningRate=0.0{i + 1}}}"
        mine = [line for line in epochs if fit in line]
        assert [m.split(" epoch ")[1].split(":")[0] for m in mine] == (
            ["1/2", "2/2"] if verbose == 2 else []), lines
        assert all("loss=" in m and "val_accuracy=" in m and "rows/s" in m for m in mine)
        [ended] = [line for line in done if fit in line]
        assert " done: 2 epoch(s): loss=" in ended and "val_accuracy=" in ended, ended
    assert len(lines) == (6 if verbose == 2 else 2), lines


def test_a_nan_loss_names_the_param_map_epoch_and_step(spark, blobs):
    x, y, _ = blobs
    y = y.copy()
    y[40, 1] = np.nan
    schema = T.StructType([
        T.StructField("features", T.ArrayType(T.FloatType(), False)),
        T.StructField("label", T.ArrayType(T.FloatType(), False)),
    ])
    df = spark.createDataFrame([(a.tolist(), b.tolist()) for a, b in zip(x, y, strict=True)],
                               schema).coalesce(1)
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", inputCol="features",
                         batchSize=16, shuffle=False, verbose=0)
    # Map 0 holds row 40 out for validation, so only map 1 trains on it.
    maps = [{est.validationFraction: 0.6}, {est.learningRate: 0.02}]
    with pytest.raises(Exception, match=r"paramMaps\[1\] \{learningRate=0.02\}: the loss is NaN "
                       r"at epoch 1, step 3"):
        list(est.fitMultiple(df, maps))


def test_a_nan_validation_loss_is_kept_in_the_history(spark, blobs):
    # A NaN label among the validation rows: the fit ends, its val_loss is NaN (as Keras reports).
    x, y, _ = blobs
    y = y.copy()
    y[40, 1] = np.nan
    df = _frame(spark, x, y)
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", inputCol="features",
                         batchSize=16, shuffle=False, verbose=0, validationFraction=0.6, epochs=2)
    history = est.fit(df).history
    assert len(history) == 2
    assert all(math.isnan(e["val_loss"]) and math.isfinite(e["loss"]) for e in history), history


_SCHEMA = T.StructType([
    T.StructField("features", T.ArrayType(T.FloatType(), False)),
    T.StructField("label", T.ArrayType(T.FloatType(), False)),
])


def _frame(spark, x, y):
    rows = [(a.tolist(), None if b is None else b.tolist()) for a, b in zip(x, y, strict=True)]
    return spark.createDataFrame(rows, _SCHEMA).coalesce(1)


def _sgd(learning_rate: float = 0.05) -> keras.optimizers.Optimizer:
    return keras.optimizers.SGD(learning_rate=learning_rate)


def test_validation_fraction_splits_as_keras_validation_split(spark, blobs):
    # Keras trains on the first floor(n * (1 - f)) rows: 7 of 10 at 0.25 (not 10 - floor(2.5) = 8).
    x, y, _ = blobs
    x, y = x[:10], y[:10]
    keras_model = _mlp()
    keras_model.compile(optimizer=_sgd(), loss="categorical_crossentropy")
    want = keras_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, validation_split=0.25,
                           verbose=0).history
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", optimizer="sgd",
                         inputCol="features", epochs=2, batchSize=4, learningRate=0.05,
                         shuffle=False, validationFraction=0.25, verbose=0)
    history = est.fit(_frame(spark, x, y)).history
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose([h[key] for h in history], want[key], rtol=1e-5, err_msg=key)


def test_a_validation_fraction_that_leaves_a_side_empty_is_refused_as_keras_does(spark, blobs):
    x, y, _ = blobs
    with pytest.raises(ValueError, match="not sufficient to split"):  # Keras' own refusal
        keras_model = _mlp()
        keras_model.compile(optimizer="sgd", loss="categorical_crossentropy")
        keras_model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", inputCol="features",
                         validationFraction=0.5, verbose=0)
    with pytest.raises(Exception, match=r"validationFraction 0.5 splits 1 row\(s\) into 0 to "
                       r"train and 1 to validate"):
        est.fit(_frame(spark, x[:1], y[:1]))


def test_a_second_fit_trains_the_keras_model_as_it_is_now(spark, blobs):
    # Regression: exports were cached by id(model), so weights set between fits were ignored.
    x, y, df = blobs
    model = _mlp()
    est = KerasEstimator(model=model, loss="categorical_crossentropy", optimizer="sgd",
                         inputCol="features", epochs=1, batchSize=16, learningRate=0.05,
                         shuffle=False, verbose=0)
    est.fit(df)
    model.set_weights([w * 0.5 for w in model.get_weights()])
    expected = keras.models.clone_model(model)
    expected.set_weights(model.get_weights())
    expected.compile(optimizer=_sgd(), loss="categorical_crossentropy")
    expected.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    got = np.array([r.prediction for r in est.fit(df).transform(df).collect()], np.float32)
    np.testing.assert_allclose(got, expected.predict(x, verbose=0), atol=1e-5)


def _binary_mlp() -> keras.Model:
    keras.utils.set_random_seed(2)
    return keras.Sequential([
        keras.Input((8,), name="x"),
        keras.layers.Dense(6, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])


def test_metric_names_report_what_keras_fit_reports(spark, blobs):
    x, y3, _ = blobs
    y = y3[:, :1]  # one class against the others
    metrics = ["mae", "mse", "binary_accuracy", "accuracy"]
    keras_model = _binary_mlp()
    keras_model.compile(optimizer=_sgd(), loss="binary_crossentropy", metrics=metrics)
    want = keras_model.fit(x, y, batch_size=16, epochs=2, shuffle=False, validation_split=0.25,
                           verbose=0).history
    est = KerasEstimator(model=_binary_mlp(), loss="binary_crossentropy", optimizer="sgd",
                         metrics=metrics, inputCol="features", epochs=2, batchSize=16,
                         learningRate=0.05, shuffle=False, validationFraction=0.25, verbose=0)
    history = est.fit(_frame(spark, x, y)).history
    assert set(history[0]) == set(want), (history[0], list(want))
    for key, values in want.items():
        np.testing.assert_allclose([h[key] for h in history], values, rtol=1e-5, atol=1e-6,
                                   err_msg=key)


def test_stateful_metrics_are_refused_saying_why(blobs):
    _, _, df = blobs
    est = KerasEstimator(model=_binary_mlp(), loss="binary_crossentropy", metrics=["auc"],
                         inputCol="features", verbose=0)
    with pytest.raises(ValueError, match=r"metric 'auc' \(keras.metrics.AUC\) .*not a mean"):
        est.fit(df)


def test_handle_invalid_skip_drops_rows_with_a_null_label(spark, blobs):
    x, y, _ = blobs
    labels = [None if i in (3, 50) else v for i, v in enumerate(y)]
    df = _frame(spark, x, labels)
    keep = np.array([i not in (3, 50) for i in range(len(x))])
    keras_model = _mlp()
    keras_model.compile(optimizer=_sgd(), loss="categorical_crossentropy")
    keras_model.fit(x[keep], y[keep], batch_size=16, epochs=2, shuffle=False, verbose=0)
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", optimizer="sgd",
                         inputCol="features", epochs=2, batchSize=16, learningRate=0.05,
                         shuffle=False, verbose=0)
    fitted = est.copy({est.handleInvalid: "skip"}).fit(df)
    got = np.array([r.prediction for r in fitted.transform(_frame(spark, x, y)).collect()])
    np.testing.assert_allclose(got, keras_model.predict(x, verbose=0), atol=1e-5)
    with pytest.raises(Exception, match="labelCol column 'label' has a null cell.*'skip'"):
        est.fit(df)
    with pytest.raises(Exception, match="handleInvalid 'keep'.*expected 'error' or 'skip'"):
        est.copy({est.handleInvalid: "keep"}).fit(df)


def test_a_model_without_trainable_weights_is_refused_up_front(blobs):
    _, _, df = blobs
    frozen = _mlp()
    frozen.trainable = False
    est = KerasEstimator(model=frozen, loss="categorical_crossentropy", inputCol="features",
                         verbose=0)
    with pytest.raises(ValueError, match=rf"KerasEstimator {est.uid}: .*has no trainable weights"):
        est.fit(df)


def test_cancelled_jobs_end_a_fit_waiting_for_its_next_event(spark, blobs):
    # PySpark's Ctrl-C handler calls SparkContext.cancelAllJobs: a fit waiting in the JVM for
    # its next event must raise the cancellation, not hang.
    import threading
    import time

    _, _, df = blobs
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", inputCol="features",
                         epochs=1_000_000, batchSize=16, verbose=0)  # never ends by itself
    outcome: list[BaseException] = []

    def fit() -> None:
        try:
            list(est.fitMultiple(df, [{}, {est.learningRate: 0.01}]))
        except BaseException as e:  # noqa: BLE001 - the test checks what it is
            outcome.append(e)

    fitting = threading.Thread(target=fit, daemon=True)
    fitting.start()
    sc = spark.sparkContext
    tracker = sc.statusTracker()

    def training() -> bool:  # the training jobs' stages (submitted in Fits.scala), not the cache's
        stages = (tracker.getStageInfo(s) for s in tracker.getActiveStageIds())
        return any(s is not None and "Fits.scala" in s.name for s in stages)

    deadline = time.monotonic() + 120
    while not training():
        assert time.monotonic() < deadline, "the training jobs never started"
        time.sleep(0.05)
    sc.cancelAllJobs()
    fitting.join(120)
    assert not fitting.is_alive(), "the fit still waits after its jobs were cancelled"
    assert len(outcome) == 1 and "cancelled" in str(outcome[0]), outcome
    # The cancelled tasks left their slots: the next fit runs.
    assert len(est.copy({est.epochs: 1}).fit(df).history) == 1
