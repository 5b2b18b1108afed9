"""Image files and in-memory images as one kind of value: pixels at one size and mode.

Every input form (a folder searched recursively, paths, PIL images, arrays) goes
through the same steps, so the same pixels give the same network input whatever form
they came in: decode to 8-bit L, LA, RGB or RGBA (:func:`native`), convert the
channels with transparent pixels laid on the background (:func:`convert_channels`),
then bring the image to the model's size by the resize rule (:func:`fit_size`).
Pillow reads and resizes.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")
CHANNELS = {"L": 1, "RGB": 3, "RGBA": 4}
RESIZE = ("crop", "pad", "stretch")
_COLOUR_MODES = {"RGB", "RGBA", "RGBX", "RGBa", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"}
_SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N", "I"}
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601-2, as Pillow's convert("L")


class BadImage(ValueError):
    """A file that is not a readable image (named in the message)."""


def pixel_limit(max_pixels: int | None = None) -> int:
    """The most pixels an image may declare: ``max_pixels``, at most Pillow's own
    guard against decompression bombs (``PIL.Image.MAX_IMAGE_PIXELS``, 89,478,485 unless
    raised there), which is also the default."""
    from PIL import Image

    ceiling = Image.MAX_IMAGE_PIXELS or np.iinfo(np.int64).max
    return ceiling if max_pixels is None else min(int(max_pixels), ceiling)


@dataclass(frozen=True)
class Source:
    """One image as given: a path, a PIL image or an array, and the name it goes by."""

    item: Any
    name: str | None  # the file path, when there is one
    max_pixels: int | None = None  # a file declaring more is refused before decoding

    def header(self) -> tuple[tuple[int, int], bool]:
        """``((height, width), has_colour)`` without decoding the pixels where possible."""
        if isinstance(self.item, np.ndarray):
            return self.item.shape[:2], self.item.ndim == 3 and self.item.shape[2] >= 3
        if self.name is not None and not hasattr(self.item, "mode"):
            with opened(self.name, self.max_pixels) as img:
                return (img.height, img.width), img.mode in _COLOUR_MODES
        return (self.item.height, self.item.width), self.item.mode in _COLOUR_MODES

    def pixels(self) -> np.ndarray:
        """The decoded ``(H, W, C)`` array (C of 1 to 4), uint8 or float in [0, 1]."""
        if isinstance(self.item, np.ndarray):
            return self.item if self.item.ndim == 3 else self.item[:, :, None]
        if hasattr(self.item, "mode"):
            return native(self.item, self.name or "a PIL image")
        with opened(self.name, self.max_pixels) as img:
            return native(img, self.name)


def opened(path: str, max_pixels: int | None = None) -> Any:
    """The file as a lazily decoded PIL image, its header read and its size checked
    against :func:`pixel_limit`; a :class:`BadImage` naming the file and the cause
    otherwise (a missing, unreadable or looping path, a header Pillow refuses, a size
    over the limit)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow's warning of a size over its limit:
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below
            img = Image.open(path)
    except UnidentifiedImageError:
        raise BadImage(f"{path}: not an image Pillow can read.") from None
    except Image.DecompressionBombError as exc:  # over twice Pillow's limit
        raise BadImage(f"{path}: {exc}"[:300]) from None
    except OSError as exc:
        if exc.errno is not None:  # the file system's word: missing, permissions, a loop
            raise BadImage(f"{path}: cannot be read ({exc.strerror}).") from None
        raise BadImage(f"{path}: damaged or truncated image ({exc}).") from None
    except (SyntaxError, ValueError, struct.error, EOFError) as exc:  # a bad header
        raise BadImage(f"{path}: damaged or truncated image ({exc}).") from None
    limit = pixel_limit(max_pixels)
    if img.width * img.height > limit:
        img.close()
        raise BadImage(
            f"{path}: declares {img.width} x {img.height} = {img.width * img.height:,} pixels, "
            f"over the limit of {limit:,} (max_pixels; a guard against decompression bombs)."
        )
    return img


