"""Pictures out: image sheets and PNG bytes (Pillow)."""

from __future__ import annotations

import io

import numpy as np


def grid(images: np.ndarray, columns: int | None = None, gap: int = 2) -> np.ndarray:
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


def png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image).save(buffer, "PNG")
    return buffer.getvalue()
