"""The featurizer section: 1,000 decoded 224x224 images through named ImageNet models, three ways.

sparkdl runs ``DeepImageFeaturizer`` over a cached DataFrame of image structs (the model read by
each executor from a model store that ``sparkdl.models.prepare`` fills); the peer runs the same
Keras model (``sparkdl.models.build``, the same seeded random weights) with
``predict_batch_udf`` in Spark's Python workers; raw Keras runs ``model.predict`` over the same
images preloaded as one float32 array at the model's input size, in one process.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import ArrayType, FloatType, LongType, StructField, StructType

from sparkdl_bench import models as bench_models

#: Method keys, in report order, with their labels.
FEATURIZER_METHODS: dict[str, str] = {
    "sparkdl": "sparkdl DeepImageFeaturizer",
    "sparkdl_bfloat16": "sparkdl DeepImageFeaturizer bfloat16",
    "predict_batch_udf": "predict_batch_udf + Keras",
    "keras": "raw Keras model.predict (preloaded arrays, one process)",
}
MODELS = ("ResNet50", "InceptionV3")
OUTPUT = "features"
#: Images per model call, for every method: 64 images of 299x299x3 float32 are 69 MB.
BATCH_SIZE = 64
#: Float32 methods equal Keras within this share of the largest feature (the named models' tests).
TOLERANCE = 1e-4
#: bfloat16 may differ from Keras float32 by this share of the largest feature; beyond, the
#: bench stops.
BFLOAT16_TOLERANCE = 5e-2
NOISE_CELLS = 16


def decoded_images(count: int, size: int, seed: int) -> np.ndarray:
    """``count`` RGB uint8 images ``size``x``size``: seeded low-resolution colours upsampled
    bicubically plus grain (smooth content, as photos)."""
    from PIL import Image

    out = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        cells = rng.integers(0, 256, (NOISE_CELLS, NOISE_CELLS, 3), dtype=np.uint8)
        smooth = Image.fromarray(cells, "RGB").resize((size, size), Image.Resampling.BICUBIC)
        grain = rng.normal(0.0, 4.0, (size, size, 3))
        out[i] = np.clip(np.asarray(smooth, np.float64) + grain, 0, 255).astype(np.uint8)
    return out


def resized(images: np.ndarray, size: int) -> np.ndarray:
    """``images`` at ``size``x``size`` as float32, resized as sparkdl's default ``scaleHint``
    does (area averaging, Pillow's BOX)."""
    from PIL import Image

    if images.shape[1] == size and images.shape[2] == size:
        return images.astype(np.float32)
    return np.stack(
        [
            np.asarray(
                Image.fromarray(a, "RGB").resize((size, size), Image.Resampling.BOX), np.float32
            )
            for a in images
        ]
    )


def image_frame(spark: SparkSession, images: np.ndarray, partitions: int) -> DataFrame:
    """The images as Spark image structs (BGR, mode CV_8UC3) with an id, cached and counted."""
    from sparkdl.image import columnSchema

    n, h, w, _ = images.shape
    rows = [
        (i, (f"img{i}", h, w, 3, 16, bytearray(np.ascontiguousarray(a[..., ::-1]).tobytes())))
        for i, a in enumerate(images)
    ]
    schema = StructType([StructField("i", LongType()), StructField("image", columnSchema)])
    df = spark.createDataFrame(rows, schema).repartition(partitions).cache()
    df.count()
    return df


#: (model name, seed) -> the worker's predict function, one per Python worker process.
_WORKER_MODELS: dict[tuple[str, int], Callable[[np.ndarray], np.ndarray]] = {}


def keras_features(name: str, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """The named model's features over float32 RGB batches at its input size (one trace)."""
    import tensorflow as tf
    from sparkdl import models

    model = models.build(name, weights="random", seed=seed)
    size = models.input_size(name)[0]

    @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32)])
    def predict(x: Any) -> Any:
        return model(x, training=False)["features"]

    return lambda x: predict(x).numpy()


def make_predict_fn(name: str, seed: int) -> Callable[..., np.ndarray]:
    """For ``predict_batch_udf``: features of the image structs' fields, per batch; images are
    resized to the model's size (area, as sparkdl) and fed as float32 RGB."""
    from sparkdl import models

    if (name, seed) not in _WORKER_MODELS:
        bench_models.set_worker_threads()
        _WORKER_MODELS[(name, seed)] = keras_features(name, seed)
    predict = _WORKER_MODELS[(name, seed)]
    size = models.input_size(name)[0]

    def features(
        height: np.ndarray, width: np.ndarray, channels: np.ndarray, data: np.ndarray
    ) -> np.ndarray:
        h, w = int(height[0]), int(width[0])
        if not ((height == h) & (width == w) & (channels == 3)).all():
            raise ValueError("expected 3-channel images of one size")
        bgr = np.frombuffer(b"".join(data), np.uint8).reshape(-1, h, w, 3)
        return predict(resized(np.ascontiguousarray(bgr[..., ::-1]), size))

    return features


