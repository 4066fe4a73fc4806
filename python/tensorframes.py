"""``import tensorframes as tfs``: TensorFrames' name for :mod:`sparkdl.tensorframes`.

Programs written for TensorFrames 0.x run on sparkdl unchanged: this module *is*
``sparkdl.tensorframes`` (``tensorframes is sparkdl.tensorframes``), so ``tfs.map_blocks``,
``tfs.block``, ``tfs.reduce_rows``, ... are sparkdl's. See the migration notes in
``sparkdl.tensorframes``' docstring.
"""

import sys

from sparkdl import tensorframes as _tensorframes

sys.modules[__name__] = _tensorframes
