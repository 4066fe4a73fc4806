"""The images section: a folder of generated PNGs through a small CNN, three ways.

sparkdl reads the folder with ``sparkdl.image.readImages`` and runs the model with
``TFImageTransformer``; the peer reads it with Spark's image source and runs the same Keras model
with ``predict_batch_udf`` in Spark's Python workers; the decode ceilings read it with either
reader and nothing else. Every job writes its whole output DataFrame to ``noop``.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import ArrayType, FloatType

from sparkdl_bench import models

#: Image method keys, in report order, with their labels.
IMAGE_METHODS: dict[str, str] = {
    "sparkdl": "sparkdl readImages + TFImageTransformer",
    "predict_batch_udf": "image source + predict_batch_udf + TF Python",
    "image_source": "decode ceiling: Spark's image source -> noop",
    "read_images": "decode ceiling: sparkdl readImages -> noop",
}
#: The ceiling the target compares sparkdl with (the issue's "decode ceiling").
CEILING = "image_source"

OUTPUT = "p"
#: Images per model call, for both TFImageTransformer and predict_batch_udf. A 1,024-row block
#: of 224x224x3 float32 images would be 600 MB; 64 keep a batch at 38 MB.
BATCH_SIZE = 64
#: Low-resolution noise upsampled to the image size: smooth content that PNG compresses as it
#: does photos (~2-3 bits per pixel), not the incompressible noise of random pixels.
NOISE_CELLS = 16
FILE_PATTERN = "img-{:05d}.png"


# ---- the folder ---------------------------------------------------------------------------


def image_folder(cache: Path, count: int, size: int, seed: int) -> Path:
    """A folder of ``count`` ``size``x``size`` RGB PNGs drawn from ``seed``, made once.

    Reused when the cache holds a finished folder of the same count, size and seed: a marker
    next to the folder (not in it: the readers would take it for an image) is written last.
    """
    folder = cache / f"png-{count}x{size}-seed{seed}"
    marker = folder.with_suffix(".json")
    spec = {"count": count, "size": size, "seed": seed, "noise_cells": NOISE_CELLS}
    if marker.exists() and json.loads(marker.read_text()) == spec:
        return folder
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.png"):
        stale.unlink()
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        cells = rng.integers(0, 256, (NOISE_CELLS, NOISE_CELLS, 3), dtype=np.uint8)
        smooth = Image.fromarray(cells, "RGB").resize((size, size), Image.Resampling.BICUBIC)
        grain = rng.normal(0.0, 4.0, (size, size, 3))
        pixels = np.clip(np.asarray(smooth, np.float64) + grain, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(folder / FILE_PATTERN.format(i))
    marker.write_text(json.dumps(spec) + "\n")
    return folder


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.png"))


def decode_rgb(paths: list[Path]) -> np.ndarray:
    """The files as one float32 RGB batch, decoded by PIL (the correctness reference's input)."""
    from PIL import Image

    batch = []
    for p in paths:
        with Image.open(p) as img:
            batch.append(np.asarray(img.convert("RGB"), np.float32))
    return np.stack(batch)


# ---- the model ----------------------------------------------------------------------------


def build_model(size: int, seed: int) -> Any:
    """A cheap CNN of ``size``x``size`` RGB pixel values (0 - 255), weights from ``seed``.

    Two strided convolutions (16 filters 3x3 stride 4, 32 filters 3x3 stride 2) and a global
    average pool before Dense 10: ~5 M multiply-adds per 224x224 image, a fraction of what
    decoding its PNG costs, so the section measures how images reach the model.
    """
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    inputs = tf.keras.Input((size, size, 3), name="image")
    h = layers.Rescaling(1 / 255)(inputs)
    h = layers.Conv2D(16, 3, strides=4, activation="relu")(h)
    h = layers.Conv2D(32, 3, strides=2, activation="relu")(h)
    h = layers.GlobalAveragePooling2D()(h)
    out = layers.Dense(10)(h)
    return tf.keras.Model(inputs, out, name="imgcnn")


def predict_function(model: Any, size: int) -> Callable[[np.ndarray], np.ndarray]:
    """``model`` as numpy -> numpy over float32 ``[None, size, size, 3]`` batches (one trace)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32)])
    def predict(x: Any) -> Any:
        return model(x, training=False)

    return lambda x: predict(x).numpy()


#: (weights file) -> the worker's predict function, one per Python worker process.
_WORKER_MODELS: dict[str, Callable[[np.ndarray], np.ndarray]] = {}


def make_predict_fn(weights: str, size: int) -> Callable[..., np.ndarray]:
    """For ``predict_batch_udf``: the model over the image structs' fields, per batch.

    The UDF is called with the columns ``image.height``, ``image.width``, ``image.nChannels``
    and ``image.data``; the pixels go to the model as float32 RGB, as TFImageTransformer feeds
    them (the struct stores B, G, R).
    """
    if weights not in _WORKER_MODELS:
        models.set_worker_threads()
        model = build_model(size, seed=0)
        with np.load(weights) as saved:
            model.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
        _WORKER_MODELS[weights] = predict_function(model, size)
    predict = _WORKER_MODELS[weights]

    def predict_images(
        height: np.ndarray, width: np.ndarray, channels: np.ndarray, data: np.ndarray
    ) -> np.ndarray:
        if not ((height == size) & (width == size) & (channels == 3)).all():
            raise ValueError(f"expected {size}x{size} 3-channel images only")
        bgr = np.frombuffer(b"".join(data), np.uint8).reshape(-1, size, size, 3)
        return predict(bgr[..., ::-1].astype(np.float32))

    return predict_images


# ---- the jobs -----------------------------------------------------------------------------


class ImageMethods:
    """Every image method over one folder, with the model prepared once for all of them."""

    def __init__(self, spark: SparkSession, folder: Path, size: int, seed: int, workdir: Path):
        from sparkdl.ml import TFImageTransformer

        self.spark, self.folder, self.size = spark, str(folder), size
        self.keras = build_model(size, seed)
        self.weights = str(models.save_weights(self.keras, workdir / f"imgcnn-{seed}.npz"))
        self.predict = predict_function(self.keras, size)
        # Converted to a SavedModel once, here: the jobs time reading, transforming, writing.
        self.stage = TFImageTransformer(
            model=self.keras, inputCol="image", outputCol=OUTPUT, batchSize=BATCH_SIZE
        )

    def sparkdl_frame(self, path: str | None = None) -> DataFrame:
        from sparkdl.image import readImages

        return self.stage.transform(readImages(path or self.folder))

    def predict_batch_udf_frame(self, path: str | None = None) -> DataFrame:
        from pyspark.ml.functions import predict_batch_udf

        udf = predict_batch_udf(
            functools.partial(make_predict_fn, self.weights, self.size),
            return_type=ArrayType(FloatType()),
            batch_size=BATCH_SIZE,
        )
        df = self.spark.read.format("image").load(path or self.folder)
        fields = [f"image.{f}" for f in ("height", "width", "nChannels", "data")]
        return df.withColumn(OUTPUT, udf(*fields))

    def image_source_frame(self) -> DataFrame:
        return self.spark.read.format("image").load(self.folder)

    def read_images_frame(self) -> DataFrame:
        from sparkdl.image import readImages

        return readImages(self.folder)

    def jobs(self) -> dict[str, Callable[[], float]]:
        """Each method as a job returning its seconds: build the frame, write it to noop."""
        frames = {
            "sparkdl": self.sparkdl_frame,
            "predict_batch_udf": self.predict_batch_udf_frame,
            "image_source": self.image_source_frame,
            "read_images": self.read_images_frame,
        }

        def job(frame: Callable[[], DataFrame]) -> Callable[[], float]:
            def run() -> float:
                start = time.perf_counter()
                frame().write.format("noop").mode("overwrite").save()
                return time.perf_counter() - start

            return run

        return {k: job(f) for k, f in frames.items()}

    def check(self, keys: list[str], tolerance: float) -> dict[str, float]:
        """Max |method - Keras| over the first ten images, for the model methods among ``keys``;
        aborts beyond ``tolerance``.

        The reference is the Keras model in this process on the files decoded by PIL (PNG is
        lossless: every reader must produce the same pixels).
        """
        glob = FILE_PATTERN.replace("{:05d}", "0000?")
        paths = sorted(Path(self.folder).glob(glob))
        expected = dict(zip([p.name for p in paths], self.predict(decode_rgb(paths)), strict=True))
        diffs = {}
        frames = {"sparkdl": self.sparkdl_frame, "predict_batch_udf": self.predict_batch_udf_frame}
        for key, frame in frames.items():
            if key not in keys:
                continue
            rows = frame(str(Path(self.folder) / glob)).select("image.origin", OUTPUT).collect()
            # sparkdl gives an ML vector, predict_batch_udf an array.
            got = {
                Path(origin).name: np.asarray(getattr(p, "toArray", lambda p=p: p)(), np.float32)
                for origin, p in rows
            }
            if sorted(got) != sorted(expected):
                raise SystemExit(
                    f"bench: images: {IMAGE_METHODS[key]} returned images {sorted(got)}; "
                    f"expected {sorted(expected)}"
                )
            diff = max(float(np.max(np.abs(got[n] - expected[n]))) for n in expected)
            if diff > tolerance:
                raise SystemExit(
                    f"bench: images: {IMAGE_METHODS[key]} differs from Keras on PIL's pixels by "
                    f"{diff:.3g} (> {tolerance:g}) on {len(paths)} images; refusing to time "
                    "wrong results"
                )
            diffs[key] = diff
        return diffs