class FeaturizerMethods:
    """Every method over one set of images and one named model, prepared once."""

    def __init__(
        self,
        spark: SparkSession,
        name: str,
        images: np.ndarray,
        df: DataFrame,
        seed: int,
        store: str,
    ) -> None:
        from sparkdl import models
        from sparkdl.ml import DeepImageFeaturizer

        self.spark, self.name, self.df, self.seed = spark, name, df, seed
        models.prepare(name, weights="random", seed=seed, store=store)
        spark.conf.set("spark.sparkdl.modelStore", store)
        self.stage = DeepImageFeaturizer(
            inputCol="image", outputCol=OUTPUT, modelName=name, batchSize=BATCH_SIZE
        )
        self.bfloat16_stage = self.stage.copy().setPrecision("bfloat16")
        self.predict = keras_features(name, seed)
        self.arrays = resized(images, models.input_size(name)[0])  # preloaded, outside timing

    def sparkdl_frame(self, df: DataFrame | None = None) -> DataFrame:
        return self.stage.transform(self.df if df is None else df)

    def sparkdl_bfloat16_frame(self, df: DataFrame | None = None) -> DataFrame:
        return self.bfloat16_stage.transform(self.df if df is None else df)

    def predict_batch_udf_frame(self, df: DataFrame | None = None) -> DataFrame:
        from pyspark.ml.functions import predict_batch_udf

        udf = predict_batch_udf(
            functools.partial(make_predict_fn, self.name, self.seed),
            return_type=ArrayType(FloatType()),
            batch_size=BATCH_SIZE,
        )
        fields = [f"image.{f}" for f in ("height", "width", "nChannels", "data")]
        return (self.df if df is None else df).withColumn(OUTPUT, udf(*fields))

    def keras_run(self, arrays: np.ndarray | None = None) -> np.ndarray:
        x = self.arrays if arrays is None else arrays
        return np.concatenate(
            [self.predict(x[i : i + BATCH_SIZE]) for i in range(0, len(x), BATCH_SIZE)]
        )

    def jobs(self, keys: list[str]) -> dict[str, Callable[[], float]]:
        def spark_job(frame: Callable[[], DataFrame]) -> Callable[[], float]:
            def run() -> float:
                start = time.perf_counter()
                frame().write.format("noop").mode("overwrite").save()
                return time.perf_counter() - start

            return run

        def keras_job() -> float:
            start = time.perf_counter()
            self.keras_run()
            return time.perf_counter() - start

        all_jobs = {
            "sparkdl": spark_job(self.sparkdl_frame),
            "sparkdl_bfloat16": spark_job(self.sparkdl_bfloat16_frame),
            "predict_batch_udf": spark_job(self.predict_batch_udf_frame),
            "keras": keras_job,
        }
        return {k: all_jobs[k] for k in keys}

    def check(self, keys: list[str], count: int = 8) -> dict[str, float]:
        """Max |method - Keras| / max |Keras| over the first ``count`` images; raises beyond
        :data:`TOLERANCE` (:data:`BFLOAT16_TOLERANCE` for bfloat16, against Keras float32)."""
        first = self.df.where(f"i < {count}")
        expected = self.keras_run(self.arrays[:count])
        scale = max(float(np.abs(expected).max()), 1.0)
        frames = {
            "sparkdl": self.sparkdl_frame,
            "sparkdl_bfloat16": self.sparkdl_bfloat16_frame,
            "predict_batch_udf": self.predict_batch_udf_frame,
        }
        diffs = {}
        for key in keys:
            if key not in frames:
                continue
            rows = frames[key](first).select("i", OUTPUT).orderBy("i").collect()
            got = np.stack(
                [np.asarray(getattr(r[1], "toArray", lambda r=r: r[1])(), np.float32) for r in rows]
            )
            diff = float(np.max(np.abs(got - expected))) / scale
            tolerance = BFLOAT16_TOLERANCE if key == "sparkdl_bfloat16" else TOLERANCE
            if diff > tolerance:
                raise SystemExit(
                    f"bench: featurizer: {FEATURIZER_METHODS[key]} on {self.name} differs from "
                    f"Keras by {diff:.3g} of the largest feature (> {tolerance:g}); refusing to "
                    "time it"
                )
            diffs[key] = diff
        return diffs
