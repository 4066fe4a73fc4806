"""Pictures of what sparkdl computed, as PNG files.

:func:`image_grid` draws images in a grid, each captioned with its label and prediction (green
when they agree, red when not): a look at a classifier's results that a table cannot give.
:func:`training_curves` draws the training histories of several fitted models (train and
validation curves per metric) in one figure.

Example
-------
>>> from sparkdl.plot import image_grid, training_curves
>>> predictions = model.transform(readImages("/data/test"))
>>> image_grid(predictions, "predictions.png", label_col="label", prediction_col="prediction",
...            class_names=["cat", "dog"])
>>> training_curves([fitted_a, fitted_b], "curves.png")
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sparkdl import _extras
from sparkdl._gen import contract

__all__ = ["image_grid", "training_curves"]

_CAPTION_HEIGHT = 16
_AGREE, _DISAGREE, _PLAIN = (0, 120, 0), (200, 0, 0), (0, 0, 0)


def image_grid(
    rows_or_df: Any,
    path: str | os.PathLike,
    *,
    image_col: str = "image",
    label_col: str | None = None,
    prediction_col: str | None = None,
    class_names: Sequence[str] | Mapping[Any, str] | None = None,
    columns: int = 6,
    cell_size: int = 128,
    limit: int = 36,
) -> Path:
    """Draw images in a grid with their labels and predictions, into a PNG file.

    Each image is resized to a ``cell_size`` square and captioned ``"prediction / label"`` (or
    whichever of the two is given), in green when the two agree and red when they do not.

    Parameters
    ----------
    rows_or_df
        A Spark DataFrame (its first ``limit`` rows are collected) or rows: ``pyspark.sql.Row``
        objects or dicts.
    path
        The PNG file to write; its directory is made if needed.
    image_col
        The column of images: Spark image structs (as :func:`sparkdl.readImages` gives them),
        numpy arrays (height, width[, channels]) of uint8, or PIL images. Default: ``"image"``.
    label_col, prediction_col
        Columns of the true labels and of the predictions: class indices (ints, or floats such as
        Spark ML's predictions), class names, probability vectors (the most probable class is
        shown) or :class:`~sparkdl.DeepImagePredictor`'s decoded predictions (the first one's
        description is shown). Default: none (no caption).
    class_names
        Names of class indices: a list (index -> name) or a mapping. Default: indices as they
        are.
    columns
        Images per row of the grid. Default: 6.
    cell_size
        The side of each image's square, in pixels. Default: 128.
    limit
        The most images drawn. Default: 36.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    _extras.need("PIL", "image_grid")
    from PIL import Image, ImageDraw  # sparkdl[image]

    for name, value in (("columns", columns), ("cell_size", cell_size), ("limit", limit)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"image_grid: {name}={value!r}; expected a positive int")
    wanted = [c for c in (image_col, label_col, prediction_col) if c is not None]
    rows = _rows(rows_or_df, wanted, limit)
    if not rows:
        raise ValueError("image_grid: no rows to draw")
    captioned = label_col is not None or prediction_col is not None
    cell_height = cell_size + (_CAPTION_HEIGHT if captioned else 0)
    grid_rows = (len(rows) + columns - 1) // columns
    sheet = Image.new(
        "RGB", (min(columns, len(rows)) * cell_size, grid_rows * cell_height), "white"
    )
    draw = ImageDraw.Draw(sheet)
    draw.fontmode = "1"  # captions in their exact colour, not antialiased into the white
    for k, row in enumerate(rows):
        x, y = (k % columns) * cell_size, (k // columns) * cell_height
        image = _pil(row[image_col], image_col, k)
        sheet.paste(image.convert("RGB").resize((cell_size, cell_size)), (x, y))
        if captioned:
            caption, colour = _caption(row, label_col, prediction_col, class_names)
            caption = _fitted(draw, caption, cell_size - 4)
            draw.text((x + 2, y + cell_size + 2), caption, fill=colour)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, format="PNG")
    return out


