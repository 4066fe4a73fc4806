"""Streaming (docs/guide/streaming.md): image files arriving in a folder, featurized by
DeepImageFeaturizer as they come, written to Parquet; the query stops and restarts from its
checkpoint without losing or repeating a file. Seeded random weights, so it runs offline.

Run: python examples/python/streaming.py
"""

import os
import tempfile
from pathlib import Path

import numpy as np
import sparkdl
from PIL import Image
from pyspark.sql import functions as F
from sparkdl import DeepImageFeaturizer, models

with tempfile.TemporaryDirectory() as tmp:
    tmp = Path(tmp)
    store, incoming = tmp / "store", tmp / "incoming"
    sink, checkpoint = tmp / "features", tmp / "checkpoint"
    incoming.mkdir()
    models.prepare("MobileNetV2", weights="random", seed=0, store=str(store))
    os.environ["SPARKDL_MODEL_STORE"] = str(store)
    spark = sparkdl.session()
    rng = np.random.default_rng(0)

    def arrive(first: int, count: int) -> None:
        for i in range(first, first + count):
            pixels = rng.integers(0, 256, (160, 200, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(incoming / f"photo_{i:03d}.png")

    featurizer = DeepImageFeaturizer(
        inputCol="image", outputCol="features", modelName="MobileNetV2"
    )

    def run(schema) -> None:
        # Spark's image source reads new files as they appear; sparkdl's stage is a node of the
        # stream's plan, so each micro-batch runs the model on the executors.
        stream = spark.readStream.format("image").schema(schema).load(str(incoming))
        query = (
            featurizer.transform(stream)
            .select(F.col("image.origin").alias("origin"), "features")
            .writeStream.format("parquet")
            .option("checkpointLocation", str(checkpoint))
            .trigger(availableNow=True)  # what has arrived, then stop
            .start(str(sink))
        )
        query.awaitTermination()

    arrive(0, 6)
    schema = spark.read.format("image").load(str(incoming)).schema  # a stream needs its schema
    run(schema)
    arrive(6, 4)
    run(schema)  # restarts from the checkpoint: only the four new files

    written = spark.read.parquet(str(sink))
    batch = featurizer.transform(spark.read.format("image").load(str(incoming)))
    streamed = {r.origin: r.features.toArray() for r in written.collect()}
    expected = {r.image.origin: r.features.toArray() for r in batch.collect()}
    assert sorted(streamed) == sorted(expected) and len(streamed) == 10, "a file lost or repeated"
    assert all(np.allclose(streamed[o], expected[o], atol=1e-5) for o in expected)
    spark.stop()

print(
    f"streaming: {len(streamed)} images featurized by DeepImageFeaturizer over two runs of a "
    "file stream restarted from its checkpoint; equal to the same files in batch"
)
