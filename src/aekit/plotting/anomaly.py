"""Histogram of anomaly scores with the detector's threshold."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import axes_or_new


class AnomalyScoreDisplay:
    """Reconstruction errors (``-score_samples``) as a histogram, with the threshold
    above which a sample is called an outlier.

    Parameters
    ----------
    errors : array-like of shape (n_samples,)
        Anomaly scores, higher is more anomalous.
    threshold : float, default=None
        Where the detector draws the line (``-offset_``).
    labels : array-like of shape (n_samples,), default=None
        Known truth, as ``predict`` gives it: 1 inlier, -1 outlier (or True for an
        outlier): one histogram per group.

    Attributes
    ----------
    patches_ : dict of str to list of matplotlib patches
        One entry per histogram: ``"all"``, or ``"inliers"`` and ``"outliers"``.
    threshold_line_ : matplotlib Line2D or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np, aekit
    >>> from aekit.plotting import AnomalyScoreDisplay
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> det = aekit.AnomalyDetector(aekit.Autoencoder(latent_dim=2, epochs=3)).fit(X)
    >>> AnomalyScoreDisplay.from_estimator(det, X).threshold_line_ is not None
    True
    """

    def __init__(self, errors: Any, threshold: float | None = None, labels: Any = None):
        self.errors = errors
        self.threshold = threshold
        self.labels = labels

    @classmethod
    def from_estimator(
        cls, estimator: Any, X: Any, y: Any = None, *, ax: Any = None, bins: int = 50
    ) -> AnomalyScoreDisplay:
        """Score ``X`` with a fitted :class:`aekit.AnomalyDetector` (or any model with
        ``score_samples``; only a detector has a threshold) and plot the histogram."""
        errors = -np.asarray(estimator.score_samples(X), dtype=np.float64)
        offset = getattr(estimator, "offset_", None)
        threshold = None if offset is None else -float(offset)
        return cls(errors, threshold, y).plot(ax=ax, bins=bins)

    def plot(self, ax: Any = None, *, bins: int = 50) -> AnomalyScoreDisplay:
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        ax = axes_or_new(ax)
        errors = np.asarray(self.errors, dtype=np.float64)
        positive = errors > 0
        log = bool(positive.all()) and errors.max() / errors.min() > 100
        edges = np.histogram_bin_edges(np.log10(errors) if log else errors, bins=bins)
        edges = 10**edges if log else edges
        self.patches_ = {}
        if self.labels is None:
            groups = {"all": errors}
        else:
            labels = np.asarray(self.labels)
            if len(labels) != len(errors):
                raise ValueError(f"{len(labels)} labels for {len(errors)} scores.")
            outlier = labels == -1 if labels.dtype != bool else labels
            groups = {"inliers": errors[~outlier], "outliers": errors[outlier]}
        for name, values in groups.items():
            _, _, patches = ax.hist(values, bins=edges, alpha=0.6, label=f"{name} ({len(values)})")
            self.patches_[name] = list(patches)
        self.threshold_line_ = None
        if self.threshold is not None:
            flagged = float(np.mean(errors > self.threshold))
            self.threshold_line_ = ax.axvline(
                self.threshold, color="tab:red", ls="--", label=f"threshold ({flagged:.1%} above)"
            )
        if log:
            ax.set_xscale("log")
        ax.set_xlabel("reconstruction error (-score_samples)")
        ax.set_ylabel("samples")
        ax.legend(fontsize=8)
        ax.set_title("anomaly scores")
        self.ax_, self.figure_ = ax, ax.figure
        return self
