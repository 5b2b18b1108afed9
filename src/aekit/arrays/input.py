"""The array front ends: how tables, rows and image arrays become the network's rows.

One step before the network, each a small object with ``fit`` / ``check`` / ``restore``
/ ``to_state`` / ``from_state``:

- :class:`TableInput`: a DataFrame with categorical columns (or gaps to impute), its
  columns encoded (:mod:`aekit.arrays.tables`);
- :class:`RowInput`: numeric rows and image arrays, flattened in the network's order
  (C, H, W) by the one image rule (:mod:`aekit.arrays.layout`) or by the layout an
  :class:`~aekit.images.input.ImageSpec` already knows, scaled
  (:mod:`aekit.arrays.scaling`), and for a memory-mapped array left on disk
  (:mod:`aekit.arrays.streaming`).

The estimator validates its input itself (scikit-learn's ``validate_data`` sets
``n_features_in_``); a front end writes nothing onto it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import validate_data

from ..estimator import to_tensor
from .layout import as_chw, sample_layout, square_grey
from .scaling import Scaling
from .streaming import MappedRows, row_blocks
from .tables import TableEncoding

_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class TableInput:
    """A mixed-type DataFrame's front end: each column encoded (standardised numbers,
    one-hot categories); the network's rows are the encoding, unscaled."""

    table: TableEncoding
    grid = None  # never pictures
    input_shape = None
    image_shape = None

    @classmethod
    def fit(cls, X: Any, handle_missing: str) -> tuple[TableInput, torch.Tensor]:
        front = cls(TableEncoding.fit(X, handle_missing))
        return front, to_tensor(front.table.transform(X))

    @property
    def scaling(self) -> Scaling:
        return Scaling("standard", np.zeros(1), np.ones(1))  # the encoding is the scale

    @property
    def feature_names(self) -> np.ndarray:
        return np.asarray(self.table.names, dtype=object)

    def check(self, estimator: Any, X: Any) -> np.ndarray:
        """New data's rows (a frame with the fitted columns, by name)."""
        return self.table.transform(X)

    def restore(self, out: np.ndarray, dtype: type) -> Any:
        """The network's output as a DataFrame of the fitted columns and dtypes."""
        return self.table.inverse_transform(out)

    def to_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        state = {"input_shape": None, "image_shape": None, "channels_last": False,
                 "pixels": None, "scaling_mode": "standard", "grid": None,
                 "table": self.table.to_dict()}  # fmt: skip
        tensors = {"scaling.mean": torch.zeros(1, dtype=torch.float64),
                   "scaling.scale": torch.ones(1, dtype=torch.float64)}  # fmt: skip
        return state, tensors


