"""sparkdl.plot.training_curves: a PNG of several histories; what it drew equals them."""

from __future__ import annotations

import pytest
from sparkdl.plot import training_curves


class _Fitted:
    def __init__(self, history):
        self.history = history


def test_training_curves_draw_every_history(tmp_path):
    a = [{"loss": 1.0, "accuracy": 0.5, "val_loss": 1.2, "val_accuracy": 0.4},
         {"loss": 0.7, "accuracy": 0.7, "val_loss": 0.9, "val_accuracy": 0.6},
         {"loss": 0.5, "accuracy": 0.8, "val_loss": 0.8, "val_accuracy": 0.7}]
    b = [{"loss": 2.0, "accuracy": 0.3}, {"loss": 1.5, "accuracy": 0.4}]
    keras_like = _Fitted({"loss": [3.0, 2.5], "accuracy": [0.1, 0.2]})
    path = tmp_path / "curves.png"
    drawn = training_curves({"a": _Fitted(a), "b": b, "k": keras_like}, path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert list(drawn) == ["loss", "accuracy"]
    assert drawn["loss"] == [
        ("a", [1.0, 2.0, 3.0], [1.0, 0.7, 0.5]),
        ("a (val)", [1.0, 2.0, 3.0], [1.2, 0.9, 0.8]),
        ("b", [1.0, 2.0], [2.0, 1.5]),
        ("k", [1.0, 2.0], [3.0, 2.5]),
    ]
    assert drawn["accuracy"][1] == ("a (val)", [1.0, 2.0, 3.0], [0.4, 0.6, 0.7])


def test_training_curves_of_fitted_models(spark, tmp_path):
    import keras
    import numpy as np
    from pyspark.sql import types as T
    from sparkdl.ml import KerasEstimator

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[(x[:, 0] > 0).astype(int)]
    schema = T.StructType([T.StructField("f", T.ArrayType(T.FloatType(), False)),
                           T.StructField("label", T.ArrayType(T.FloatType(), False))])
    df = spark.createDataFrame([(a.tolist(), b.tolist()) for a, b in zip(x, y, strict=True)],
                               schema)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    est = KerasEstimator(model=model, loss="categorical_crossentropy", inputCol="f", epochs=3,
                         validationFraction=0.25, verbose=0)
    fitted = [m for _, m in sorted(est.fitMultiple(df, [{est.learningRate: r}
                                                        for r in (0.01, 0.1)]))]
    drawn = training_curves(fitted, tmp_path / "fits.png")
    for i, m in enumerate(fitted):
        label, epochs, values = drawn["loss"][2 * i]
        assert label == f"model {i}" and epochs == [1.0, 2.0, 3.0]
        assert values == [e["loss"] for e in m.history]
        assert drawn["loss"][2 * i + 1][2] == [e["val_loss"] for e in m.history]


def test_training_curves_refuse_what_is_not_a_history(tmp_path):
    with pytest.raises(TypeError, match="expected fitted models with a history"):
        training_curves([42], tmp_path / "x.png")
