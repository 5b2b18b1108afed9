"""What a report shows for each kind of model: metrics next to a PCA baseline at the
same dimension, and the pictures that fit the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..plotting import (
    AnomalyScoreDisplay,
    InterpolationDisplay,
    LatentMapDisplay,
    ManifoldDisplay,
    ReconstructionDisplay,
    SpectrogramDisplay,
    TrainingCurvesDisplay,
)
from ..plotting._base import autoencoder_of, pictures_shape
from ..plotting.reconstruction import feature_error
from .page import Markup, audio_player, escape, figure, table

_MAX_CLASSES = 50  # more distinct labels than this are not classes to predict


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


def _curves(estimator: Any) -> str:
    return figure(
        lambda ax: TrainingCurvesDisplay.from_estimator(estimator, ax=ax),
        "Loss per epoch (training, validation) and the learning rate (dashed).",
    )


def _latent(codes: np.ndarray, labels: Any) -> str:
    coloured = " coloured by label" if labels is not None else ""
    return figure(
        lambda ax: LatentMapDisplay.from_codes(codes, labels, ax=ax),
        f"The codes in two dimensions{coloured} (the code itself when 2-D, else a projection).",
        size=(6, 5),
    )


def _pca(flat: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes and reconstructions of PCA with ``k`` components fitted on ``flat``."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=max(1, min(k, *flat.shape)), random_state=0).fit(flat)
    codes = pca.transform(flat)
    return codes, pca.inverse_transform(codes)


def array_parts(estimator: Any, X: Any, labels: Any) -> Parts:
    """Images and tables: an Autoencoder, a VariationalAutoencoder or an AnomalyDetector."""
    from ..variational import VariationalAutoencoder

    model = autoencoder_of(estimator)
    k = int(model.latent_dim)
    parts = Parts(baseline=f"PCA, {k} components (fitted on this data)")
    codes = model.transform(X)
    pca_codes = None
    if getattr(model, "table_", None) is not None:
        import pandas as pd

        original, rebuilt = pd.DataFrame(X), pd.DataFrame(model.inverse_transform(codes))
        error = np.mean([feature_error(original[c], rebuilt[c]) for c in original.columns])
        name = "mean per-feature error (MSE / variance; share wrong for categories)"
        parts.metrics.append((name, float(error), None))
    else:
        flat = np.asarray(X, dtype=np.float64).reshape(len(codes), -1)
        rebuilt = np.asarray(model.inverse_transform(codes), dtype=np.float64).reshape(flat.shape)
        pca_codes, pca_rebuilt = _pca(flat, k)
        parts.metrics.append(
            (
                "reconstruction MSE (data units)",
                float(np.mean((rebuilt - flat) ** 2)),
                float(np.mean((pca_rebuilt - flat) ** 2)),
            )
        )
    if isinstance(model, VariationalAutoencoder):
        parts.metrics.append(("ELBO per sample (nats, higher is better)", model.score(X), None))
    if hasattr(estimator, "offset_"):
        flagged = float(np.mean(estimator.predict(X) == -1))
        parts.metrics.append(("share flagged as outliers", flagged, None))
    parts.metrics.append(
        ("label accuracy from the codes (logistic regression, 3-fold)", probe(codes, labels),
         probe(pca_codes, labels))
    )  # fmt: skip

    parts.figures.append(_curves(estimator))
    shape = pictures_shape(model)
    what = (
        "Originals (top) and their reconstructions."
        if shape
        else ("Reconstruction error per feature (0 is perfect, 1 is no better than the mean).")
    )
    parts.figures.append(
        figure(lambda ax: ReconstructionDisplay.from_estimator(model, X, n_samples=12, ax=ax), what)
    )
    parts.figures.append(_latent(codes, labels))
    if shape is not None and isinstance(model, VariationalAutoencoder) and k >= 2:
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
    if hasattr(estimator, "offset_"):
        known = labels if labels is not None and set(np.unique(labels)) <= {1, -1} else None
        parts.figures.append(
            figure(
                lambda ax: AnomalyScoreDisplay.from_estimator(estimator, X, known, ax=ax),
                "Reconstruction errors and the detector's threshold.",
            )
        )
    return parts


def text_parts(model: Any, texts: list[str], labels: Any) -> Parts:
    """A TextAutoencoder: word metrics, the codes against TF-IDF + SVD, reconstructions."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ..text.metrics import text_scores, word_matches

    k = int(model.latent_dim)
    parts = Parts(baseline=f"TF-IDF + SVD, {k} components (PCA of word weights)")
    codes = model.transform(texts)
    scores, rebuilt = text_scores(model, texts)
    parts.metrics += [
        ("word accuracy", scores["word_accuracy"], None),
        ("exact match", scores["exact_match"], None),
        ("token cross-entropy (nats per token)", scores["token_cross_entropy"], None),
    ]
    svd_codes = None
    if labels is not None:
        try:
            weights = TfidfVectorizer().fit_transform(texts)
            n = max(1, min(k, weights.shape[1] - 1))
            svd_codes = TruncatedSVD(n, random_state=0).fit_transform(weights)
        except ValueError:  # no words at all (only empty texts, say)
            svd_codes = None
    parts.metrics.append(
        ("label accuracy from the codes (logistic regression, 3-fold)", probe(codes, labels),
         probe(svd_codes, labels))
    )  # fmt: skip
    parts.figures += [_curves(model), _latent(codes, labels)]

    def marked(text: str, again: str) -> Markup:
        words = [
            escape(w) if same else f"<mark>{escape(w)}</mark>"
            for w, same in word_matches(text, again)
        ]
        return Markup(" ".join(words))

    rows = [(escape(t), marked(t, r)) for t, r in zip(texts[:15], rebuilt[:15], strict=True)]
    rows = [(Markup(a), b) for a, b in rows]
    parts.sections.append(
        ("Reconstructions", table(["input", "reconstruction (differing words marked)"], rows))
    )
    if model.variational:
        samples = model.sample(8, random_state=0)
        items = "".join(f"<li>{escape(s) or '<i>(empty)</i>'}</li>" for s in samples)
        parts.sections.append(("Texts sampled from the prior", f"<ul>{items}</ul>"))
    return parts


