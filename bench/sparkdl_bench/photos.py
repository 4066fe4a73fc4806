"""The photos section: camera-sized JPEGs, decoded alone and through named models (issue 24).

Decode only: sparkdl's ``readImages`` (TF's libjpeg-turbo through the bridge) against Pillow in
a pandas UDF over Spark's ``binaryFile`` source, Pillow in one plain Python process (per task
slot), and Spark's image source (``javax.imageio``). The main job: decode + resize +
``DeepImageFeaturizer`` against the way Databricks' documentation featurizes images for transfer
learning (``binaryFile`` + a scalar-iterator pandas UDF decoding with Pillow and running the
Keras model, 64 images a call) and against the image source + ``predict_batch_udf``. Every Spark
job writes its whole output to ``noop``.
"""

from __future__ import annotations

import functools
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import ArrayType, BinaryType, FloatType

from sparkdl_bench import featurizer as ft

DECODE_METHODS: dict[str, str] = {
    "sparkdl": "sparkdl readImages -> noop",
    "sparkdl_binary_file": "binaryFile + sparkdl.image.decode -> noop",
    "pillow_udf": "binaryFile + Pillow pandas UDF -> noop",
    "image_source": "Spark's image source -> noop",
    "pillow_plain": "Pillow, one plain Python process (one task slot's worth)",
}
MAIN_METHODS: dict[str, str] = {
    "sparkdl": "sparkdl readImages + DeepImageFeaturizer",
    "pillow_keras_udf": "binaryFile + scalar-iterator pandas UDF (Pillow + Keras)",
    "predict_batch_udf": "image source + predict_batch_udf (Keras)",
    "sparkdl_decode": "sparkdl readImages -> noop (decode)",
    "sparkdl_resize": "sparkdl readImages + resize -> noop (decode + resize)",
    "sparkdl_model": "sparkdl DeepImageFeaturizer alone, over cached resized images (the model)",
}
MODELS = ("MobileNetV2", "ResNet50")
WIDTH, HEIGHT, QUALITY = 1024, 768, 90
BATCH_SIZE = 64
NOISE_CELLS = 16
FILE_PATTERN = "photo-{:05d}.jpg"


