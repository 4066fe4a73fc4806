"""Training curves of several fitted models in one PNG: :func:`training_curves`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["training_curves"]


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
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    named = (
        dict(models_or_histories)
        if isinstance(models_or_histories, Mapping)
        else {f"model {i}": m for i, m in enumerate(models_or_histories)}
    )
    histories = {name: _epochs(m) for name, m in named.items()}
    metrics = sorted(
        {k.removeprefix("val_") for h in histories.values() for e in h for k in e},
        key=lambda k: (k != "loss", k),
    )
    if not metrics:
        raise ValueError("training_curves: the histories are empty")
    figure = Figure(figsize=(5 * len(metrics), 4), layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    drawn: dict[str, list[tuple[str, list[float], list[float]]]] = {}
    for ax, metric in zip(axes, metrics, strict=True):
        for i, (name, history) in enumerate(histories.items()):
            colour = f"C{i % 10}"
            lines = ((metric, "-", name), (f"val_{metric}", "--", f"{name} (val)"))
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
