"""Reconstruction metrics for text, on lower-cased, whitespace-split words."""

from __future__ import annotations

from collections.abc import Sequence


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
        r, h = _words(ref), _words(hyp)
        matches += sum(a == b for a, b in zip(r, h, strict=False))
        total += max(len(r), len(h))
    return matches / total if total else 1.0


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


def _check_pairs(references: Sequence[str], hypotheses: Sequence[str]) -> None:
    if len(references) != len(hypotheses):
        raise ValueError(
            f"{len(references)} references but {len(hypotheses)} hypotheses: they must pair up."
        )
