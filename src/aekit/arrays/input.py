"""The array front end: how tables, rows and image arrays become the network's rows.

One step before the network: :meth:`ArrayInput.fit` checks the data, encodes the
columns of a mixed table (:mod:`aekit.arrays.tables`), flattens image arrays, fixes the
scaling (:mod:`aekit.arrays.scaling`) and, for a memory-mapped array, leaves the rows on
disk (:mod:`aekit.arrays.streaming`); :meth:`rows` and :meth:`restore` go there and back
for new data, a block of rows at a time.
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
from .tables import TableEncoding, is_mixed

_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class ArrayInput:
    scaling: Scaling
    table: TableEncoding | None = None  # mixed-type DataFrame columns
    input_shape: tuple[int, ...] | None = None  # each sample's shape, for image arrays
    image_shape: tuple[int, int, int] | None = None  # (C, H, W) an image network reads
    channels_last: bool = False  # samples come (H, W, C); the network's rows are C, H, W
    pixels: str | None = None  # "uint8": 0-255 pixels, scaled by 1/255 and given back so

    @classmethod
    def fit(
        cls,
        estimator: Any,
        X: Any,
        *,
        images: bool,
        image_shape: Any = None,
        channels_first: bool = False,
        handle_missing: str = "error",
        table_allowed: str | None = None,
        unit_only: bool = False,
    ) -> tuple[ArrayInput, Any]:
        """The front end for ``X`` and ``X``'s rows in network space (a tensor, or
        :class:`MappedRows` for a memory map). ``estimator`` gets ``n_features_in_``
        (and ``feature_names_in_``); ``images``: the network reads ``(C, H, W)``
        images; ``table_allowed``: None, or why a mixed table cannot be modelled;
        ``unit_only``: the loss (binary cross-entropy) needs data in [0, 1]."""
        if is_mixed(X, handle_missing):
            if table_allowed is not None:
                raise ValueError(table_allowed)
            table = TableEncoding.fit(X, handle_missing)
            estimator.n_features_in_ = len(table.columns)
            estimator.feature_names_in_ = np.asarray(table.names, dtype=object)
            front = cls(Scaling("standard", np.zeros(1), np.ones(1)), table)
            return front, to_tensor(table.transform(X))
        streamed = isinstance(X, np.memmap)
        pixels = "uint8" if getattr(X, "dtype", None) == np.uint8 else None
        X, sample_shape = check_rows(estimator, X, reset=True, keep=pixels is not None)
        layout, channels_last = (None, False)
        if sample_shape is not None:
            layout, channels_last = sample_layout(sample_shape, channels_first)
        grid = _image_shape(image_shape, layout, X.shape[1]) if images else None
        front = cls(None, None, sample_shape, grid, channels_last, pixels)
        prepare = front.flat if channels_last or pixels else None
        if prepare is not None and not streamed:
            X, prepare = front.flat(X), None  # in memory: once, not a block at a time
        front.scaling = Scaling.fit(X, per_feature=not images, prepare=prepare)
        if unit_only and front.scaling.mode != "unit":
            raise ValueError(
                "loss='bce' needs data in [0, 1]; these data range over "
                f"[{X.min():.4g}, {X.max():.4g}]. Use loss='mse' or 'auto'."
            )
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
        """New data (one block of rows) checked and flat in the network's order, in the
        units the scaling starts from."""
        if self.table is not None:
            return self.table.transform(X)
        uint8 = getattr(X, "dtype", None) == np.uint8
        return self.flat(check_rows(estimator, X, reset=False, keep=uint8)[0])

    def restore(self, out: np.ndarray, dtype: type) -> Any:
        """The network's output rows in the data's units and shape (a DataFrame for a
        mixed table)."""
        if self.table is not None:
            return self.table.inverse_transform(out)
        X = self.scaling.inverse_transform(out, dtype=dtype)
        if self.pixels == "uint8":
            X = np.clip(np.rint(X * 255), 0, 255).astype(np.uint8)
        if self.channels_last:  # the network's C, H, W back to the (H, W, C) given
            return X.reshape(len(X), *self.pixel_grid(X.shape[1])).transpose(0, 2, 3, 1)
        return X if self.input_shape is None else X.reshape(len(X), *self.input_shape)

    def pixel_grid(self, n_features: int) -> tuple[int, int, int] | None:
        """``(C, H, W)`` behind each row, or None for tables and non-image rows."""
        if self.table is not None:
            return None
        if self.image_shape is not None:
            return self.image_shape
        if self.input_shape is not None and len(self.input_shape) in (2, 3):
            return sample_layout(self.input_shape, not self.channels_last)[0]
        if self.input_shape is not None:
            return None
        return square_grey(n_features)

    # ------------------------------------------------------------------ files
    def to_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        state = {"input_shape": self.input_shape, "image_shape": self.image_shape,
                 "channels_last": self.channels_last, "pixels": self.pixels,
                 "scaling_mode": self.scaling.mode,
                 "table": None if self.table is None else self.table.to_dict()}  # fmt: skip
        tensors = {"scaling.mean": torch.from_numpy(self.scaling.mean),
                   "scaling.scale": torch.from_numpy(self.scaling.scale)}  # fmt: skip
        return state, tensors

    @classmethod
    def from_state(cls, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> ArrayInput:
        def shape(value: Any) -> tuple[int, ...] | None:
            return None if value is None else tuple(value)

        scaling = Scaling(state["scaling_mode"], tensors["scaling.mean"].numpy(),
                          tensors["scaling.scale"].numpy())  # fmt: skip
        table = state.get("table")
        table = None if table is None else TableEncoding.from_dict(table)
        return cls(scaling, table, shape(state["input_shape"]), shape(state["image_shape"]),
                   state.get("channels_last", False), state.get("pixels"))  # fmt: skip


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
