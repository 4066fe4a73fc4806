"""sparkdl's demo: the original library's transfer-learning example, end to end on local images.

Makes a small labelled image set (three patterns, generated here: nothing is downloaded), reads it
with ``readImages``, fits ``Pipeline([DeepImageFeaturizer, LogisticRegression])`` and reports
accuracy on held-out images, a confusion matrix and the time per stage; writes a PNG sheet of the
test images with predicted and true labels. Uses ImageNet weights when Keras' cache (or
``--weights``) has them, else says plainly that it runs with seeded random weights.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

CLASSES = ["horizontal", "vertical", "checks"]
MODEL = "MobileNetV2"


def make_images(folder: Path, per_class: int, seed: int = 7) -> None:
    """Seeded images of three patterns (stripes across, stripes down, checks) in random colours
    and sizes, with noise, as PNG files named ``<class>_<i>.png``."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(CLASSES):
        for i in range(per_class):
            h, w = rng.integers(96, 200, 2)
            period = int(rng.integers(8, 24))
            yy, xx = np.mgrid[0:h, 0:w]
            if label == 0:
                mask = (yy // period) % 2
            elif label == 1:
                mask = (xx // period) % 2
            else:
                mask = ((yy // period) + (xx // period)) % 2
            a, b = rng.integers(0, 256, (2, 3))
            pixels = np.where(mask[..., None] == 1, a, b) + rng.normal(0, 20, (h, w, 3))
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
            image.save(folder / f"{name}_{i}.png")


def weights_choice(given: str | None) -> tuple[str, str]:
    """The weights to prepare the model with, and a sentence saying which."""
    from sparkdl.models._catalog import spec
    from sparkdl.models._weights import keras_cache_dir

    if given:
        return given, f"ImageNet weights from {given}"
    cached = keras_cache_dir() / spec(MODEL).file_name
    if cached.is_file():  # checked against Keras' hash by prepare; never downloaded here
        return str(cached), f"ImageNet weights from Keras' cache ({cached})"
    return "random", (
        "RANDOM weights (seeded): no ImageNet weights in Keras' cache and none given. For real "
        f"ones: dev/demo --weights <{spec(MODEL).file_name}>, or put that file in "
        f"{keras_cache_dir()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help=f"a {MODEL} ImageNet weights file (Keras' own)")
    parser.add_argument("--per-class", type=int, default=40, help="images per class (default 40)")
    parser.add_argument("--out", default="target/demo", help="where the PNG sheet goes")
    args = parser.parse_args()

    import sparkdl
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.sql import functions as F
    from sparkdl import DeepImageFeaturizer, models, readImages
    from sparkdl.plot import image_grid

    work = Path(tempfile.mkdtemp(prefix="sparkdl-demo-"))
    (work / "images").mkdir()
    make_images(work / "images", args.per_class)
    weights, said = weights_choice(args.weights)
    print(f"== {MODEL} with {said}")
    start = time.monotonic()
    seed = 0 if weights == "random" else None
    models.prepare(MODEL, weights=weights, seed=seed, store=str(work / "store"))
    prepared = time.monotonic() - start

    spark = sparkdl.session(master="local[2]", **{"spark.sparkdl.modelStore": str(work / "store")})
    spark.sparkContext.setLogLevel("ERROR")
    label = F.element_at(F.split(F.element_at(F.split("origin", "/"), -1), "_"), 1)
    index = F.array_position(F.array(*[F.lit(c) for c in CLASSES]), label) - 1
    images = readImages(str(work / "images")).withColumn("label", index.cast("double"))
    train, test = images.randomSplit([2.0, 1.0], seed=11)

    pipeline = Pipeline(stages=[
        DeepImageFeaturizer(inputCol="image", outputCol="features", modelName=MODEL),
        LogisticRegression(maxIter=20, regParam=0.05, elasticNetParam=0.3),
    ])
    start = time.monotonic()
    fitted = pipeline.fit(train)
    fit_time = time.monotonic() - start
    start = time.monotonic()
    rows = fitted.transform(test).select("image", "label", "prediction").collect()
    test_time = time.monotonic() - start

    truth = np.array([int(r.label) for r in rows])
    predicted = np.array([int(r.prediction) for r in rows])
    confusion = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    for t, p in zip(truth, predicted, strict=True):
        confusion[t, p] += 1
    print(f"== {len(rows)} held-out images, accuracy {np.mean(truth == predicted):.3f}")
    print("confusion matrix (rows: true, columns: predicted)")
    print(" " * 12 + "".join(f"{c:>12}" for c in CLASSES))
    for c, counts in zip(CLASSES, confusion, strict=True):
        print(f"{c:>12}" + "".join(f"{n:>12}" for n in counts))
    print(f"== time: prepare {MODEL} {prepared:.1f} s, fit (featurize + LogisticRegression) "
          f"{fit_time:.1f} s, transform the test images {test_time:.1f} s")
    sheet = image_grid(
        rows,
        Path(args.out) / "predictions.png",
        label_col="label",
        prediction_col="prediction",
        class_names=CLASSES,
        limit=36,
    )
    print(f"== wrote {sheet}: test images captioned 'predicted / true'")
    spark.stop()


if __name__ == "__main__":
    main()