def _fitted(draw: Any, caption: str, width: int) -> str:
    """``caption``, cut short with ".." if needed so that it stays within its cell."""
    if draw.textlength(caption) <= width:
        return caption
    while caption and draw.textlength(caption + "..") > width:
        caption = caption[:-1]
    return caption + ".."


def _rows(rows_or_df: Any, columns: list[str], limit: int) -> list[Mapping[str, Any]]:
    """Up to ``limit`` rows as mappings holding ``columns``; errors name a missing column."""
    from pyspark.sql import DataFrame

    if isinstance(rows_or_df, DataFrame):
        missing = [c for c in columns if c not in rows_or_df.columns]
        if missing:
            raise ValueError(
                f"image_grid: the DataFrame has no column {', '.join(map(repr, missing))}; its "
                f"columns are {', '.join(rows_or_df.columns)}"
            )
        return [r.asDict() for r in rows_or_df.select(*columns).limit(limit).collect()]
    if isinstance(rows_or_df, Mapping | str | bytes) or not isinstance(rows_or_df, Iterable):
        raise TypeError(
            f"image_grid: expected a Spark DataFrame or rows (Row objects or dicts); found a "
            f"{type(rows_or_df).__name__}"
        )
    out = []
    for k, row in enumerate(rows_or_df):
        if len(out) == limit:
            break
        mapping = row.asDict() if hasattr(row, "asDict") else row
        if not isinstance(mapping, Mapping):
            raise TypeError(
                f"image_grid: row {k} is a {type(row).__name__}; expected a Row or a dict"
            )
        missing = [c for c in columns if c not in mapping]
        if missing:
            raise ValueError(
                f"image_grid: row {k} has no column {', '.join(map(repr, missing))}; it has "
                f"{', '.join(map(str, mapping))}"
            )
        out.append(mapping)
    return out


def _pil(value: Any, column: str, k: int) -> Any:
    """An image cell as a PIL image."""
    _extras.need("PIL", "image_grid")
    from PIL import Image

    from sparkdl.image import imageStructToPIL

    if isinstance(value, Image.Image):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype != np.uint8 or value.ndim not in (2, 3):
            raise TypeError(
                f"image_grid: column '{column}' row {k} is an array of "
                f"{value.dtype} {list(value.shape)}; expected uint8 (height, width[, channels])"
            )
        return Image.fromarray(value[..., 0] if value.ndim == 3 and value.shape[2] == 1 else value)
    fields = value.asDict() if hasattr(value, "asDict") else value
    if isinstance(fields, Mapping) and {"mode", "height", "width", "data"} <= set(fields):
        return imageStructToPIL(value)
    raise TypeError(
        f"image_grid: column '{column}' row {k} holds a {type(value).__name__}; expected a Spark "
        "image struct, a uint8 numpy array or a PIL image"
    )


def _caption(
    row: Mapping[str, Any],
    label_col: str | None,
    prediction_col: str | None,
    class_names: Sequence[str] | Mapping[Any, str] | None,
) -> tuple[str, tuple[int, int, int]]:
    """The caption of a row and its colour: green when prediction and label agree."""
    label = None if label_col is None else _class_name(row[label_col], class_names)
    prediction = None if prediction_col is None else _class_name(row[prediction_col], class_names)
    if label is None:
        return (prediction or ""), _PLAIN
    if prediction is None:
        return label, _PLAIN
    return f"{prediction} / {label}", _AGREE if prediction == label else _DISAGREE


