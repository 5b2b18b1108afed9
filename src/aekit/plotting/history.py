"""Training curves from ``history_``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._base import autoencoder_of, axes_or_new


class TrainingCurvesDisplay:
    """Training and validation loss per epoch, with the learning rate on a second axis.

    Parameters
    ----------
    history : dict of lists
        An estimator's ``history_``: ``epoch``, ``train_loss``, ``val_loss`` (NaN
        without validation), ``learning_rate``.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        ``"train_loss"``, ``"val_loss"`` (when there was validation), ``"learning_rate"``.
    lr_ax_ : matplotlib Axes
        The twin axes of the learning rate.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import aekit
    >>> from aekit.plotting import TrainingCurvesDisplay
    >>> from aekit.data import load_digits
    >>> X, _ = load_digits()
    >>> ae = aekit.Autoencoder(latent_dim=8, epochs=3, random_state=0).fit(X)
    >>> sorted(TrainingCurvesDisplay.from_estimator(ae).lines_)
    ['learning_rate', 'train_loss', 'val_loss']
    """

    def __init__(self, history: dict[str, list[float]]):
        self.history = history

    @classmethod
    def from_estimator(cls, estimator: Any, *, ax: Any = None) -> TrainingCurvesDisplay:
        """Plot a fitted estimator's ``history_`` (a detector's or audio model's inner one)."""
        model = autoencoder_of(estimator)
        if not hasattr(model, "history_"):
            raise ValueError(f"{type(estimator).__name__} is not fitted: it has no history_.")
        return cls(model.history_).plot(ax=ax)

    def plot(self, ax: Any = None) -> TrainingCurvesDisplay:
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        ax = axes_or_new(ax)
        h = self.history
        if not h.get("epoch"):
            raise ValueError("the history is empty: no epoch was completed.")
        epochs = np.asarray(h["epoch"])
        self.lines_ = {}
        (self.lines_["train_loss"],) = ax.plot(epochs, h["train_loss"], "o-", ms=3, label="train")
        val = np.asarray(h.get("val_loss", []), dtype=float)
        if val.size and np.isfinite(val).any():
            (self.lines_["val_loss"],) = ax.plot(epochs, val, "o-", ms=3, label="validation")
        losses = np.concatenate([np.asarray(h["train_loss"], float), val[np.isfinite(val)]])
        if losses.min() > 0 and losses.max() / losses.min() > 10:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        self.lr_ax_ = ax.twinx()
        (self.lines_["learning_rate"],) = self.lr_ax_.plot(
            epochs, h["learning_rate"], color="grey", lw=1, ls="--", label="learning rate"
        )
        self.lr_ax_.set_ylabel("learning rate", color="grey")
        self.lr_ax_.tick_params(axis="y", colors="grey")
        handles = list(self.lines_.values())
        ax.legend(handles, [line.get_label() for line in handles], fontsize=8)
        best = np.nanargmin(val) if val.size and np.isfinite(val).any() else len(epochs) - 1
        seconds = h.get("time", [math.nan])[-1]
        ax.set_title(f"training: {len(epochs)} epochs, {seconds:.1f}s; best epoch {epochs[best]}")
        self.ax_, self.figure_ = ax, ax.figure
        return self
