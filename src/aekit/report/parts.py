"""What every modality's report part is made of: metric rows next to a baseline,
figures, sections, and the pieces several of them draw (training curves, the latent
map, a PCA baseline, the label probe)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .page import figure

_MAX_CLASSES = 50  # more distinct labels than this are not classes to predict
PROBE = "label accuracy from the codes (logistic regression, 3-fold)"


@dataclass
class Parts:
    """A modality's contribution: metric rows (name, model, baseline), the baseline's
    name, figures (HTML) and extra (heading, HTML) sections."""

    baseline: str
    metrics: list[tuple[str, Any, Any]] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)


def probe(features: np.ndarray | None, labels: Any, seed: int = 0) -> float | None:
    """Cross-validated accuracy of a logistic regression predicting ``labels`` from
    ``features`` (3 folds at most); None when the labels are not classes to predict."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if features is None or labels is None:
        return None
    _, counts = np.unique(np.asarray(labels).astype(str), return_counts=True)
    if not 2 <= len(counts) <= _MAX_CLASSES or counts.min() < 2:
        return None
    folds = StratifiedKFold(min(3, int(counts.min())), shuffle=True, random_state=seed)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(cross_val_score(model, features, np.asarray(labels).astype(str), cv=folds).mean())


def curves(estimator: Any) -> str:
    from ..plotting import TrainingCurvesDisplay

    return figure(
        lambda ax: TrainingCurvesDisplay.from_estimator(estimator, ax=ax),
        "Loss per epoch (training, validation) and the learning rate (dashed).",
    )


def latent(codes: np.ndarray, labels: Any) -> str:
    from ..plotting import LatentMapDisplay

    coloured = " coloured by label" if labels is not None else ""
    return figure(
        lambda ax: LatentMapDisplay.from_codes(codes, labels, ax=ax),
        f"The codes in two dimensions{coloured} (the code itself when 2-D, else a projection).",
        size=(6, 5),
    )


def pca(flat: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes and reconstructions of PCA with ``k`` components fitted on ``flat``."""
    from sklearn.decomposition import PCA

    model = PCA(n_components=max(1, min(k, *flat.shape)), random_state=0).fit(flat)
    codes = model.transform(flat)
    return codes, model.inverse_transform(codes)
