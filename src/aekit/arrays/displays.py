"""Originals next to their reconstructions: an image grid, or per-feature errors for tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..plotting import register_display
from ..plotting._base import autoencoder_of, axes_or_new, pictures_shape
from ..plotting.grids import mosaic, row_centres


@register_display
class ReconstructionDisplay:
    """Reconstruction quality at a glance.

    For images: originals in the top row, their reconstructions below. For tables:
    one bar per feature, its reconstruction error: the mean squared error over the
    feature's variance for numbers (0 is perfect, 1 is no better than the mean), the
    share of wrong values for categories.

    Parameters
    ----------
    originals, reconstructions : array-like or DataFrame
        The samples and what the model made of them, in the same units.
    image_shape : tuple of int, default=None
        (H, W) or (C, H, W): draw images. None: a table.
    feature_names : list of str, default=None
        Bar labels for a table (default: DataFrame columns, else x0, x1, ...).

    Attributes
    ----------
    errors_ : ndarray of shape (n_features,)
        Per-feature errors (tables only; None for images).
    image_ : matplotlib AxesImage
        The grid (images only; None for tables).
    bars_ : matplotlib BarContainer
        The bars (tables only; None for images).
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import aekit
    >>> from aekit.plotting import ReconstructionDisplay
    >>> from aekit.data import load_digits
    >>> X, _ = load_digits()
    >>> ae = aekit.Autoencoder(latent_dim=8, epochs=2, random_state=0).fit(X)
    >>> display = ReconstructionDisplay.from_estimator(ae, X[:6])
    >>> display.image_.get_array().shape
    (17, 53)
    """

    def __init__(
        self,
        originals: Any,
        reconstructions: Any,
        *,
        image_shape: tuple[int, ...] | None = None,
        feature_names: list[str] | None = None,
    ):
        self.originals = originals
        self.reconstructions = reconstructions
        self.image_shape = image_shape
        self.feature_names = feature_names

    @classmethod
    def from_estimator(
        cls, estimator: Any, X: Any, *, n_samples: int = 8, ax: Any = None
    ) -> ReconstructionDisplay:
        """Reconstruct ``X`` with a fitted autoencoder (or anomaly detector) and plot
        it: the first ``n_samples`` images, or the errors over all rows of a table."""
        model = autoencoder_of(estimator)
        shape = pictures_shape(model)
        rows = X if hasattr(X, "iloc") else np.asarray(X)
        if shape is not None:
            rows = rows[:n_samples]
        elif rows.ndim > 2:  # samples given as small arrays to a model of flat rows
            rows = rows.reshape(len(rows), -1)
        if len(rows) == 0:
            raise ValueError("X is empty: there is nothing to reconstruct.")
        rebuilt = model.inverse_transform(model.transform(rows))
        if shape is None and getattr(rebuilt, "ndim", 2) > 2:
            rebuilt = rebuilt.reshape(len(rebuilt), -1)
        names = list(model.feature_names_in_) if hasattr(model, "feature_names_in_") else None
        display = cls(rows, rebuilt, image_shape=shape, feature_names=names)
        return display.plot(ax=ax)

    def plot(self, ax: Any = None, *, cmap: str = "gray_r") -> ReconstructionDisplay:
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        ax = axes_or_new(ax)
        self.image_ = self.bars_ = self.errors_ = None
        if self.image_shape is not None:
            self._plot_images(ax, cmap)
        else:
            self._plot_table(ax)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _plot_images(self, ax: Any, cmap: str) -> None:
        shape = tuple(self.image_shape)
        originals = np.asarray(self.originals)
        picture = mosaic([list(originals), list(np.asarray(self.reconstructions))], shape)
        self.image_ = ax.imshow(picture, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        height = shape[-2] if len(shape) == 3 and shape[0] in (1, 3) else shape[0]
        ax.set_yticks(row_centres(2, height), ["original", "reconstruction"])
        ax.set_xticks([])
        ax.set_title(f"{len(originals)} samples and their reconstructions")

    def _plot_table(self, ax: Any) -> None:
        original = pd.DataFrame(self.originals).reset_index(drop=True)
        rebuilt = pd.DataFrame(self.reconstructions).reset_index(drop=True)
        names = self.feature_names or [str(c) for c in original.columns]
        if len(names) != original.shape[1]:
            names = [f"x{i}" for i in range(original.shape[1])]
        self.errors_ = np.array(
            [feature_error(original.iloc[:, j], rebuilt.iloc[:, j]) for j in range(len(names))]
        )
        self.bars_ = ax.barh(np.arange(len(names)), self.errors_, color="tab:blue")
        ax.set_yticks(np.arange(len(names)), names)
        ax.invert_yaxis()  # first feature on top, as in the table
        ax.set_xlabel("error (numbers: MSE / variance; categories: share wrong)")
        ax.set_title(f"reconstruction error per feature ({len(original)} rows)")


def feature_error(original: pd.Series, rebuilt: pd.Series) -> float:
    """MSE over variance for a numeric column, share of mismatches for any other."""
    if pd.api.types.is_numeric_dtype(original) and not pd.api.types.is_bool_dtype(original):
        a = original.to_numpy(dtype=np.float64)
        b = rebuilt.to_numpy(dtype=np.float64)
        variance = float(np.var(a))
        return float(np.mean((a - b) ** 2) / (variance if variance > 0 else 1.0))
    return float(np.mean(original.astype(str).to_numpy() != rebuilt.astype(str).to_numpy()))
