"""Image grids written as PNG files (matplotlib, Agg: no screen needed)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .layout import square_grey


def image_shape_of(model) -> tuple[int, ...] | None:
    """(H, W) or (C, H, W) of the images a model works on, or None for non-image data.

    Known from image arrays or ``image_shape`` at fit; otherwise a square number of
    features is taken for a square grey image, as ``architecture="conv"`` does.
    """
    shape = getattr(model, "input_shape_", None) or getattr(model, "image_shape_", None)
    if shape is not None:
        return tuple(shape)
    grid = square_grey(model.n_features_in_)
    return None if grid is None else grid[1:]


def _displayable(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    image = image.reshape(shape)
    if image.ndim != 3:
        return image
    if image.shape[0] == 3:  # (3, H, W): RGB, channels last for imshow
        return np.moveaxis(image, 0, -1)
    if image.shape[-1] == 3:  # (H, W, 3) as the data came in
        return image
    return image[0]  # grey, or the first channel of anything else


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _scaled(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] as they are; any other range stretched to [0, 1] as a whole."""
    lo, hi = float(images.min()), float(images.max())
    if lo >= 0 and hi <= 1:
        return images
    return (images - lo) / (hi - lo if hi > lo else 1.0)


def save_image_grid(path: str | Path, images: np.ndarray, shape: tuple[int, ...]) -> None:
    """Save ``images`` (n, ...) as a near-square grid of tiles of ``shape``."""
    plt = _pyplot()
    images = _scaled(np.asarray(images, dtype=np.float64))
    n = len(images)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            ax.imshow(_displayable(images[i], shape), cmap="gray_r", vmin=0, vmax=1)
    fig.tight_layout(pad=0.2)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_reconstructions(path: Path, rows: dict[str, np.ndarray], image_shape=(8, 8)) -> None:
    """Save a grid: one row of images per entry of ``rows`` (title -> images)."""
    plt = _pyplot()
    n = len(next(iter(rows.values())))
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.9, len(rows) * 1.1), squeeze=False)
    for r, (title, images) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(_displayable(images[c], image_shape), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
