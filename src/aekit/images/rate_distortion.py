"""Rate and distortion of image codecs: JPEG and WebP by Pillow, points of aekit
codecs, and the Bjøntegaard delta rate between two curves.

Small images in a file each spend most of their bytes on headers, so JPEG and WebP
are measured here on sheets of ``side x side`` images (a short last sheet is filled
with flat grey images, whose bytes count and whose pixels do not): bits per pixel
are the sheets' bytes over the images' own pixels.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..codec import curves
from .quality import psnr, ssim


@dataclass
class Point:
    """One operating point: bits per pixel and the mean per-image PSNR and SSIM."""

    setting: float  # quality for JPEG / WebP, rate_weight for a codec
    bpp: float
    psnr: float
    ssim: float


def measure(setting: float, n_bytes: int, original: np.ndarray, rebuilt: np.ndarray) -> Point:
    """The point of ``rebuilt`` (n, H, W, C) uint8, stored in ``n_bytes``."""
    n, h, w = original.shape[:3]
    return Point(setting, 8 * n_bytes / (n * h * w), float(np.mean(psnr(original, rebuilt))),
                 float(np.mean(ssim(original, rebuilt))))  # fmt: skip


def _sheets(images: np.ndarray, side: int) -> list[np.ndarray]:
    n, h, w, c = images.shape
    per = side * side
    filled = np.full((-n % per, h, w, c), 128, dtype=np.uint8)
    tiles = np.concatenate([images, filled]).reshape(-1, side, side, h, w, c)
    return list(tiles.transpose(0, 1, 3, 2, 4, 5).reshape(-1, side * h, side * w, c))


def _unsheet(sheets: list[np.ndarray], n: int, h: int, w: int, side: int) -> np.ndarray:
    c = sheets[0].shape[2]
    tiles = np.stack(sheets).reshape(-1, side, h, side, w, c).transpose(0, 1, 3, 2, 4, 5)
    return tiles.reshape(-1, h, w, c)[:n]


def pillow_curve(
    images: np.ndarray, fmt: str, qualities: Iterable[int], side: int = 10, **options
) -> list[Point]:
    """``images`` (n, H, W, C) uint8 saved by Pillow as ``fmt`` ("JPEG", "WEBP") at each
    quality, on sheets of ``side x side``; ``options`` go to ``Image.save``."""
    from PIL import Image

    n, h, w, c = images.shape
    sheets = _sheets(images, side)
    points = []
    for quality in qualities:
        total, back = 0, []
        for sheet in sheets:
            buffer = io.BytesIO()
            Image.fromarray(sheet[:, :, 0] if c == 1 else sheet).save(
                buffer, fmt, quality=int(quality), **options
            )
            total += buffer.tell()
            decoded = Image.open(io.BytesIO(buffer.getvalue()))
            decoded = decoded.convert("L" if c == 1 else "RGB")
            back.append(np.asarray(decoded).reshape(sheet.shape))
        points.append(measure(quality, total, images, _unsheet(back, n, h, w, side)))
    return points


def jpeg_curve(images: np.ndarray, qualities: Iterable[int] = range(5, 96, 10)) -> list[Point]:
    return pillow_curve(images, "JPEG", qualities)


def webp_curve(images: np.ndarray, qualities: Iterable[int] = range(5, 96, 10)) -> list[Point]:
    return pillow_curve(images, "WEBP", qualities, method=6)


def bd_rate(anchor: list[Point], test: list[Point]) -> float:
    """Bjøntegaard delta rate of ``test`` against ``anchor`` in bits per pixel at equal
    PSNR, in percent (see :func:`aekit.codec.curves.bd_rate`)."""
    return curves.bd_rate([(p.bpp, p.psnr) for p in anchor], [(p.bpp, p.psnr) for p in test],
                          "PSNR", " dB")  # fmt: skip
