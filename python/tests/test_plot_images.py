"""sparkdl.plot.image_grid: the PNG it writes, read back pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from pyspark.ml.linalg import Vectors
from pyspark.sql import Row
from sparkdl.image import imageArrayToStruct
from sparkdl.plot import image_grid

CELL = 64
GREEN, RED = (0, 120, 0), (200, 0, 0)


def _solid(rgb, height=20, width=30):
    """A solid image as a Spark image struct (stored BGR, as Spark's image source does)."""
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[...] = rgb[::-1]
    return imageArrayToStruct(pixels)


def _cell(png, index, columns, caption=16):
    """The image square and the caption strip of cell ``index``."""
    x, y = (index % columns) * CELL, (index // columns) * (CELL + caption)
    return (
        np.asarray(png)[y : y + CELL, x : x + CELL],
        np.asarray(png)[y + CELL : y + CELL + caption, x : x + CELL],
    )


def _has(strip, rgb):
    return bool(np.all(strip == rgb, axis=-1).any())


def test_images_labels_and_predictions_drawn_in_place(tmp_path):
    colours = [(255, 0, 0), (0, 0, 255), (10, 200, 30), (250, 250, 0), (0, 0, 0)]
    rows = [
        Row(image=_solid(c), label=float(i % 2), prediction=float(i % 3 == 0))
        for i, c in enumerate(colours)
    ]
    out = image_grid(
        rows,
        tmp_path / "sub" / "grid.png",
        label_col="label",
        prediction_col="prediction",
        class_names=["cat", "dog"],
        columns=2,
        cell_size=CELL,
    )
    png = Image.open(out)
    assert png.format == "PNG" and png.size == (2 * CELL, 3 * (CELL + 16))
    png = png.convert("RGB")
    for i, colour in enumerate(colours):
        square, caption = _cell(png, i, columns=2)
        assert np.all(square == colour), i  # BGR storage shown as the RGB it means
        agree = (i % 3 == 0) == bool(i % 2)
        assert _has(caption, GREEN if agree else RED) and not _has(caption, RED if agree else GREEN)
    # The cell after the last image stays white.
    assert np.all(_cell(png, 5, columns=2)[0] == 255)


def test_a_spark_dataframe_limit_arrays_and_probability_vectors(spark, tmp_path):
    grey = np.full((8, 8), 90, np.uint8)
    df = spark.createDataFrame(
        [Row(image=_solid((0, 255, 0)), y="b", p=Vectors.dense([0.1, 0.9]))] * 3
    )
    out = image_grid(
        df,
        tmp_path / "df.png",
        label_col="y",
        prediction_col="p",
        class_names={1: "b"},
        cell_size=CELL,
        limit=2,
    )
    png = Image.open(out).convert("RGB")
    assert png.size == (2 * CELL, CELL + 16)
    square, caption = _cell(png, 1, columns=6)
    assert np.all(square == (0, 255, 0)) and _has(caption, GREEN)

    out = image_grid([{"image": grey}], tmp_path / "plain.png", cell_size=CELL)
    png = Image.open(out).convert("RGB")
    assert png.size == (CELL, CELL)  # no captions: no caption strip
    assert np.all(np.asarray(png) == 90)


def test_errors_name_the_column_and_row(spark, tmp_path):
    df = spark.createDataFrame([Row(image=_solid((1, 2, 3)), label=1.0)])
    with pytest.raises(ValueError, match="DataFrame has no column 'pred'; its columns are image"):
        image_grid(df, tmp_path / "x.png", prediction_col="pred")
    with pytest.raises(ValueError, match="row 1 has no column 'label'"):
        image_grid(
            [{"image": np.zeros((2, 2), np.uint8), "label": 0}, {"image": 1}],
            tmp_path / "x.png",
            label_col="label",
        )
    with pytest.raises(TypeError, match="column 'image' row 0 holds a str"):
        image_grid([{"image": "cat.png"}], tmp_path / "x.png")
    with pytest.raises(TypeError, match=r"column 'image' row 0 is an array of float64 \[2, 2\]"):
        image_grid([{"image": np.zeros((2, 2))}], tmp_path / "x.png")
    with pytest.raises(ValueError, match="columns=0; expected a positive int"):
        image_grid(df, tmp_path / "x.png", columns=0)
    with pytest.raises(ValueError, match="no rows to draw"):
        image_grid([], tmp_path / "x.png")
