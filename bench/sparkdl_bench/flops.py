"""Floating-point work per row of a Keras model, for GFLOP/s next to rows/s.

Counted: 2 x the multiply-adds of every Dense and Conv2D layer (one multiply and one add each),
read from the built model's layers and shapes, so the figure follows any change to a model.
Not counted: biases, activations, pooling, softmax, reshapes (a few operations per output
value: under 1% of the count on the bench's mlp and cnn, ~3% on tiny's single Dense 1).
"""

from __future__ import annotations

import math
from typing import Any


def multiply_adds(layer: Any) -> int:
    """Multiply-adds of one input row through ``layer`` (0 for layers not counted)."""
    import tensorflow as tf

    if isinstance(layer, tf.keras.layers.Dense):
        kernel = layer.kernel.shape  # [inputs, units], applied at every leading position
        positions = math.prod(int(d) for d in layer.output.shape[1:-1])
        return positions * int(kernel[0]) * int(kernel[1])
    if isinstance(layer, tf.keras.layers.Conv2D) and not isinstance(
        layer, tf.keras.layers.Conv2DTranspose
    ):
        kh, kw, cin_per_group, cout = (int(d) for d in layer.kernel.shape)
        out_h, out_w = (int(d) for d in layer.output.shape[1:3])
        return out_h * out_w * cout * kh * kw * cin_per_group
    return 0


def flops_per_row(model: Any) -> int:
    """2 x the multiply-adds of ``model``'s Dense and Conv2D layers for one input row."""
    return 2 * sum(multiply_adds(layer) for layer in model.layers)


def gflops(rows_per_s: float, flops: int) -> float:
    """GFLOP/s at ``rows_per_s`` rows/s of ``flops`` each."""
    return rows_per_s * flops / 1e9
