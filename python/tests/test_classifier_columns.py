"""Issue 25, point 6: a classifier trained by KerasEstimator (TFEstimator) gives MLlib's classifier
columns when asked (predictionCol, probabilityCol, rawPredictionCol), so CrossValidator works
with Spark's stock evaluators; values against Keras fit on the same rows and initial weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from pyspark.ml.evaluation import (
    BinaryClassificationEvaluator,
    MulticlassClassificationEvaluator,
)
from pyspark.ml.linalg import VectorUDT
from pyspark.ml.tuning import CrossValidator, ParamGridBuilder
from pyspark.sql import types as T
from sparkdl.ml import KerasEstimator, TFEstimatorModel


def _classifier(units: int) -> keras.Model:
    keras.utils.set_random_seed(2)
    return keras.Sequential([
        keras.Input((4,), name="x"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(units, activation="softmax" if units > 1 else "sigmoid"),
    ])


def _data(spark, classes: int):
    rng = np.random.default_rng(classes)
    centers = rng.normal(scale=2.0, size=(classes, 4)).astype(np.float32)
    labels = rng.integers(0, classes, 64)
    x = (centers[labels] + rng.normal(size=(64, 4))).astype(np.float32)
    schema = T.StructType([
        T.StructField("features", T.ArrayType(T.FloatType(), False)),
        T.StructField("label", T.DoubleType(), False),
    ])
    rows = [(a.tolist(), float(b)) for a, b in zip(x, labels, strict=True)]
    return x, labels, spark.createDataFrame(rows, schema).coalesce(1)


def _keras_fit(units: int, loss: str, x, labels) -> keras.Model:
    model = _classifier(units)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss=loss)
    y = labels.astype(np.float32) if units == 1 else labels
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model


def _estimator(units: int, loss: str, **kwargs) -> KerasEstimator:
    return KerasEstimator(model=_classifier(units), loss=loss, optimizer="sgd",
                          inputCol="features", labelCol="label", epochs=2, batchSize=16,
                          learningRate=0.05, shuffle=False, verbose=0, **kwargs)


def test_softmax_classifier_columns_equal_keras_and_a_stock_evaluator_tunes_it(spark):
    x, labels, df = _data(spark, 3)
    cols = dict(predictionCol="pred", probabilityCol="prob", rawPredictionCol="raw")
    model = _estimator(3, "sparse_categorical_crossentropy", **cols).fit(df)
    assert isinstance(model, TFEstimatorModel) and model.getPredictionCol() == "pred"
    out = model.transform(df)
    types = {f.name: f.dataType for f in out.schema.fields}
    assert isinstance(types["pred"], T.DoubleType)
    assert isinstance(types["prob"], VectorUDT) and isinstance(types["raw"], VectorUDT)
    rows = out.collect()
    expected = _keras_fit(3, "sparse_categorical_crossentropy", x, labels).predict(x, verbose=0)
    np.testing.assert_allclose(np.stack([r.prob.toArray() for r in rows]), expected, atol=1e-5)
    np.testing.assert_allclose(np.stack([r.raw.toArray() for r in rows]), expected, atol=1e-5)
    assert [r.pred for r in rows] == [float(i) for i in expected.argmax(axis=1)]
    accuracy = MulticlassClassificationEvaluator(predictionCol="pred", metricName="accuracy")
    assert accuracy.evaluate(out) == pytest.approx(np.mean(expected.argmax(axis=1) == labels))

    est = _estimator(3, "sparse_categorical_crossentropy", **cols)
    grid = ParamGridBuilder().addGrid(est.learningRate, [0.001, 0.05]).build()
    cv = CrossValidator(estimator=est, estimatorParamMaps=grid, numFolds=2, seed=1,
                        evaluator=MulticlassClassificationEvaluator(predictionCol="pred")).fit(df)
    assert len(cv.avgMetrics) == 2 and all(0.0 <= m <= 1.0 for m in cv.avgMetrics)
    assert cv.bestModel.getProbabilityCol() == "prob"


def test_one_sigmoid_unit_gives_binary_columns_for_both_stock_evaluators(spark):
    x, labels, df = _data(spark, 2)
    cols = dict(predictionCol="pred", probabilityCol="prob", rawPredictionCol="raw")
    model = _estimator(1, "binary_crossentropy", **cols).fit(df)
    rows = model.transform(df).collect()
    p = _keras_fit(1, "binary_crossentropy", x, labels).predict(x, verbose=0)[:, 0]
    both = np.stack([1 - p, p], axis=1)
    np.testing.assert_allclose(np.stack([r.prob.toArray() for r in rows]), both, atol=1e-5)
    np.testing.assert_allclose(np.stack([r.raw.toArray() for r in rows]), both, atol=1e-5)
    assert [r.pred for r in rows] == [1.0 if v > 0.5 else 0.0 for v in p]

    est = _estimator(1, "binary_crossentropy", **cols)
    grid = ParamGridBuilder().addGrid(est.epochs, [1, 2]).build()
    for evaluator in (BinaryClassificationEvaluator(rawPredictionCol="raw"),
                      MulticlassClassificationEvaluator(predictionCol="pred")):
        cv = CrossValidator(estimator=est, estimatorParamMaps=grid, evaluator=evaluator,
                            numFolds=2, seed=1).fit(df)
        assert len(cv.avgMetrics) == 2 and all(0.0 <= m <= 1.0 for m in cv.avgMetrics)


def test_classifier_columns_are_opt_in_and_must_be_new_names(spark):
    _, _, df = _data(spark, 3)
    plain = _estimator(3, "sparse_categorical_crossentropy").fit(df)
    assert plain.transform(df).columns == ["features", "label", "prediction"]
    with pytest.raises(Exception, match="param probabilityCol is 'label', which is already"):
        plain.copy({plain.probabilityCol: "label"}).transform(df)
    with pytest.raises(Exception, match="param predictionCol is 'prediction', which is already "
                                        "outputCol"):
        plain.copy({plain.predictionCol: "prediction"}).transform(df)
