"""Type aliases shared by the package, defined once.

``IntArray`` and ``FloatArray`` are the NumPy arrays the engine passes around (int64 counts and
indices, float64 probabilities, weights and rows). ``Progress`` is the optional callback that
column-generation runs call with ``(stage, iteration, current_value, upper_bound)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "FloatArray", "IntArray", "Progress"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[str, int, float, float], None]
