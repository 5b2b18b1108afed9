"""Image layout: the one rule for which shape is behind a row of pixels."""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any


def square_grey(n_features: int) -> tuple[int, int, int] | None:
    """``(1, side, side)`` when ``n_features`` is a square number, else None: flat rows
    of a square number of features are taken for square grey images."""
    side = math.isqrt(n_features)
    return (1, side, side) if side * side == n_features else None


def as_chw(shape: Any) -> tuple[int, int, int]:
    """``(H, W)`` or ``(C, H, W)`` of positive ints as ``(C, H, W)``; a ValueError otherwise."""
    if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in shape):
        raise ValueError(f"image_shape must hold ints; got {shape!r}.")
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (H, W) or (C, H, W) of positive ints; got {shape}.")
    return shape
