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


def sample_layout(shape: tuple[int, ...], channels_first: bool) -> tuple[tuple[int, ...], bool]:
    """The network's ``(C, H, W)`` (or the flat shape) of samples of ``shape``, and
    whether they come channels-last.

    The rule, the same everywhere: 2-D samples are grey ``(H, W)``; 3-D samples whose
    last axis is 1, 3 or 4 are channels-last ``(H, W, C)`` (as numpy, PIL and matplotlib
    hold images), channels-first ``(C, H, W)`` only when ``channels_first`` says so; any
    other 3-D shape is a ValueError naming the setting. Other shapes are not images.
    """
    if len(shape) == 2:
        return (1, *shape), False
    if len(shape) != 3:
        return shape, False
    if channels_first:
        return shape, False
    if shape[-1] in (1, 3, 4):
        return (shape[2], shape[0], shape[1]), True
    raise ValueError(
        f"image arrays of shape (n, {', '.join(map(str, shape))}): the last axis ({shape[-1]}) "
        "is not 1, 3 or 4 channels, so they are not channels-last (H, W, C) images; if the "
        f"first axis ({shape[0]}) holds the channels, pass channels_first=True."
    )


def image_shape_of(model, smallest_guess: int = 1) -> tuple[int, ...] | None:
    """(H, W) or (C, H, W) of the images a fitted array model works on, or None.

    The shape the samples came in (image arrays) or ``image_shape``; otherwise the grid
    decided at fit (flat rows of a square number of features: square grey images), when
    the rows hold at least ``smallest_guess`` features.
    """
    shape = model.input_shape_ or model.input_.image_shape  # as they came, or the network's
    if shape is not None:
        return tuple(shape)
    grid = model._pixel_grid()
    return None if grid is None or model.n_features_in_ < smallest_guess else grid[1:]
