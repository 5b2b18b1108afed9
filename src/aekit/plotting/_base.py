"""What every Display shares: an axes to draw on, image tiles, the model inside a wrapper."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..figures import _displayable, image_shape_of
from ..modality import autoencoder_of

__all__ = ["autoencoder_of", "axes_or_new", "image_shape_or_error", "mosaic", "pictures_shape"]


def axes_or_new(ax: Any = None) -> Any:
    """``ax``, or the axes of a new pyplot figure (the user's backend is left alone)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def pictures_shape(model: Any) -> tuple[int, ...] | None:
    """(H, W) or (C, H, W) when ``model`` works on images: it was given image arrays or
    ``image_shape``, or it has a square number (8x8 or more) of features; else None."""
    if getattr(model, "table_", None) is not None or not hasattr(model, "n_features_in_"):
        return None
    known = getattr(model, "input_shape_", None) or getattr(model, "image_shape_", None)
    if known is not None or model.n_features_in_ >= 64:
        return image_shape_of(model)
    return None


def image_shape_or_error(model: Any, what: str) -> tuple[int, ...]:
    """(H, W) or (C, H, W) of ``model``'s images; a ValueError naming ``what`` otherwise."""
    shape = pictures_shape(model)
    if shape is None:
        raise ValueError(
            f"{what} draws images, and {type(model).__name__} was not fitted on images "
            "(give image_shape at fit, or use image arrays)."
        )
    return shape


def mosaic(
    rows: list[np.ndarray], shape: tuple[int, ...], gap: int = 1, *, unit: bool = True
) -> np.ndarray:
    """One picture of image rows: ``rows[r][c]`` (flat or shaped like ``shape``) at row r,
    column c, with ``gap`` blank pixels between tiles. With ``unit``, values outside
    [0, 1] are scaled into it together (originals and reconstructions share one grey
    scale) and gaps are white; without, values stay as they are and gaps are NaN."""
    tiles = [
        [_displayable(np.asarray(img, dtype=np.float64), shape) for img in row] for row in rows
    ]
    first = tiles[0][0]
    h, w = first.shape[:2]
    cols = max(len(row) for row in tiles)
    out = np.full((len(tiles) * (h + gap) - gap, cols * (w + gap) - gap, *first.shape[2:]), np.nan)
    for r, row in enumerate(tiles):
        for c, img in enumerate(row):
            out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = img
    if not unit:
        return out
    lo, hi = np.nanmin(out), np.nanmax(out)
    if lo < 0 or hi > 1:
        out = (out - lo) / (hi - lo if hi > lo else 1.0)
    return np.nan_to_num(out, nan=1.0 if out.ndim == 3 else 0.0)


def row_centres(n_rows: int, height: int, gap: int = 1) -> list[float]:
    """Pixel rows at the middle of each tile row of a :func:`mosaic` (for tick labels)."""
    return [r * (height + gap) + (height - 1) / 2 for r in range(n_rows)]
