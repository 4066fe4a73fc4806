"""sparkdl operations on streaming DataFrames: every stage and map_blocks/map_rows as a node of
Spark's plan, on a file source with a checkpoint, equal to the same rows in batch."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from sparkdl import models
from sparkdl import tensorframes as tfs
from sparkdl.ml import DeepImageFeaturizer, KerasTransformer, TFTransformer
from sparkdl.model import TFModel

SCHEMA = "id long, features array<float>"


@pytest.fixture(scope="module")
def mlp() -> keras.Model:
    keras.utils.set_random_seed(5)
    return keras.Sequential([
        keras.Input((4,), name="x"),
        keras.layers.Dense(6, activation="relu"),
        keras.layers.Dense(2),
    ])


def _write(spark, folder: Path, first: int, count: int, nulls: bool = False) -> None:
    rng = np.random.default_rng(first)
    rows = [
        (i, None if nulls and i % 3 == 0 else [float(v) for v in rng.normal(size=4)])
        for i in range(first, first + count)
    ]
    spark.createDataFrame(rows, SCHEMA).coalesce(1).write.mode("append").parquet(str(folder))


def _stream_twice(spark, tmp_path: Path, transform, nulls: bool = False) -> DataFrame:
    """Streams two files' worth of rows through `transform` to a Parquet sink, stopping after
    the first and restarting from the checkpoint; returns what the sink holds."""
    source, sink, checkpoint = tmp_path / "in", tmp_path / "out", tmp_path / "checkpoint"

    def run_once():
        stream = spark.readStream.schema(SCHEMA).parquet(str(source))
        out = transform(stream)
        assert out.isStreaming
        query = (
            out.writeStream.format("parquet")
            .option("checkpointLocation", str(checkpoint))
            .trigger(availableNow=True)
            .start(str(sink))
        )
        query.awaitTermination()
        assert query.exception() is None

    _write(spark, source, 0, 30, nulls)
    run_once()
    _write(spark, source, 30, 45, nulls)
    run_once()
    return spark.read.parquet(str(sink))


def _as_batch(spark, tmp_path: Path, transform) -> DataFrame:
    return transform(spark.read.schema(SCHEMA).parquet(str(tmp_path / "in")))


def _rows(df: DataFrame, column: str) -> dict[int, np.ndarray | None]:
    out = {}
    for r in df.select("id", column).collect():
        value = r[column]
        out[r.id] = None if value is None else np.asarray(
            value.toArray() if hasattr(value, "toArray") else value, np.float64
        )
    return out


def _assert_stream_equals_batch(streamed: dict, batch: dict, count: int) -> None:
    assert sorted(streamed) == sorted(batch), "rows lost or written twice across the restart"
    assert len(streamed) == count
    for i, value in batch.items():
        if value is None:
            assert streamed[i] is None
        else:
            np.testing.assert_allclose(streamed[i], value, rtol=1e-6)


def test_keras_transformer_on_a_stream_equals_batch_and_keras(spark, tmp_path, mlp):
    stage = KerasTransformer(model=mlp, inputCol="features", outputCol="scores")
    streamed = _rows(_stream_twice(spark, tmp_path, stage.transform), "scores")
    batch_df = _as_batch(spark, tmp_path, stage.transform)
    batch = _rows(batch_df, "scores")
    _assert_stream_equals_batch(streamed, batch, 75)
    ids = sorted(batch)
    ordered = batch_df.orderBy("id").select("features").collect()
    features = np.stack([np.asarray(r.features, np.float32) for r in ordered])
    expected = mlp.predict(features, verbose=0)
    np.testing.assert_allclose(np.stack([streamed[i] for i in ids]), expected, atol=1e-5)


def test_tf_transformer_on_a_stream_skips_invalid_rows(spark, tmp_path, mlp):
    stage = TFTransformer(
        model=TFModel.from_keras(mlp),
        inputMapping={"features": "x"},
        outputMapping={"output_0": "scores"},
        handleInvalid="skip",
    )
    streamed = _rows(_stream_twice(spark, tmp_path, stage.transform, nulls=True), "scores")
    batch = _rows(_as_batch(spark, tmp_path, stage.transform), "scores")
    _assert_stream_equals_batch(streamed, batch, 50)  # 75 rows, every third one null


def test_map_blocks_and_map_rows_on_a_stream(spark, tmp_path):
    def doubled(features):
        return {"twice": features * 2.0}

    def both(df):
        blocks = tfs.map_blocks(doubled, df)
        return tfs.map_rows(lambda twice: {"total": tf.reduce_sum(twice)}, blocks)

    streamed = _stream_twice(spark, tmp_path, both)
    batch = both(spark.read.schema(SCHEMA).parquet(str(tmp_path / "in")))
    _assert_stream_equals_batch(_rows(streamed, "twice"), _rows(batch, "twice"), 75)
    got = {r.id: r.total for r in streamed.collect()}
    want = {r.id: 2 * sum(r.features) for r in batch.collect()}
    for i in want:
        assert got[i] == pytest.approx(want[i], rel=1e-5)


def test_a_stage_on_a_stream_runs_as_a_plan_node_with_metrics(spark, tmp_path, mlp):
    stage = KerasTransformer(model=mlp, inputCol="features", outputCol="scores")
    _write(spark, tmp_path / "in", 0, 20)
    stream = spark.readStream.schema(SCHEMA).parquet(str(tmp_path / "in"))
    query = (
        stage.transform(stream).writeStream.format("memory").queryName("scored_stream")
        .trigger(availableNow=True).start()
    )
    query.awaitTermination()
    assert spark.table("scored_stream").count() == 20
    assert query.lastProgress["numInputRows"] == 20
    execution = query._jsq.streamingQuery().lastExecution()  # the last micro-batch's plans
    assert "ModelBlocks KerasTransformer" in execution.executedPlan().toString()
    assert "LogicalRDD" not in execution.analyzed().toString()


def test_image_files_stream_into_deep_image_featurizer(spark, tmp_path):
    store = tmp_path / "store"
    spark.conf.set("spark.sparkdl.modelStore", str(store))
    try:
        models.prepare("MobileNetV2", weights="random", seed=0, store=str(store))
        images, sink = tmp_path / "images", tmp_path / "features"
        checkpoint = tmp_path / "checkpoint"
        images.mkdir()
        rng = np.random.default_rng(1)

        def add(names):
            for name in names:
                pixels = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(images / name)

        featurizer = DeepImageFeaturizer(
            inputCol="image", outputCol="features", modelName="MobileNetV2"
        )

        def run_once():
            stream = spark.readStream.format("image").schema(
                spark.read.format("image").load(str(images)).schema
            ).load(str(images))
            query = (
                featurizer.transform(stream)
                .select(F.col("image.origin").alias("origin"), "features")
                .writeStream.format("parquet")
                .option("checkpointLocation", str(checkpoint))
                .trigger(availableNow=True)
                .start(str(sink))
            )
            query.awaitTermination()
            assert query.exception() is None

        add(["a.png", "b.png"])
        run_once()
        add(["c.png"])
        run_once()
        streamed = {r.origin: r.features.toArray() for r in spark.read.parquet(str(sink)).collect()}
        batch_df = featurizer.transform(spark.read.format("image").load(str(images)))
        batch = {r.image.origin: r.features.toArray() for r in batch_df.collect()}
        assert sorted(streamed) == sorted(batch) and len(batch) == 3
        for origin, features in batch.items():
            np.testing.assert_allclose(streamed[origin], features, rtol=1e-5, atol=1e-6)
    finally:
        spark.conf.unset("spark.sparkdl.modelStore")


def test_a_query_stopped_mid_stream_restarts_without_loss_or_repeats(spark, tmp_path, mlp):
    """Stopped by its listener while micro-batches are still to run, then run to the end from
    its checkpoint: the file sink holds every input row once, equal to batch."""
    source, sink, checkpoint = tmp_path / "in", tmp_path / "out", tmp_path / "checkpoint"
    for first in range(0, 60, 10):  # six files: one micro-batch each
        _write(spark, source, first, 10)
    stage = KerasTransformer(model=mlp, inputCol="features", outputCol="scores")

    def start(trigger: dict):
        stream = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1)
        stream = stream.parquet(str(source))
        return (
            stage.transform(stream).writeStream.format("parquet")
            .option("checkpointLocation", str(checkpoint))
            .trigger(**trigger)
            .start(str(sink))
        )

    first = start({"processingTime": "0 seconds"})
    # Waits for the first committed micro-batch, then stops the query wherever the next one is
    # (planned, running, or writing): whatever the point, the restart must neither lose nor
    # repeat a row.
    while first.lastProgress is None or first.lastProgress["numInputRows"] == 0:
        assert not first.awaitTermination(0.05), f"the query ended: {first.exception()}"
    first.stop()
    second = start({"availableNow": True})
    second.awaitTermination()
    streamed = _rows(spark.read.parquet(str(sink)), "scores")
    batch = _rows(_as_batch(spark, tmp_path, stage.transform), "scores")
    _assert_stream_equals_batch(streamed, batch, 60)


@pytest.mark.parametrize("handle_invalid", ["error", "keep"])
def test_invalid_rows_on_a_stream(spark, tmp_path, mlp, handle_invalid):
    stage = KerasTransformer(
        model=mlp, inputCol="features", outputCol="scores", handleInvalid=handle_invalid
    )
    if handle_invalid == "keep":
        streamed = _rows(_stream_twice(spark, tmp_path, stage.transform, nulls=True), "scores")
        batch = _rows(_as_batch(spark, tmp_path, stage.transform), "scores")
        _assert_stream_equals_batch(streamed, batch, 75)
        assert sum(v is None for v in streamed.values()) == 25
        return
    _write(spark, tmp_path / "in", 0, 9, nulls=True)
    stream = spark.readStream.schema(SCHEMA).parquet(str(tmp_path / "in"))
    query = (
        stage.transform(stream).writeStream.format("memory").queryName("invalid_rows")
        .trigger(availableNow=True).start()
    )
    with pytest.raises(Exception) as failure:
        query.awaitTermination()
    message = str(failure.value)
    assert "KerasTransformer" in message and "inputCol column 'features'" in message, message
    assert "null" in message, message
