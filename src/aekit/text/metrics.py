"""Reconstruction metrics for text, on lower-cased, whitespace-split words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _words(text: str) -> list[str]:
    return text.lower().split()


def word_accuracy(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Position-wise word matches over the longer of each pair, summed over texts.

    ``sum(matches) / sum(max(len(ref), len(hyp)))``; 1.0 when every text is empty.

    Examples
    --------
    >>> word_accuracy(["really need chipotle today"], ["really need chipotle now"])
    0.75
    """
    _check_pairs(references, hypotheses)
    matches = total = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        marks = word_matches(ref, hyp)
        matches += sum(same for _, same in marks)
        total += max(len(marks), len(_words(ref)))
    return matches / total if total else 1.0


def word_matches(reference: str, hypothesis: str) -> list[tuple[str, bool]]:
    """The hypothesis's words, each with whether it equals the reference's word at the
    same position (the comparison :func:`word_accuracy` counts).

    Examples
    --------
    >>> word_matches("really need chipotle today", "really need chiple")
    [('really', True), ('need', True), ('chiple', False)]
    """
    r, h = _words(reference), _words(hypothesis)
    return [(word, i < len(r) and r[i] == word) for i, word in enumerate(h)]


def exact_match(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Share of texts reconstructed word for word (case and spacing aside).

    Examples
    --------
    >>> exact_match(["lol", "Hi all"], ["lol", "hi  all!"])
    0.5
    """
    _check_pairs(references, hypotheses)
    if not references:
        return 1.0
    same = sum(_words(r) == _words(h) for r, h in zip(references, hypotheses, strict=True))
    return same / len(references)


def text_scores(model: Any, texts: Sequence[str]) -> tuple[dict[str, float], list[str]]:
    """How well a fitted TextAutoencoder rebuilds ``texts``: word accuracy, exact match
    and token cross-entropy (mean per text, nats per token); and the reconstructions."""
    rebuilt = model.reconstruct(list(texts))
    scores = {
        "word_accuracy": word_accuracy(texts, rebuilt),
        "exact_match": exact_match(texts, rebuilt),
        "token_cross_entropy": -model.score(list(texts)),
    }
    return scores, rebuilt


def _check_pairs(references: Sequence[str], hypotheses: Sequence[str]) -> None:
    if len(references) != len(hypotheses):
        raise ValueError(
            f"{len(references)} references but {len(hypotheses)} hypotheses: they must pair up."
        )