@dataclass
class RowInput:
    """Numeric rows and image arrays: flat rows in the network's order, scaled."""

    scaling: Scaling | None
    input_shape: tuple[int, ...] | None = None  # each sample's shape, for image arrays
    image_shape: tuple[int, int, int] | None = None  # (C, H, W) an image network reads
    channels_last: bool = False  # samples come (H, W, C); the network's rows are C, H, W
    pixels: str | None = None  # "uint8": 0-255 pixels, scaled by 1/255 and given back so
    grid: tuple[int, int, int] | None = None  # (C, H, W) behind each row: decided at fit
    table = None  # rows are never a mixed table (TableInput's)

    @classmethod
    def fit(
        cls,
        X: np.ndarray,
        sample_shape: tuple[int, ...] | None,
        *,
        images: bool,
        image_shape: Any = None,
        layout: tuple[tuple[int, ...], bool] | None = None,
        channels_first: bool = False,
        streamed: bool = False,
    ) -> tuple[RowInput, Any]:
        """The front end for checked rows ``X`` (see :func:`check_rows`) and their rows
        in network space: a tensor, or :class:`MappedRows` when ``streamed`` (a memory
        map). ``images``: the network reads ``(C, H, W)`` images, of ``image_shape`` or
        the samples' own; ``layout``: ``((C, H, W), channels_last)`` when the caller
        knows it (image files), else the one image rule decides from ``sample_shape``."""
        pixels = "uint8" if X.dtype == np.uint8 else None
        if layout is None and sample_shape is not None:
            layout = sample_layout(sample_shape, channels_first)
        chw, channels_last = layout if layout is not None else (None, False)
        network_shape = _image_shape(image_shape, chw, X.shape[1]) if images else None
        grid = _grid(network_shape, sample_shape, chw, X.shape[1])
        front = cls(None, sample_shape, network_shape, channels_last, pixels, grid)
        prepare = front.flat if channels_last or pixels else None
        if prepare is not None and not streamed:
            X, prepare = front.flat(X), None  # in memory: once, not a block at a time
        front.scaling = Scaling.fit(X, per_feature=not images, prepare=prepare)
        if streamed:  # rows stay on disk; batches are read as training needs them
            return front, MappedRows(X, front.network_rows)
        return front, to_tensor(front.scaling.transform(X))

    def flat(self, X: np.ndarray) -> np.ndarray:
        """Checked rows (flattened as given) in the network's order, C, H, W, with
        0-255 pixels as 0-1: the data in the units the scaling starts from."""
        if self.pixels == "uint8":
            X = np.asarray(X, dtype=np.float32) / np.float32(255)
        if self.channels_last:
            h, w, c = self.input_shape
            X = np.asarray(X).reshape(len(X), h, w, c).transpose(0, 3, 1, 2).reshape(len(X), -1)
        return X

    def network_rows(self, X: np.ndarray) -> np.ndarray:
        """Checked rows as the network reads them (float32, scaled)."""
        return self.scaling.transform(self.flat(X))

    def check(self, estimator: Any, X: Any) -> np.ndarray:
        """New data (one block of rows) checked (``estimator``'s fitted width: scikit-
        learn's ``validate_data``) and flat in the network's order, in the units the
        scaling starts from."""
        uint8 = getattr(X, "dtype", None) == np.uint8
        return self.flat(check_rows(estimator, X, reset=False, keep=uint8)[0])

    def restore(self, out: np.ndarray, dtype: type) -> Any:
        """The network's output rows in the data's units and shape."""
        X = self.scaling.inverse_transform(out, dtype=dtype)
        if self.pixels == "uint8":
            X = np.clip(np.rint(X * 255), 0, 255).astype(np.uint8)
        if self.channels_last:  # the network's C, H, W back to the (H, W, C) given
            return X.reshape(len(X), *self.grid).transpose(0, 2, 3, 1)
        return X if self.input_shape is None else X.reshape(len(X), *self.input_shape)

    def to_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        state = {"input_shape": self.input_shape, "image_shape": self.image_shape,
                 "channels_last": self.channels_last, "pixels": self.pixels,
                 "scaling_mode": self.scaling.mode, "grid": self.grid,
                 "table": None}  # fmt: skip
        tensors = {"scaling.mean": torch.from_numpy(self.scaling.mean),
                   "scaling.scale": torch.from_numpy(self.scaling.scale)}  # fmt: skip
        return state, tensors


def input_from_state(
    state: dict[str, Any], tensors: dict[str, torch.Tensor], n_features: int
) -> TableInput | RowInput:
    """The front end a model file holds (``n_features``: for files written before the
    grid was decided at fit, which it is then decided from)."""

    def shape(value: Any) -> tuple[int, ...] | None:
        return None if value is None else tuple(value)

    if state.get("table") is not None:
        return TableInput(TableEncoding.from_dict(state["table"]))
    scaling = Scaling(state["scaling_mode"], tensors["scaling.mean"].numpy(),
                      tensors["scaling.scale"].numpy())  # fmt: skip
    input_shape, image_shape = shape(state["input_shape"]), shape(state["image_shape"])
    channels_last = state.get("channels_last", False)
    grid = shape(state.get("grid"))
    if "grid" not in state:  # an older file: the grid as the rule decides it
        chw = None
        if input_shape is not None and len(input_shape) in (2, 3):
            chw = sample_layout(input_shape, not channels_last)[0]
        grid = _grid(image_shape, input_shape, chw, n_features)
    return RowInput(scaling, input_shape, image_shape, channels_last, state.get("pixels"), grid)


