"""The report's part for a TextAutoencoder: word metrics, the codes against TF-IDF +
SVD, reconstructions with the differing words marked, samples of a text VAE."""

from __future__ import annotations

from typing import Any

from ..report.page import Markup, escape, table
from ..report.parts import PROBE, Parts, curves, latent, probe
from .metrics import text_scores, word_matches


def report_parts(model: Any, texts: list[str], labels: Any) -> Parts:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

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
    parts.metrics.append((PROBE, probe(codes, labels), probe(svd_codes, labels)))
    parts.figures += [curves(model), latent(codes, labels)]

    def marked(text: str, again: str) -> Markup:
        words = [
            escape(w) if same else f"<mark>{escape(w)}</mark>"
            for w, same in word_matches(text, again)
        ]
        return Markup(" ".join(words))

    rows = [
        (Markup(escape(t)), marked(t, r)) for t, r in zip(texts[:15], rebuilt[:15], strict=True)
    ]
    parts.sections.append(
        ("Reconstructions", table(["input", "reconstruction (differing words marked)"], rows))
    )
    if model.has_prior:
        samples = model.sample(8, random_state=0)
        items = "".join(f"<li>{escape(s) or '<i>(empty)</i>'}</li>" for s in samples)
        parts.sections.append(("Texts sampled from the prior", f"<ul>{items}</ul>"))
    return parts