def audio_parts(model: Any, clips: list[Any], labels: Any) -> Parts:
    """An AudioAutoencoder: log-mel error against PCA, spectrograms and players."""
    k = int(model.autoencoder_.latent_dim)
    parts = Parts(baseline=f"PCA, {k} components (on the same log-mels, fitted on this data)")
    spectra = model.spectrograms(clips)
    flat = spectra.reshape(len(spectra), -1).astype(np.float64)
    codes = model.transform(clips)
    rebuilt = model.decode_spectrograms(codes).reshape(flat.shape)
    pca_codes, pca_rebuilt = _pca(flat, k)
    few = clips[:8]
    parts.metrics += [
        ("log-mel MSE (standardised)", float(np.mean((rebuilt - flat) ** 2)),
         float(np.mean((pca_rebuilt - flat) ** 2))),
        (f"spectral convergence of decoded waves ({len(few)} clips, lower is better)",
         float(np.mean(model.spectral_convergence(few))), None),
        ("label accuracy from the codes (logistic regression, 3-fold)", probe(codes, labels),
         probe(pca_codes, labels)),
    ]  # fmt: skip
    parts.figures += [
        _curves(model),
        figure(
            lambda ax: SpectrogramDisplay.from_estimator(model, clips, n_samples=4, ax=ax),
            "Log-mel spectrograms as the model sees them (top) and decoded from the codes.",
        ),
        _latent(codes, labels),
    ]
    n = min(3, len(clips))
    heard = model.waveforms(clips[:n])
    decoded = model.inverse_transform(codes[:n])
    rate = int(model.sample_rate_)
    rows = [(i, audio_player(heard[i], rate), audio_player(decoded[i], rate)) for i in range(n)]
    parts.sections.append(("Listen", table(["clip", "original", "through the code"], rows)))
    return parts
