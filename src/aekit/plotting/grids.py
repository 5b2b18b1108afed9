"""Image grids: one picture of many tiles, drawn or written as PNG files (matplotlib,
Agg: no screen needed)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


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


def sheet(images: np.ndarray, columns: int | None = None, gap: int = 2) -> np.ndarray:
    """uint8 images ``(n, H, W, C)`` tiled into one picture, white between them."""
    n, h, w, c = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = -(-n // columns)
    sheet = np.full((rows * (h + gap) + gap, columns * (w + gap) + gap, c), 255, np.uint8)
    for i, image in enumerate(images):
        r, k = divmod(i, columns)
        top, left = gap + r * (h + gap), gap + k * (w + gap)
        sheet[top : top + h, left : left + w] = image
    return sheet