def decoded(path: str, max_pixels: int | None = None) -> Any:
    """The file's first frame, decoded now (so a bad file is found here), as a PIL
    image that keeps its ``filename``; a :class:`BadImage` naming it otherwise."""
    from PIL import Image

    with opened(path, max_pixels) as img:
        pixels = native(img, path)
    out = Image.fromarray(pixels if pixels.shape[2] != 1 else pixels[:, :, 0],
                          {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[pixels.shape[2]])  # fmt: skip
    out.filename = path
    return out


def native(img: Any, name: str) -> np.ndarray:
    """The first frame of a PIL image as an ``(H, W, C)`` uint8 array: L, LA, RGB or
    RGBA; 16-bit grey scaled to 8 bits, palettes and CMYK made RGB(A)."""
    from PIL import Image

    try:
        img.seek(0)
        img.load()
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
        IndexError,
        TypeError,
        ZeroDivisionError,
        Image.DecompressionBombError,
    ) as exc:
        # truncated or damaged data; Pillow's decoders say so in these words
        raise BadImage(f"{name}: damaged or truncated image ({exc})."[:300]) from None
    mode = img.mode
    if mode in _SIXTEEN_BIT:
        wide = np.asarray(img).astype(np.float64)
        return np.rint(np.clip(wide, 0, 65535) / 257)[:, :, None].astype(np.uint8)
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif mode in ("PA", "RGBa"):
        img = img.convert("RGBA")
    elif mode == "La":
        img = img.convert("LA")
    elif mode == "1":
        img = img.convert("L")
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        if mode not in _COLOUR_MODES:
            raise BadImage(f"{name}: images of mode {mode!r} are not supported.")
        img = img.convert("RGB")
    array = np.asarray(img, dtype=np.uint8)
    return array if array.ndim == 3 else array[:, :, None]


def sources(X: Any, max_pixels: int | None = None) -> list[Source]:
    """The images of ``X``: a folder (searched recursively), an image file, or a list of
    paths, PIL images or ``(H, W[, C])`` arrays (one array of images: :func:`batch`).
    Files declaring more than ``max_pixels`` are refused (see :func:`pixel_limit`)."""
    if isinstance(X, (str, os.PathLike)):
        return [Source(None, str(p), max_pixels) for p in _files(Path(X))]
    if hasattr(X, "mode") and hasattr(X, "size"):  # one PIL image
        return [Source(X, None)]
    if not isinstance(X, Sequence) or isinstance(X, (bytes, str)):
        raise ValueError(
            "images must be a folder, a list of image paths, PIL images or arrays, or an "
            f"(n, H, W[, C]) array; got {type(X).__name__}."
        )
    out = []
    for i, item in enumerate(X):
        if isinstance(item, (str, os.PathLike)):
            if not Path(item).is_file() and not Path(item).is_symlink():
                raise ValueError(f"{item}: no such image file.")
            out.append(Source(None, str(item), max_pixels))
        elif hasattr(item, "mode") and hasattr(item, "size"):
            out.append(Source(item, getattr(item, "filename", None) or None))
        else:
            array = _check_array(np.asarray(item), f"image {i}")
            if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
                raise ValueError(
                    f"image {i} has shape {array.shape}: an image array is (H, W) or "
                    "(H, W, C) with C of 1, 3 or 4."
                )
            out.append(Source(array, None))
    return out


def read_images(
    source: str | os.PathLike, *, skip_bad: bool = False, max_pixels: int | None = None
) -> list[Any]:
    """The images of a folder (searched recursively) or file, decoded, as PIL images
    that keep their ``filename``: what ``aekit train --model image`` reads. A file that
    is not a readable image, or declares more than ``max_pixels`` (default: Pillow's
    limit), is a :class:`BadImage` naming it; with ``skip_bad`` it is left out instead
    and the count said in a warning.

    >>> model.fit(aekit.read_images("photos/", skip_bad=True))  # doctest: +SKIP
    """
    from ..data import read_files

    names = [s.name for s in sources(source, max_pixels)]
    images, _ = read_files(names, lambda name: decoded(name, max_pixels), skip_bad, "image")
    if not images:
        raise BadImage(f"{source}: no readable image.")
    return images


def batch(X: np.ndarray, channels_first: bool = False) -> np.ndarray:
    """An ``(n, H, W[, C])`` array checked and as ``(n, H, W, C)`` (see aekit.arrays.layout)."""
    from ..arrays.layout import sample_layout

    X = _check_array(X)
    if X.ndim not in (3, 4):
        raise ValueError(f"image arrays must be (n, H, W) or (n, H, W, C); got shape {X.shape}.")
    if X.ndim == 3:
        return X[..., None]
    _, channels_last = sample_layout(X.shape[1:], channels_first)
    if not channels_last and X.shape[1] not in (1, 3, 4):
        raise ValueError(
            f"channels_first=True reads arrays as (n, C, H, W), but C = {X.shape[1]} is not "
            "1, 3 or 4 channels; leave channels_first off for (n, H, W, C) arrays."
        )
    return X if channels_last else X.transpose(0, 2, 3, 1)


