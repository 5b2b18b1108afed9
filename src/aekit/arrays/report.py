"""The report's part for arrays and tables: reconstruction error next to PCA at the
same dimension, and the pictures that fit (image grids, or errors per column)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..modality import autoencoder_of
from ..report.page import figure
from ..report.parts import PROBE, Parts, curves, latent, pca, probe


def report_parts(estimator: Any, X: Any, labels: Any) -> Parts:
    """An Autoencoder, a VariationalAutoencoder or an AnomalyDetector on ``X``."""
    from ..plotting import (
        AnomalyScoreDisplay,
        InterpolationDisplay,
        ManifoldDisplay,
    )
    from ..plotting._base import pictures_shape
    from .displays import ReconstructionDisplay, feature_error

    model = autoencoder_of(estimator)
    k = int(model.latent_dim)
    parts = Parts(baseline=f"PCA, {k} components (fitted on this data)")
    codes = model.transform(X)
    pca_codes = None
    if model.table_ is not None:
        import pandas as pd

        original, rebuilt = pd.DataFrame(X), pd.DataFrame(model.inverse_transform(codes))
        error = np.mean([feature_error(original[c], rebuilt[c]) for c in original.columns])
        name = "mean per-feature error (MSE / variance; share wrong for categories)"
        parts.metrics.append((name, float(error), None))
    else:
        flat = np.asarray(X, dtype=np.float64).reshape(len(codes), -1)
        rebuilt = np.asarray(model.inverse_transform(codes), dtype=np.float64).reshape(flat.shape)
        pca_codes, pca_rebuilt = pca(flat, k)
        parts.metrics.append(
            (
                "reconstruction MSE (data units)",
                float(np.mean((rebuilt - flat) ** 2)),
                float(np.mean((pca_rebuilt - flat) ** 2)),
            )
        )
    if model.has_prior:
        parts.metrics.append(("ELBO per sample (nats, higher is better)", model.score(X), None))
    detector = hasattr(estimator, "offset_")
    if detector:
        flagged = float(np.mean(estimator.predict(X) == -1))
        parts.metrics.append(("share flagged as outliers", flagged, None))
    parts.metrics.append((PROBE, probe(codes, labels), probe(pca_codes, labels)))

    parts.figures.append(curves(estimator))
    shape = pictures_shape(model)
    what = (
        "Originals (top) and their reconstructions."
        if shape
        else ("Reconstruction error per feature (0 is perfect, 1 is no better than the mean).")
    )
    parts.figures.append(
        figure(lambda ax: ReconstructionDisplay.from_estimator(model, X, n_samples=12, ax=ax), what)
    )
    parts.figures.append(latent(codes, labels))
    if shape is not None and model.has_prior and k >= 2:
        parts.figures.append(
            figure(
                lambda ax: ManifoldDisplay.from_estimator(model, n_steps=10, ax=ax),
                "Decoded from a 10 x 10 grid over the first two latent units, the others at 0.",
                size=(6, 6),
            )
        )
    if shape is not None and len(codes) >= 2:
        first, second = np.asarray(X)[0], np.asarray(X)[1]
        parts.figures.append(
            figure(
                lambda ax: InterpolationDisplay.from_estimator(model, first, second, ax=ax),
                "From the first sample's code to the second's, in 8 even steps.",
                size=(7, 1.6),
            )
        )
    if detector:
        known = labels if labels is not None and set(np.unique(labels)) <= {1, -1} else None
        parts.figures.append(
            figure(
                lambda ax: AnomalyScoreDisplay.from_estimator(estimator, X, known, ax=ax),
                "Reconstruction errors and the detector's threshold.",
            )
        )
    return parts
