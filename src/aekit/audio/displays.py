"""Spectrograms of clips next to those decoded from their codes."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..plotting import register_display
from ..plotting._base import axes_or_new
from ..plotting.grids import mosaic, row_centres


@register_display
class SpectrogramDisplay:
    """Log-mel spectrograms (as the model sees them) of clips in the top row, those
    decoded from their codes below; low frequencies at the bottom of each tile.

    Parameters
    ----------
    originals, reconstructions : ndarray of shape (n_clips, n_mels, n_frames)

    Attributes
    ----------
    image_ : matplotlib AxesImage
    colorbar_ : matplotlib Colorbar
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from aekit.plotting import SpectrogramDisplay
    >>> S = np.random.default_rng(0).normal(size=(3, 40, 20))
    >>> SpectrogramDisplay(S, S).plot().image_.get_array().shape
    (81, 62)
    """

    def __init__(self, originals: Any, reconstructions: Any):
        self.originals = originals
        self.reconstructions = reconstructions

    @classmethod
    def from_estimator(
        cls, estimator: Any, X: Any, *, n_samples: int = 4, ax: Any = None
    ) -> SpectrogramDisplay:
        """The first ``n_samples`` clips of ``X`` through a fitted AudioAutoencoder."""
        from ..data import as_list

        clips = as_list(X, "clips")[:n_samples]
        original = estimator.spectrograms(clips)
        rebuilt = estimator.decode_spectrograms(estimator.transform(clips))
        return cls(original, rebuilt).plot(ax=ax)

    def plot(self, ax: Any = None, *, cmap: str = "magma") -> SpectrogramDisplay:
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        ax = axes_or_new(ax)
        original = np.asarray(self.originals)[:, ::-1]  # mosaic rows run top-down
        rebuilt = np.asarray(self.reconstructions)[:, ::-1]
        shape = original.shape[1:]
        self.image_ = ax.imshow(
            mosaic([list(original), list(rebuilt)], shape, unit=False), cmap=cmap, aspect="auto",
            interpolation="nearest",
        )  # fmt: skip
        self.colorbar_ = ax.figure.colorbar(self.image_, ax=ax, label="standardised log-mel")
        ax.set_yticks(row_centres(2, shape[0]), ["original", "reconstruction"])
        ax.set_xticks([])
        ax.set_title(f"{len(original)} clips: log-mel spectrograms")
        self.ax_, self.figure_ = ax, ax.figure
        return self