def _check_array(X: np.ndarray, what: str = "image arrays") -> np.ndarray:
    if X.dtype == np.uint8:
        return X
    if X.dtype.kind not in "fiu" or X.dtype == bool:
        raise ValueError(f"{what} must be uint8 (0-255) or float (0-1); got dtype {X.dtype}.")
    X = X.astype(np.float32, copy=False)
    if X.size and (not np.isfinite(X).all() or X.min() < 0 or X.max() > 1):
        raise ValueError(
            f"{what}: float pixels must lie in [0, 1] (found [{np.nanmin(X):.4g}, "
            f"{np.nanmax(X):.4g}]{', with NaN or inf' if not np.isfinite(X).all() else ''}); "
            "pass 0-255 pixels as uint8."
        )
    return X


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ValueError(f"{path}: no such image file or folder.")
    # a link that leads nowhere (missing target, loop) is kept, to be named when read
    found = sorted(p for p in path.rglob("*")
                   if p.suffix.lower() in SUFFIXES and (p.is_file() or p.is_symlink()))  # fmt: skip
    if not found:
        anything = next((p for p in path.rglob("*") if p.is_file()), None)
        what = "is empty" if anything is None else "holds no image file"
        raise ValueError(f"{path}: the folder {what} (looked for {' '.join(SUFFIXES)}).")
    return found


# ---------------------------------------------------------------- the rule, fixed at fit
@dataclass(frozen=True)
class ImageSpec:
    """What every image is brought to: its size, channels and how it gets there."""

    size: tuple[int, int]  # (height, width)
    channels: str  # "L", "RGB" or "RGBA"
    resize: str  # "crop", "pad" or "stretch"
    background: tuple[int, int, int]  # RGB, 0-255, for transparent and padded pixels

    @property
    def layout(self) -> tuple[tuple[int, int, int], bool]:
        """``((C, H, W), True)``: what the network reads, from samples that come
        channels-last ``(H, W, C)`` as :func:`stack` gives them (no guess needed)."""
        h, w = self.size
        return (CHANNELS[self.channels], h, w), True

    @classmethod
    def fit(
        cls,
        items: list[Source] | np.ndarray,
        image_size: Any,
        channels: str,
        resize: str,
        background: Any,
    ) -> tuple[ImageSpec, int]:
        """The spec for these fit images and the number whose size differs from it."""
        if isinstance(items, np.ndarray):  # one (n, H, W, C) array: one size
            headers = [(items.shape[1:3], items.shape[-1] >= 3)] * len(items)
        else:
            headers = [s.header() for s in items]
        sizes = Counter(size for size, _ in headers)
        size = _size(image_size) if image_size is not None else sizes.most_common(1)[0][0]
        if channels == "auto":
            channels = "RGB" if any(colour for _, colour in headers) else "L"
        spec = cls(tuple(int(s) for s in size), channels, resize, _colour(background))
        return spec, sum(n for s, n in sizes.items() if tuple(s) != spec.size)

    def apply(self, item: Source) -> np.ndarray:
        """One image as ``(H, W, C)`` in this spec: uint8 (float when given floats)."""
        return fit_size(convert_channels(item.pixels(), self), self)

    def to_dict(self) -> dict[str, Any]:
        return {"size": list(self.size), "channels": self.channels, "resize": self.resize,
                "background": list(self.background)}  # fmt: skip

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ImageSpec:
        return cls(tuple(state["size"]), state["channels"], state["resize"],
                   tuple(state["background"]))  # fmt: skip


def _size(value: Any) -> tuple[int, int]:
    from numbers import Integral

    pair = (value, value) if isinstance(value, Integral) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 1
                                 for v in pair):  # fmt: skip
        raise ValueError(f"image_size must be an int or (height, width) of positive ints; "
                         f"got {value!r}.")  # fmt: skip
    return int(pair[0]), int(pair[1])


def _colour(value: Any) -> tuple[int, int, int]:
    from PIL import ImageColor

    if isinstance(value, str):
        try:
            return ImageColor.getrgb(value)[:3]
        except ValueError:
            raise ValueError(f"background={value!r} is not a colour Pillow knows.") from None
    rgb = tuple(value)
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise ValueError(f"background must be a colour name or (r, g, b) in 0-255; got {value!r}.")
    return tuple(int(v) for v in rgb)


