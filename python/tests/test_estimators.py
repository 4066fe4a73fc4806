"""Training in Spark tasks through sparkdl's engine, against Keras fit on the same batches."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import types as T
from sparkdl.ml import KerasEstimator, TFEstimator, TFEstimatorModel
from sparkdl.model import TFModel


def _mlp(hidden: int = 16) -> keras.Model:
    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((8,), name="x"),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])


@pytest.fixture(scope="module")
def blobs(spark):
    rng = np.random.default_rng(5)
    centers = rng.normal(scale=3.0, size=(3, 8)).astype(np.float32)
    labels = rng.integers(0, 3, 96)
    x = (centers[labels] + rng.normal(size=(96, 8))).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[labels]
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


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_verbose_prints_a_line_per_epoch_per_fit(blobs, capsys, verbose):
    _, _, df = blobs
    est = KerasEstimator(model=_mlp(), loss="categorical_crossentropy", metrics=["accuracy"],
                         inputCol="features", epochs=2, batchSize=16, validationFraction=0.25,
                         verbose=verbose)
    maps = [{est.learningRate: 0.01}, {est.learningRate: 0.02}]
    capsys.readouterr()
    list(est.fitMultiple(df, maps))
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if " epoch " in line]
    if verbose == 0:
        assert lines == []
        return
    for i in (0, 1):
        mine = [line for line in epochs if f"paramMaps[{i}] {{learningRate=0.0{i + 1}}}" in line]
        assert [m.split(" epoch ")[1].split(":")[0] for m in mine] == ["1/2", "2/2"], lines
        assert all("loss=" in m and "val_accuracy=" in m and "rows/s" in m for m in mine)
    assert len(lines) == (6 if verbose == 1 else 4), lines


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