def _class_name(value: Any, class_names: Sequence[str] | Mapping[Any, str] | None) -> str:
    """A label or prediction cell as the name of its class."""
    if isinstance(value, list | tuple) and value and hasattr(value[0], "asDict"):
        top = value[0].asDict()  # DeepImagePredictor's decoded predictions, most probable first
        return str(top.get("description", top.get("class")))
    if hasattr(value, "toArray") or isinstance(value, list | tuple | np.ndarray):
        values = np.asarray(value.toArray() if hasattr(value, "toArray") else value)
        value = int(np.argmax(values))  # probabilities: the most probable class
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Spark ML's predictions and labels are doubles
    if class_names is None:
        return str(value)
    if isinstance(class_names, Mapping):
        return str(class_names.get(value, value))
    if isinstance(value, int) and 0 <= value < len(class_names):
        return str(class_names[value])
    return str(value)


def _epochs(source: Any) -> list[dict[str, float]]:
    """A history as a list of per-epoch dicts, from a fitted model or a history itself."""
    history = getattr(source, "history", source)
    if isinstance(history, Mapping):  # Keras' History.history: metric -> list per epoch
        lengths = {len(v) for v in history.values()}
        if len(lengths) > 1:
            raise ValueError(f"training_curves: metrics of unequal lengths in {history!r}")
        epochs = max(lengths, default=0)
        return [{k: float(v[e]) for k, v in history.items()} for e in range(epochs)]
    if isinstance(history, Sequence) and all(isinstance(e, Mapping) for e in history):
        return [{k: float(v) for k, v in e.items()} for e in history]
    raise TypeError(
        "training_curves: expected fitted models with a history (TFEstimatorModel, "
        "KerasImageFileEstimator's transformers), lists of per-epoch dicts or Keras History "
        f"objects; found a {type(source).__name__}"
    )


def training_curves(
    models_or_histories: Sequence[Any] | Mapping[str, Any],
    path: str | os.PathLike,
    *,
    title: str | None = None,
) -> dict[str, list[tuple[str, list[float], list[float]]]]:
    """Plots the training histories of several fitted models into a PNG at ``path``: one panel
    per metric (loss first), a solid line per model for the training rows and a dashed one, same
    colour, for the validation rows (``val_`` figures), epochs on the x axis.

    Parameters
    ----------
    models_or_histories
        Fitted models (anything with ``.history``), histories (lists of per-epoch dicts, as
        ``TFEstimatorModel.history``) or Keras ``History`` objects; a dict names them by its keys,
        a sequence as ``model 0``, ``model 1``, ...
    path
        The PNG to write.
    title
        The figure's title. Default: none.

    Returns
    -------
    dict
        What was drawn, read back from the figure: metric -> ``[(line label, epochs, values)]``.
    """
    _extras.need("matplotlib", "training_curves")
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    named = (
        dict(models_or_histories)
        if isinstance(models_or_histories, Mapping)
        else {f"model {i}": m for i, m in enumerate(models_or_histories)}
    )
    histories = {name: _epochs(m) for name, m in named.items()}
    val = contract.VALIDATION_PREFIX
    metrics = sorted(
        {k.removeprefix(val) for h in histories.values() for e in h for k in e},
        key=lambda k: (k != contract.KEY_LOSS, k),
    )
    if not metrics:
        raise ValueError("training_curves: the histories are empty")
    figure = Figure(figsize=(5 * len(metrics), 4), layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    drawn: dict[str, list[tuple[str, list[float], list[float]]]] = {}
    for ax, metric in zip(axes, metrics, strict=True):
        for i, (name, history) in enumerate(histories.items()):
            colour = f"C{i % 10}"
            lines = ((metric, "-", name), (val + metric, "--", f"{name} (val)"))
            for key, style, label in lines:
                points = [(e + 1, h[key]) for e, h in enumerate(history) if key in h]
                if points:
                    ax.plot(*zip(*points, strict=True), style, color=colour, label=label,
                            marker="o", markersize=3)
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.legend(fontsize="small")
        drawn[metric] = [
            (line.get_label(), [float(x) for x in line.get_xdata()],
             [float(y) for y in line.get_ydata()])
            for line in ax.get_lines()
        ]
    if title:
        figure.suptitle(title)
    figure.savefig(os.fspath(path), format="png", dpi=100)
    return drawn
