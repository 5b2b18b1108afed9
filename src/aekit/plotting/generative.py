"""What a code space generates: a VAE's manifold grid, interpolation between two inputs."""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

from ._base import autoencoder_of, axes_or_new, image_shape_or_error
from .grids import mosaic


class ManifoldDisplay:
    """Images decoded from a grid over two latent units of a VAE, the others at 0.

    The grid runs over the prior's quantiles (5 % to 95 %), so equal steps hold equal
    probability mass.

    Parameters
    ----------
    images : ndarray of shape (n_steps, n_steps, ...)
        Decoded images, row by row (second unit down, first unit across).
    image_shape : tuple of int
    dims : (int, int), default=(0, 1)
        The latent units that vary, for the axis labels.
    values : ndarray of shape (n_steps,), default=None
        The values each unit takes.

    Attributes
    ----------
    image_ : matplotlib AxesImage
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import aekit
    >>> from aekit.plotting import ManifoldDisplay
    >>> from aekit.data import load_digits
    >>> X, _ = load_digits()
    >>> vae = aekit.VariationalAutoencoder(latent_dim=2, epochs=2, random_state=0).fit(X)
    >>> ManifoldDisplay.from_estimator(vae, n_steps=5).image_.get_array().shape
    (44, 44)
    """

    def __init__(
        self,
        images: Any,
        image_shape: tuple[int, ...],
        *,
        dims: tuple[int, int] = (0, 1),
        values: Any = None,
    ):
        self.images = images
        self.image_shape = image_shape
        self.dims = dims
        self.values = values

    @classmethod
    def from_estimator(
        cls, estimator: Any, *, dims: tuple[int, int] = (0, 1), n_steps: int = 10, ax: Any = None
    ) -> ManifoldDisplay:
        """Decode a ``n_steps`` x ``n_steps`` grid with a fitted VariationalAutoencoder."""
        model = autoencoder_of(estimator)
        if not getattr(model, "has_prior", False):
            raise ValueError(
                f"a manifold grid walks a VAE's prior; {type(model).__name__} has none. "
                "Use aekit.VariationalAutoencoder."
            )
        shape = image_shape_or_error(model, "ManifoldDisplay")
        a, b = dims
        if a == b or not (0 <= a < model.latent_dim and 0 <= b < model.latent_dim):
            raise ValueError(
                f"dims must be two different latent units in [0, {model.latent_dim}); got {dims}."
            )
        if n_steps < 2:
            raise ValueError(f"n_steps must be at least 2; got {n_steps}.")
        normal = NormalDist()
        values = np.array([normal.inv_cdf(q) for q in np.linspace(0.05, 0.95, n_steps)])
        codes = np.zeros((n_steps * n_steps, model.latent_dim), dtype=np.float32)
        codes[:, a] = np.tile(values, n_steps)
        codes[:, b] = np.repeat(values[::-1], n_steps)  # high values on top
        images = np.asarray(model.inverse_transform(codes)).reshape(n_steps, n_steps, -1)
        return cls(images, shape, dims=dims, values=values).plot(ax=ax)

    def plot(self, ax: Any = None, *, cmap: str = "gray_r") -> ManifoldDisplay:
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        ax = axes_or_new(ax)
        images = np.asarray(self.images)
        self.image_ = ax.imshow(
            mosaic([list(row) for row in images], tuple(self.image_shape)),
            cmap=cmap, vmin=0, vmax=1, interpolation="nearest",
        )  # fmt: skip
        ax.set_xticks([])
        ax.set_yticks([])
        a, b = self.dims
        ax.set_xlabel(f"z{a + 1}  →")
        ax.set_ylabel(f"z{b + 1}  →")
        ax.set_title("decoded from a grid over the prior")
        self.ax_, self.figure_ = ax, ax.figure
        return self


class InterpolationDisplay:
    """A strip of images decoded from codes on the line between two inputs' codes.

    Parameters
    ----------
    images : ndarray of shape (n_steps, ...)
        Decoded images, from the first input's code to the second's.
    image_shape : tuple of int

    Attributes
    ----------
    image_ : matplotlib AxesImage
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import aekit
    >>> from aekit.plotting import InterpolationDisplay
    >>> from aekit.data import load_digits
    >>> X, _ = load_digits()
    >>> ae = aekit.Autoencoder(latent_dim=4, epochs=2, random_state=0).fit(X)
    >>> InterpolationDisplay.from_estimator(ae, X[0], X[1], n_steps=6).image_.get_array().shape
    (8, 53)
    """

    def __init__(self, images: Any, image_shape: tuple[int, ...]):
        self.images = images
        self.image_shape = image_shape

    @classmethod
    def from_estimator(
        cls, estimator: Any, start: Any, end: Any, *, n_steps: int = 8, ax: Any = None
    ) -> InterpolationDisplay:
        """Encode ``start`` and ``end`` (one sample each) with a fitted autoencoder or VAE,
        decode ``n_steps`` codes evenly spaced between them, and plot the strip."""
        model = autoencoder_of(estimator)
        shape = image_shape_or_error(model, "InterpolationDisplay")
        if n_steps < 2:
            raise ValueError(f"n_steps must be at least 2; got {n_steps}.")
        pair = np.stack([np.asarray(start), np.asarray(end)])
        ends = model.transform(pair)
        t = np.linspace(0.0, 1.0, n_steps)[:, None]
        codes = ((1 - t) * ends[0] + t * ends[1]).astype(ends.dtype)
        images = np.asarray(model.inverse_transform(codes)).reshape(n_steps, -1)
        return cls(images, shape).plot(ax=ax)

    def plot(self, ax: Any = None, *, cmap: str = "gray_r") -> InterpolationDisplay:
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        ax = axes_or_new(ax)
        images = np.asarray(self.images)
        self.image_ = ax.imshow(
            mosaic([list(images)], tuple(self.image_shape)),
            cmap=cmap, vmin=0, vmax=1, interpolation="nearest",
        )  # fmt: skip
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"interpolation in code space ({len(images)} steps)")
        self.ax_, self.figure_ = ax, ax.figure
        return self