def photo_folder(cache: Path, count: int, seed: int) -> Path:
    """``count`` JPEGs of 1024x768, quality 90, smooth content (as the images section's PNGs:
    seeded 16x16 colours upsampled bicubically plus grain), written once by Pillow and reused
    (a marker next to the folder is written last)."""
    folder = cache / f"jpeg-{count}x{WIDTH}x{HEIGHT}-q{QUALITY}-seed{seed}"
    marker = folder.with_suffix(".json")
    spec = {"count": count, "width": WIDTH, "height": HEIGHT, "quality": QUALITY, "seed": seed}
    if marker.exists() and json.loads(marker.read_text()) == spec:
        return folder
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.jpg"):
        stale.unlink()
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        cells = rng.integers(0, 256, (NOISE_CELLS, NOISE_CELLS, 3), dtype=np.uint8)
        smooth = Image.fromarray(cells, "RGB").resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
        grain = rng.normal(0.0, 4.0, (HEIGHT, WIDTH, 3))
        pixels = np.clip(np.asarray(smooth, np.float64) + grain, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(folder / FILE_PATTERN.format(i), quality=QUALITY)
    marker.write_text(json.dumps(spec) + "\n")
    return folder


def pillow_rgb(content: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(content)) as img:
        return np.asarray(img.convert("RGB"))


def pillow_pixels(content: Any) -> Any:
    """For the decode-only pandas UDF: the file's RGB pixels as bytes."""
    import pandas as pd

    return pd.Series([pillow_rgb(bytes(c)).tobytes() for c in content])


def pillow_model_input(content: bytes, size: int) -> np.ndarray:
    """A file as the model takes it: Pillow's RGB, resized as sparkdl resizes (area: BOX)."""
    from PIL import Image

    with Image.open(io.BytesIO(content)) as img:
        resized = img.convert("RGB").resize((size, size), Image.Resampling.BOX)
        return np.asarray(resized, np.float32)


def featurize_files(name: str, seed: int) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The scalar-iterator pandas UDF's body: the worker's Keras model made once, then each
    Arrow batch of files decoded by Pillow, resized, run 64 images a call."""
    from sparkdl import models

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        from sparkdl_bench import models as bench_models

        if (name, seed) not in ft._WORKER_MODELS:
            bench_models.set_worker_threads()
            ft._WORKER_MODELS[(name, seed)] = ft.keras_features(name, seed)
        predict = ft._WORKER_MODELS[(name, seed)]
        size = models.input_size(name)[0]
        for content in batches:
            out = []
            for i in range(0, len(content), BATCH_SIZE):
                chunk = content.iloc[i : i + BATCH_SIZE]
                x = np.stack([pillow_model_input(bytes(c), size) for c in chunk])
                out.extend(list(predict(x)))
            yield pd.Series(out)

    return run


class PhotoMethods:
    """Every photos method over one folder; the named model's store entry made once."""

    def __init__(self, spark: SparkSession, folder: Path, slots: int) -> None:
        self.spark, self.folder, self.slots = spark, str(folder), slots
        self.files = sorted(folder.glob("*.jpg"))
        self.name: str | None = None
        self.resized: DataFrame | None = None  # the model's input, held: sparkdl_model's

    # ---- decode only ----------------------------------------------------------------------

    def read_images(self, path: str | None = None) -> DataFrame:
        from sparkdl.image import readImages

        return readImages(path or self.folder)

    def sparkdl_binary_file(self) -> DataFrame:
        """sparkdl's decoder over the same ``binaryFile`` read as the Pillow UDF's: Spark lists
        the folder, where readImages lists it on the driver and hands Spark the listing."""
        from sparkdl.image import decode

        files = self.spark.read.format("binaryFile").load(self.folder)
        return files.select("path", decode("content", "path").alias("image"))

    def pillow_udf(self) -> DataFrame:
        from pyspark.sql.functions import PandasUDFType, pandas_udf

        udf = pandas_udf(pillow_pixels, BinaryType(), PandasUDFType.SCALAR)
        files = self.spark.read.format("binaryFile").load(self.folder)
        return files.select("path", udf("content").alias("pixels"))

    def image_source(self, path: str | None = None) -> DataFrame:
        return self.spark.read.format("image").load(path or self.folder)

    def pillow_plain(self) -> float:
        start = time.perf_counter()
        for p in self.files:
            pillow_rgb(p.read_bytes())
        return time.perf_counter() - start

    def decode_jobs(self) -> dict[str, Callable[[], float]]:
        return {
            "sparkdl": noop_job(self.read_images),
            "sparkdl_binary_file": noop_job(self.sparkdl_binary_file),
            "pillow_udf": noop_job(self.pillow_udf),
            "image_source": noop_job(self.image_source),
            "pillow_plain": self.pillow_plain,
        }

    # ---- the main job ---------------------------------------------------------------------

    def use_model(self, name: str, seed: int, store: str) -> None:
        from sparkdl import models
        from sparkdl.ml import DeepImageFeaturizer

        self.resized = None  # the last model's input: its blocks go with it (ContextCleaner)
        models.prepare(name, weights="random", seed=seed, store=store)
        self.spark.conf.set("spark.sparkdl.modelStore", store)
        self.name, self.seed = name, seed
        self.size = models.input_size(name)[0]
        self.stage = DeepImageFeaturizer(
            inputCol="image", outputCol=ft.OUTPUT, modelName=name, batchSize=BATCH_SIZE
        )
        self.predict = ft.keras_features(name, seed)

    def sparkdl(self, path: str | None = None) -> DataFrame:
        # The peers' output, origin and features: the images themselves are not written out.
        out = self.stage.transform(self.read_images(path))
        return out.select(out.image.origin.alias("origin"), ft.OUTPUT)

    def sparkdl_resize(self) -> DataFrame:
        from sparkdl.image import createResizeImageUDF

        resize = createResizeImageUDF((self.size, self.size))
        return self.read_images().select("origin", resize("image").alias("image"))

    def sparkdl_model(self) -> DataFrame:
        """The model step alone: the featurizer over the images already decoded and resized,
        held in memory. Its rate is what sparkdl would reach if decoding and resizing cost
        nothing: the ceiling of any decoder's gain against a peer running the same model."""
        if self.resized is None:
            # Checkpointed, not cached: a cached plan would also answer sparkdl_resize's job.
            self.resized = self.sparkdl_resize().localCheckpoint()
        out = self.stage.transform(self.resized)
        return out.select(out.image.origin.alias("origin"), ft.OUTPUT)

    def pillow_keras_udf(self, path: str | None = None) -> DataFrame:
        from pyspark.sql.functions import PandasUDFType, pandas_udf

        udf = pandas_udf(
            featurize_files(self.name, self.seed), ArrayType(FloatType()), PandasUDFType.SCALAR_ITER
        )
        files = self.spark.read.format("binaryFile").load(path or self.folder)
        return files.select(files.path.alias("origin"), udf("content").alias(ft.OUTPUT))

    def predict_batch_udf(self, path: str | None = None) -> DataFrame:
        from pyspark.ml.functions import predict_batch_udf

        udf = predict_batch_udf(
            functools.partial(ft.make_predict_fn, self.name, self.seed),
            return_type=ArrayType(FloatType()),
            batch_size=BATCH_SIZE,
        )
        df = self.image_source(path)
        fields = [f"image.{f}" for f in ("height", "width", "nChannels", "data")]
        return df.select("image.origin", udf(*fields).alias(ft.OUTPUT))

    def main_jobs(self, keys: list[str]) -> dict[str, Callable[[], float]]:
        frames = {
            "sparkdl": self.sparkdl,
            "pillow_keras_udf": self.pillow_keras_udf,
            "predict_batch_udf": self.predict_batch_udf,
            "sparkdl_decode": self.read_images,
            "sparkdl_resize": self.sparkdl_resize,
            "sparkdl_model": self.sparkdl_model,
        }
        return {k: noop_job(frames[k]) for k in keys}

    def check(self, count: int = 4) -> dict[str, float]:
        """Max |method - Keras on Pillow's pixels| / max |Keras| over the first ``count`` photos.
        sparkdl and the Pillow UDF must be within :data:`featurizer.TOLERANCE` (both decode as
        Pillow does); the image source decodes with javax.imageio, whose JPEG pixels differ by a
        few levels, so its difference is reported, not enforced."""
        first = self.files[:count]
        glob = str(
            Path(self.folder) / FILE_PATTERN.replace("{:05d}", "0000[0-" + str(count - 1) + "]")
        )
        x = np.stack([pillow_model_input(p.read_bytes(), self.size) for p in first])
        expected = dict(zip([p.name for p in first], self.predict(x), strict=True))
        scale = max(float(np.abs(np.stack(list(expected.values()))).max()), 1.0)
        diffs = {}
        for key, frame, col in (
            ("sparkdl", self.sparkdl, "origin"),
            ("pillow_keras_udf", self.pillow_keras_udf, "origin"),
            ("predict_batch_udf", self.predict_batch_udf, "origin"),
        ):
            rows = frame(glob).select(col, ft.OUTPUT).collect()
            got = {
                Path(r[0]).name: np.asarray(
                    getattr(r[1], "toArray", lambda r=r: r[1])(), np.float32
                )
                for r in rows
            }
            if sorted(got) != sorted(expected):
                raise SystemExit(f"bench: photos: {key} returned {sorted(got)}")
            diff = max(float(np.max(np.abs(got[n] - expected[n]))) for n in expected) / scale
            if key != "predict_batch_udf" and diff > ft.TOLERANCE:
                raise SystemExit(
                    f"bench: photos: {MAIN_METHODS[key]} on {self.name} differs from Keras on "
                    f"Pillow's pixels by {diff:.3g} of the largest feature; refusing to time it"
                )
            diffs[key] = diff
        return diffs


def noop_job(frame: Callable[[], DataFrame]) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        frame().write.format("noop").mode("overwrite").save()
        return time.perf_counter() - start

    return run
