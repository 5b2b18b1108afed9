"""What every Display shares: an axes to draw on, image tiles, the model inside a wrapper."""

from __future__ import annotations

from typing import Any

from ..modality import autoencoder_of

__all__ = ["autoencoder_of", "axes_or_new", "image_shape_or_error", "pictures_shape"]


def axes_or_new(ax: Any = None) -> Any:
    """``ax``, or the axes of a new pyplot figure (the user's backend is left alone)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def pictures_shape(model: Any) -> tuple[int, ...] | None:
    """(H, W) or (C, H, W) when ``model`` works on pictures, else None: the model says
    (``_picture_shape``, decided by its modality's image rule)."""
    return model._picture_shape()


def image_shape_or_error(model: Any, what: str) -> tuple[int, ...]:
    """(H, W) or (C, H, W) of ``model``'s images; a ValueError naming ``what`` otherwise."""
    shape = pictures_shape(model)
    if shape is None:
        raise ValueError(
            f"{what} draws images, and {type(model).__name__} was not fitted on images "
            "(give image_shape at fit, or use image arrays)."
        )
    return shape
