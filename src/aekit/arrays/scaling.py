"""How raw data maps to the space the network works in, and back.

Data already in [0, 1] (pixels, proportions) is kept as it is and the network ends in
a sigmoid; anything else is standardised (per feature for tables, one mean and scale
for images so that spatial structure survives) and the network output stays linear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .streaming import row_blocks


@dataclass
class Scaling:
    mode: str  # "unit": data in [0, 1], kept; "standard": (x - mean) / scale
    mean: np.ndarray  # float64, per feature or a single value
    scale: np.ndarray  # float64, same shape as mean

    @classmethod
    def fit(cls, X: np.ndarray, *, per_feature: bool, prepare: Any = None) -> Scaling:
        """The scaling of ``X``; ``prepare`` (a block of rows -> rows) is applied to each
        block first (the image layout of rows kept on disk)."""
        if prepare is None:
            lo, hi = float(X.min()), float(X.max())
        else:
            lo = min(float(prepare(b).min()) for b in row_blocks(X))
            hi = max(float(prepare(b).max()) for b in row_blocks(X))
        if lo >= 0.0 and hi <= 1.0:
            return cls("unit", np.zeros(1), np.ones(1))
        mean, scale = _mean_std(X, per_feature, prepare)
        # Constant features carry no information to standardise; leave them centred.
        scale[scale < 1e-12 * np.maximum(1.0, np.abs(mean))] = 1.0
        return cls("standard", mean, scale)

    @property
    def output_activation(self) -> str:
        return "sigmoid" if self.mode == "unit" else "identity"

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Raw data -> float32 network space."""
        if self.mode == "unit":
            return np.asarray(X, dtype=np.float32)
        return ((X - self.mean) / self.scale).astype(np.float32)

    def inverse_transform(self, X: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        """Network space -> raw data scale, in ``dtype``."""
        X = np.asarray(X, dtype=dtype)
        if self.mode == "unit":
            return X
        return (X * self.scale + self.mean).astype(dtype, copy=False)


def _mean_std(X: np.ndarray, per_feature: bool, prepare: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (per feature, or of everything) as 1-D float64
    arrays, a block of rows at a time: a memory-mapped array is never copied whole."""
    axis = 0 if per_feature else None
    blocks = list(row_blocks(X))
    if prepare is not None:
        blocks = map(prepare, blocks)
    elif len(blocks) == 1:
        return (
            np.atleast_1d(X.mean(axis=axis, dtype=np.float64)),
            np.atleast_1d(X.std(axis=axis, dtype=np.float64)),
        )
    n, mean, m2 = 0, 0.0, 0.0
    for block in blocks:  # Chan et al.'s pairwise update of count, mean and squares
        b = np.asarray(block, dtype=np.float64)
        nb = b.shape[0] if per_feature else b.size
        mb = b.mean(axis=axis)
        m2b = np.square(b - mb).sum(axis=axis)
        delta = mb - mean
        total = n + nb
        mean = mean + delta * (nb / total)
        m2 = m2 + m2b + np.square(delta) * (n * nb / total)
        n = total
    return np.atleast_1d(mean), np.atleast_1d(np.sqrt(m2 / n))
