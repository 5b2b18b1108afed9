"""The codes in two dimensions, coloured by label."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import axes_or_new

METHODS = ("auto", "code", "pca", "tsne", "umap")
_MAX_CLASSES = 20  # more distinct numeric labels than this: a colour scale, not a legend


class LatentMapDisplay:
    """Scatter plot of codes in 2-D: the code itself when it is 2-D, else a projection.

    Parameters
    ----------
    embedding : ndarray of shape (n_samples, 2)
        The points.
    labels : array-like of shape (n_samples,), default=None
        Colour by these: a legend for classes, a colour bar for many numeric values.
    method : str, default="code"
        How the points were made, for the axis labels.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
    legend_ : matplotlib Legend or None
    colorbar_ : matplotlib Colorbar or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import aekit
    >>> from aekit.plotting import LatentMapDisplay
    >>> from aekit.data import load_digits
    >>> X, y = load_digits()
    >>> ae = aekit.Autoencoder(latent_dim=2, epochs=2, random_state=0).fit(X)
    >>> LatentMapDisplay.from_estimator(ae, X[:100], y[:100]).scatter_.get_offsets().shape
    (100, 2)
    """

    def __init__(self, embedding: Any, labels: Any = None, *, method: str = "code"):
        self.embedding = embedding
        self.labels = labels
        self.method = method

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: Any,
        y: Any = None,
        *,
        method: str = "auto",
        random_state: Any = 0,
        ax: Any = None,
    ) -> LatentMapDisplay:
        """Encode ``X`` with ``estimator`` (anything with ``transform``) and plot the codes."""
        return cls.from_codes(
            estimator.transform(X), y, method=method, random_state=random_state, ax=ax
        )

    @classmethod
    def from_codes(
        cls,
        codes: Any,
        y: Any = None,
        *,
        method: str = "auto",
        random_state: Any = 0,
        ax: Any = None,
    ) -> LatentMapDisplay:
        """Plot codes (n_samples, latent_dim), projected to 2-D by ``method``: "code" (the
        first two units), "pca", "tsne", "umap" (needs umap-learn) or "auto" (the code
        when it is at most 2-D, else UMAP when installed, else PCA)."""
        codes = np.asarray(codes, dtype=np.float64)
        if codes.ndim != 2 or len(codes) == 0:
            raise ValueError(f"codes must be a non-empty 2-D array; got shape {codes.shape}.")
        if y is not None and len(y) != len(codes):
            raise ValueError(f"y has {len(y)} labels for {len(codes)} samples.")
        embedding, used = project(codes, method, random_state)
        return cls(embedding, y, method=used).plot(ax=ax)

    def plot(self, ax: Any = None, *, cmap: str | None = None, s: float = 12) -> LatentMapDisplay:
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        ax = axes_or_new(ax)
        points = np.asarray(self.embedding)
        self.legend_ = self.colorbar_ = None
        style = {"s": s, "alpha": 0.8, "linewidths": 0}
        if self.labels is None:
            self.scatter_ = ax.scatter(points[:, 0], points[:, 1], **style)
        else:
            labels = np.asarray(self.labels)
            classes = np.unique(labels)
            numeric = np.issubdtype(labels.dtype, np.number)
            if numeric and len(classes) > _MAX_CLASSES:
                self.scatter_ = ax.scatter(
                    points[:, 0], points[:, 1], c=labels, cmap=cmap or "viridis", **style
                )
                self.colorbar_ = ax.figure.colorbar(self.scatter_, ax=ax)
            else:
                index = np.searchsorted(classes, labels)
                palette = cmap or ("tab10" if len(classes) <= 10 else "tab20")
                self.scatter_ = ax.scatter(
                    points[:, 0], points[:, 1], c=index, cmap=palette, **style
                )
                handles, _ = self.scatter_.legend_elements(num=None)
                self.legend_ = ax.legend(
                    handles, [str(c) for c in classes], fontsize=7, markerscale=0.8,
                    loc="best", title=None,
                )  # fmt: skip
        names = {"code": "z", "pca": "PC", "tsne": "t-SNE ", "umap": "UMAP "}
        ax.set_xlabel(f"{names[self.method]}1")
        ax.set_ylabel(f"{names[self.method]}2")
        ax.set_title(f"latent map ({len(points)} samples, {self.method})")
        self.ax_, self.figure_ = ax, ax.figure
        return self


def project(codes: np.ndarray, method: str, random_state: Any = 0) -> tuple[np.ndarray, str]:
    """``codes`` in 2-D and the method used (see :meth:`LatentMapDisplay.from_codes`)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    if method == "auto":
        method = "code" if codes.shape[1] <= 2 else ("umap" if _has_umap() else "pca")
    if method == "code" or codes.shape[1] == 1:
        if codes.shape[1] == 1:  # a 1-D code: a strip along the x axis
            return np.column_stack([codes[:, 0], np.zeros(len(codes))]), "code"
        return codes[:, :2], "code"
    if method == "umap":
        if not _has_umap():
            raise ValueError("method='umap' needs the umap-learn package (pip install umap-learn).")
        import umap

        return umap.UMAP(n_components=2, random_state=random_state).fit_transform(codes), "umap"
    if len(codes) < 3:
        return codes[:, :2], "code"
    if not np.ptp(codes, axis=0).any():  # every code the same (collapsed): PCA divides by 0
        return np.zeros((len(codes), 2)), method
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=random_state).fit_transform(codes), "pca"
    from sklearn.manifold import TSNE

    perplexity = min(30.0, (len(codes) - 1) / 3)
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=random_state)
    return tsne.fit_transform(codes), "tsne"


def _has_umap() -> bool:
    from importlib.util import find_spec

    return find_spec("umap") is not None