def convert_channels(pixels: np.ndarray, spec: ImageSpec) -> np.ndarray:
    """``(..., H, W, C)`` pixels (C: 1 L, 2 LA, 3 RGB, 4 RGBA) in the spec's channels;
    transparent pixels laid on the background unless the spec keeps alpha."""
    c = pixels.shape[-1]
    unit = pixels.dtype != np.uint8
    scale = np.float32(1 if unit else 255)
    x = pixels.astype(np.float32)
    colour, alpha = x[..., : (1 if c < 3 else 3)], x[..., -1:] if c in (2, 4) else None
    target = CHANNELS[spec.channels]
    background = np.asarray(spec.background, np.float32) * (scale / 255)
    if target == 4:
        rgb = np.repeat(colour, 3, axis=-1) if colour.shape[-1] == 1 else colour
        alpha = np.full_like(x[..., :1], scale) if alpha is None else alpha
        out = np.concatenate([rgb, alpha], axis=-1)
    else:
        if target == 1:
            background = background @ _LUMA
            if colour.shape[-1] == 3:
                colour = colour @ _LUMA[:, None]
        elif colour.shape[-1] == 1:
            colour = np.repeat(colour, 3, axis=-1)
        if alpha is not None:
            a = alpha / scale
            colour = colour * a + background * (1 - a)
        out = colour
    return out if unit else np.clip(np.rint(out), 0, 255).astype(np.uint8)


def fit_size(pixels: np.ndarray, spec: ImageSpec) -> np.ndarray:
    """``(H, W, C)`` pixels brought to the spec's size: "crop" keeps the aspect and
    cuts the centre, "pad" keeps the aspect and fills the margins with the background
    (transparent for RGBA), "stretch" scales each axis on its own."""
    from PIL import Image

    h, w = pixels.shape[:2]
    th, tw = spec.size
    if (h, w) == (th, tw):
        return pixels
    box = None
    inner = (tw, th)
    if spec.resize == "crop":
        scale = max(tw / w, th / h)
        cw, ch = tw / scale, th / scale
        box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
    elif spec.resize == "pad":
        scale = min(tw / w, th / h)
        inner = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = [np.asarray(p.resize(inner, Image.Resampling.LANCZOS, box=box))
               for p in _planes(pixels)]  # fmt: skip
    out = np.stack(resized, axis=2) if len(resized) > 1 else resized[0]
    out = out if out.ndim == 3 else out[:, :, None]
    if pixels.dtype != np.uint8:
        out = np.clip(out.astype(np.float32), 0, 1)
    if inner == (tw, th):
        return out
    canvas = np.empty((th, tw, out.shape[2]), out.dtype)
    fill = np.asarray(spec.background, np.float32) / (255 if out.dtype != np.uint8 else 1)
    if out.shape[2] == 1:
        fill = fill @ _LUMA
    canvas[...] = np.append(fill, 0)[: out.shape[2]] if out.shape[2] == 4 else fill
    top, left = (th - inner[1]) // 2, (tw - inner[0]) // 2
    canvas[top : top + inner[1], left : left + inner[0]] = out
    return canvas


def _planes(pixels: np.ndarray) -> list[Any]:
    """PIL images to resize: one L/RGB/RGBA image for 8-bit pixels (Pillow weights
    colour by alpha when resizing RGBA), one float image per channel otherwise."""
    from PIL import Image

    if pixels.dtype == np.uint8:
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[pixels.shape[2]]
        return [Image.fromarray(pixels[:, :, 0] if mode == "L" else pixels, mode)]
    return [Image.fromarray(np.ascontiguousarray(pixels[:, :, i]), "F")
            for i in range(pixels.shape[2])]  # fmt: skip


def stack(items: list[Source] | np.ndarray, spec: ImageSpec) -> np.ndarray:
    """The images (sources, or an ``(n, H, W, C)`` batch) in the spec as one
    ``(n, H, W, C)`` array, uint8 unless any came as floats."""
    if isinstance(items, np.ndarray):  # one array: its channels converted at once
        converted = convert_channels(items, spec)
        if converted.shape[1:3] == spec.size:
            return converted
        return np.stack([fit_size(x, spec) for x in converted])
    arrays = [spec.apply(item) for item in items]
    if not arrays:
        raise ValueError("no readable image among the ones given.")
    if any(a.dtype != np.uint8 for a in arrays):
        arrays = [a.astype(np.float32) / (255 if a.dtype == np.uint8 else 1) for a in arrays]
    return np.stack(arrays)
