"""A long series over its reconstruction, and its score at every time step."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..plotting import register_display
from ..plotting._base import autoencoder_of


@register_display
class SeriesAnomalyDisplay:
    """Two panels over time: the series (its first ``channels`` channels) with the
    reconstruction dashed, and the step scores; the stretches a detector flags are
    shaded red, labelled ones (``labels``) orange.

    Parameters
    ----------
    values, reconstruction : array-like of shape (n_steps, n_channels) or (n_steps,)
    scores : array-like of shape (n_steps,)
        Step scores, higher is more unusual (:meth:`aekit.SeriesAutoencoder.step_scores`).
    threshold : float, default=None
        The score above which a step is flagged (a detector's ``-step_offset_``).
    labels : array-like of shape (n_steps,), default=None
        Known anomalies: True, 1 or -1 (as ``predict_steps`` gives them) mark a step.
    time : array-like of shape (n_steps,), default=None
        The x axis (a DatetimeIndex, say); the step numbers when None.
    names : list of str, default=None
        The channels' names, for the legend.

    Attributes
    ----------
    flagged_ : list of (int, int)
        The flagged stretches, as (first step, step after the last).
    labelled_ : list of (int, int)
        The labelled stretches, likewise.
    axes_ : array of two matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from aekit.plotting import SeriesAnomalyDisplay
    >>> scores = np.r_[np.zeros(50), np.ones(5), np.zeros(45)]
    >>> SeriesAnomalyDisplay(np.zeros(100), np.zeros(100), scores, threshold=0.5).plot().flagged_
    [(50, 55)]
    """

    def __init__(
        self,
        values: Any,
        reconstruction: Any,
        scores: Any,
        threshold: float | None = None,
        labels: Any = None,
        time: Any = None,
        names: list[str] | None = None,
    ):
        self.values = values
        self.reconstruction = reconstruction
        self.scores = scores
        self.threshold = threshold
        self.labels = labels
        self.time = time
        self.names = names

    @classmethod
    def from_estimator(
        cls, estimator: Any, X: Any, labels: Any = None, *, axes: Any = None, channels: int = 3
    ) -> SeriesAnomalyDisplay:
        """Reconstruct and score the long series ``X`` with a fitted
        :class:`aekit.SeriesAutoencoder` (or a detector around one, whose step threshold
        is then drawn) and plot them."""
        model = autoencoder_of(estimator)
        if getattr(model, "series_spec_", None) is None or model.series_spec_.window is None:
            raise ValueError(
                "SeriesAnomalyDisplay draws one long series: it needs a SeriesAutoencoder "
                "fitted with window."
            )
        series = model.series_spec_.read(X)
        offset = getattr(estimator, "step_offset_", None)
        return cls(
            series.values,
            np.asarray(model.reconstruct(X)).reshape(series.values.shape),
            model.step_scores(X),
            None if offset is None else -float(offset),
            labels,
            None if series.columns is None else series.index,
            series.columns,
        ).plot(axes=axes, channels=channels)

    def plot(self, axes: Any = None, *, channels: int = 3) -> SeriesAnomalyDisplay:
        """Draw on ``axes`` (two axes, series above scores; a new figure when None);
        returns ``self``."""
        values = np.asarray(self.values, dtype=np.float64)
        values = values[:, None] if values.ndim == 1 else values
        rebuilt = np.asarray(self.reconstruction, dtype=np.float64).reshape(values.shape)
        scores = np.asarray(self.scores, dtype=np.float64)
        if len(scores) != len(values):
            raise ValueError(f"{len(scores)} step scores for a series of {len(values)} steps.")
        if axes is None:
            import matplotlib.pyplot as plt

            axes = plt.subplots(2, 1, sharex=True, figsize=(10, 5))[1]
        top, bottom = axes
        x = np.arange(len(values)) if self.time is None else np.asarray(self.time)
        names = self.names or [f"channel {i}" for i in range(values.shape[1])]
        for c in range(min(channels, values.shape[1])):
            (line,) = top.plot(x, values[:, c], lw=0.7, label=names[c])
            top.plot(x, rebuilt[:, c], lw=0.7, ls="--", color=line.get_color())
        top.set_ylabel("series (dashed: reconstruction)")
        bottom.plot(x, scores, lw=0.7, color="tab:purple", label="step score")
        bottom.set_ylabel("step score")
        self.flagged_, self.labelled_ = [], []
        if self.threshold is not None:
            bottom.axhline(self.threshold, color="tab:red", ls="--", lw=0.8, label="threshold")
            self.flagged_ = stretches(scores > self.threshold)
        if self.labels is not None:
            labels = np.asarray(self.labels)
            if len(labels) != len(values):
                raise ValueError(f"{len(labels)} labels for a series of {len(values)} steps.")
            self.labelled_ = stretches(anomalous(labels))
        for ax in axes:
            for colour, found in (("tab:red", self.flagged_), ("tab:orange", self.labelled_)):
                for start, stop in found:  # to the next step, so one step is visible
                    ax.axvspan(x[start], x[min(stop, len(x) - 1)], color=colour, alpha=0.25, lw=0)
        top.legend(fontsize=8, loc="upper right")
        bottom.legend(fontsize=8, loc="upper right")
        self.axes_, self.figure_ = axes, top.figure
        return self


def stretches(marked: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in ``marked``, as (first, after the last) step pairs."""
    edges = np.flatnonzero(np.diff(np.r_[0, np.asarray(marked, dtype=np.int8), 0]))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def anomalous(labels: Any) -> np.ndarray:
    """Which steps ``labels`` mark: True, or -1 of +1 / -1 (as ``predict_steps``), or
    non-zero of 0 / 1."""
    labels = np.asarray(labels)
    if labels.dtype == bool:
        return labels
    return labels == -1 if np.isin(labels, (-1, 1)).all() else labels.astype(bool)