def _grid(
    network_shape: tuple[int, int, int] | None,
    sample_shape: tuple[int, ...] | None,
    chw: tuple[int, ...] | None,
    n_features: int,
) -> tuple[int, int, int] | None:
    """``(C, H, W)`` behind each row, decided once at fit: the image network's, the
    samples' own (2-D or 3-D image arrays), or for flat rows of a square number of
    features a square grey image; None for other rows."""
    if network_shape is not None:
        return tuple(network_shape)
    if sample_shape is not None:
        return tuple(chw) if len(sample_shape) in (2, 3) else None
    return square_grey(n_features)


def check_rows(
    estimator: Any, X: Any, *, reset: bool, keep: bool = False
) -> tuple[np.ndarray, tuple | None]:
    """Validate ``X`` (scikit-learn's checks, on ``estimator``); image arrays (ndim > 2)
    are flattened as they are and their sample shape returned. ``keep``: leave the
    dtype (uint8 pixels) as it is rather than make floats of it here."""
    sample_shape = None
    if not hasattr(X, "columns") and getattr(X, "ndim", 2) > 2:
        X = np.asarray(X)
        sample_shape = tuple(X.shape[1:])
        X = X.reshape(len(X), -1)
    X = validate_data(estimator, X, reset=reset, dtype=None if keep else [np.float32, np.float64])
    # One pass each for the extremes, no array-sized temporary (validate_data has ruled
    # out NaN); float32 input cannot hold such values anyway.
    peak = max(float(X.max()), -float(X.min())) if X.dtype == np.float64 and X.size else 0.0
    if peak > _FLOAT32_MAX:
        raise ValueError(
            f"X has values up to {peak:.3g}, beyond float32 ({_FLOAT32_MAX:.3g}), in which "
            "the network computes: rescale the data."
        )
    return X, sample_shape


def _image_shape(given: Any, layout: Any, n_features: int) -> tuple[int, int, int]:
    shape = given if given is not None else layout
    if shape is None:
        shape = square_grey(n_features)
        if shape is None:
            raise ValueError(
                f"architecture='conv' needs image_shape=(H, W) or (C, H, W): {n_features} "
                "features are not a square image. Pass image_shape or image arrays."
            )
    shape = as_chw(shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape {shape} holds {math.prod(shape)} values but X has {n_features} features."
        )
    return shape


def out_dtype(X: np.ndarray) -> type:
    return np.float32 if X.dtype == np.float32 else np.float64


def column_reduce(rows: torch.Tensor | MappedRows, op: str) -> torch.Tensor:
    """Per-feature ``amin`` / ``amax`` / ``mean`` of training rows, in blocks when
    they are on disk."""
    if isinstance(rows, torch.Tensor):
        return getattr(rows, op)(dim=0)
    step = 65_536
    parts = [getattr(rows[s : s + step], op)(dim=0) for s in range(0, len(rows), step)]
    if op == "mean":
        sizes = torch.tensor([min(step, len(rows) - s) for s in range(0, len(rows), step)])
        return (torch.stack(parts) * sizes[:, None]).sum(dim=0) / len(rows)
    return getattr(torch.stack(parts), op)(dim=0)


def blockwise(fn: Any, X: Any) -> Any:
    """``fn`` over blocks of rows of ``X``, joined: a memory-mapped array is read a block
    at a time instead of being copied (and converted) whole."""
    parts = [fn(block) for block in row_blocks(X)]
    if len(parts) == 1:
        return parts[0]
    if hasattr(parts[0], "columns"):
        import pandas as pd

        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)
