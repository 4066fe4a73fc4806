"""The small Keras model and data the training tests share: an MLP over 8 features into 3
classes, and Gaussian blobs it can learn (the same seed gives the same rows)."""

from __future__ import annotations

import keras
import numpy as np


def mlp(hidden: int = 16) -> keras.Model:
    """8 -> hidden (relu) -> 3 (softmax), its weights fixed by seed 1."""
    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((8,), name="x"),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])


def blobs(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` float32 rows of 8 features around 3 centres, with one-hot float32 labels."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(3, 8)).astype(np.float32)
    labels = rng.integers(0, 3, n)
    x = (centers[labels] + rng.normal(size=(n, 8))).astype(np.float32)
    return x, np.eye(3, dtype=np.float32)[labels]
