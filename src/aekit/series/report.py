"""The report's part for a SeriesAutoencoder: reconstruction error next to PCA on the
same windows, the series over its reconstruction with its step scores (flagged and
labelled stretches shaded), and for a collection the codes' label probe."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..modality import autoencoder_of
from ..report.page import figure
from ..report.parts import PROBE, Parts, curves, latent, pca, probe
from .input import rows
from .windows import stitch

REPORT_STEPS = 20_000  # of a long series, the report draws and scores the first ones
REPORT_SERIES = 2_000  # of a collection, likewise


def report_parts(estimator: Any, X: Any, labels: Any) -> Parts:
    model = autoencoder_of(estimator)
    spec, k = model.series_spec_, int(model.latent_dim)
    parts = Parts(baseline=f"PCA with {k} components on the same standardised windows")
    limit = REPORT_SERIES if spec.window is None else REPORT_STEPS
    cut = ""
    if len(X) > limit:
        X = X.iloc[:limit] if hasattr(X, "iloc") else X[:limit]
        labels = None if labels is None else labels[:limit]
        cut = f"; the first {limit} {'series' if spec.window is None else 'steps'}"
    series, x, at = model._windows(X, 1)
    flat = rows(x).astype(np.float64)
    pca_codes, pca_rows = pca(flat, k)
    error = (model._rebuilt(x) - x) ** 2
    pca_error = (pca_rows - flat) ** 2
    parts.metrics.append((f"reconstruction MSE (standardised channels{cut})",
                          float(error.mean()), float(pca_error.mean())))  # fmt: skip
    parts.figures.append(curves(model))
    if spec.window is None:
        _collection(parts, model, X, labels, pca_codes)
        return parts
    if labels is not None:
        from sklearn.metrics import roc_auc_score

        from .displays import anomalous

        truth = anomalous(labels)
        if 0 < truth.sum() < len(truth):
            # PCA's step score as the model's "error" term: squared error per step,
            # averaged over channels and over the windows that cover the step.
            per_step = pca_error.reshape(len(x), spec.channels, -1).mean(axis=1)
            baseline = stitch(per_step, at, len(series.values))
            parts.metrics.append((f"per-step ROC AUC of the labelled anomalies{cut}",
                                  float(roc_auc_score(truth, model.step_scores(X))),
                                  float(roc_auc_score(truth, baseline))))  # fmt: skip
    parts.figures.append(_series_figure(estimator, X, labels))
    return parts


def _collection(parts: Parts, model: Any, X: Any, labels: Any, pca_codes: np.ndarray) -> None:
    codes = model.transform(X)
    parts.metrics.append((PROBE, probe(codes, labels), probe(pca_codes, labels)))
    parts.figures.append(latent(codes, labels))

    def draw(ax: Any) -> None:
        values = np.asarray(X, dtype=np.float64)
        rebuilt = np.asarray(model.reconstruct(X), dtype=np.float64)
        for i in range(min(4, len(values))):
            (line,) = ax.plot(values[i].reshape(values.shape[1], -1)[:, 0], lw=0.8)
            ax.plot(rebuilt[i].reshape(values.shape[1], -1)[:, 0], lw=0.8, ls="--",
                    color=line.get_color())  # fmt: skip
        ax.set_xlabel("step")

    parts.figures.append(figure(draw, "The first series (first channel) and their "
                                "reconstructions (dashed)."))  # fmt: skip


def _series_figure(estimator: Any, X: Any, labels: Any) -> str:
    from .displays import SeriesAnomalyDisplay

    shaded = []
    if hasattr(estimator, "step_offset_"):
        shaded.append("red: steps the detector flags")
    if labels is not None:
        shaded.append("orange: labelled")
    caption = "The series over its reconstruction (dashed), and the score of every step" + (
        f" (shaded {'; '.join(shaded)})." if shaded else "."
    )
    return figure(
        lambda axes: SeriesAnomalyDisplay.from_estimator(estimator, X, labels, axes=axes),
        caption,
        size=(10, 5),
        rows=2,
    )
