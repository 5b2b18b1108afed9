"""Reconstruction metrics for text, on lower-cased, whitespace-split words: overall and
by the reference's length in words (:data:`LENGTH_BUCKETS`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Reference lengths in words, (low, high) inclusive: long posts are where decoders fail,
# and an overall figure hides them behind the many one-word posts.
LENGTH_BUCKETS = {"1-3": (1, 3), "4-6": (4, 6), "7-12": (7, 12), "13+": (13, None)}


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


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Fewest word substitutions, insertions and deletions turning one into the other.

    Examples
    --------
    >>> edit_distance("a b c d".split(), "a c d e".split())
    2
    """
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        diagonal, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref != hyp))
    return row[-1]


def aligned_word_accuracy(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """1 - word error rate: word edits (after the best alignment) over reference words.

    Unlike :func:`word_accuracy`, one dropped word early on costs one word, not every
    word after it. Below 0 when a model inserts more words than the references hold;
    1.0 when every text is empty.

    Examples
    --------
    >>> aligned_word_accuracy(["really need chipotle today"], ["really chipotle today"])
    0.75
    """
    _check_pairs(references, hypotheses)
    edits = total = 0
    for ref, hyp in zip(references, hypotheses, strict=True):
        r, h = _words(ref), _words(hyp)
        edits += edit_distance(r, h)
        total += len(r)
    if total == 0:
        return 1.0 if edits == 0 else 0.0
    return 1.0 - edits / total


def bleu(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus BLEU (0-100) by sacrebleu, lower-cased, with effective n-gram order so
    texts shorter than four words count. Needs the ``sacrebleu`` package."""
    _check_pairs(references, hypotheses)
    try:
        from sacrebleu.metrics import BLEU
    except ImportError as error:
        raise ImportError(
            "BLEU needs sacrebleu: pip install 'aekit[text]' (or sacrebleu)."
        ) from error
    if not references:
        return 100.0
    return float(BLEU(lowercase=True, effective_order=True).corpus_score(
        list(hypotheses), [list(references)]).score)  # fmt: skip


def _bleu_or_none(references: Sequence[str], hypotheses: Sequence[str]) -> float | None:
    try:
        return bleu(references, hypotheses)
    except ImportError:
        return None


def reconstruction_metrics(
    references: Sequence[str], hypotheses: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Exact match, word accuracy (position-wise and aligned) and BLEU, overall
    (``"all"``) and per reference length in words (:data:`LENGTH_BUCKETS`), each with
    its ``n_texts``. BLEU is None without sacrebleu; a bucket with no text is left out."""
    _check_pairs(references, hypotheses)
    groups = {"all": list(range(len(references)))}
    lengths = [len(_words(r)) for r in references]
    for name, (low, high) in LENGTH_BUCKETS.items():
        members = [i for i, n in enumerate(lengths) if n >= low and (high is None or n <= high)]
        if members:
            groups[name] = members
    out = {}
    for name, members in groups.items():
        refs = [references[i] for i in members]
        hyps = [hypotheses[i] for i in members]
        out[name] = {
            "n_texts": len(members),
            "exact_match": exact_match(refs, hyps),
            "word_accuracy": word_accuracy(refs, hyps),
            "aligned_word_accuracy": aligned_word_accuracy(refs, hyps),
            "bleu": _bleu_or_none(refs, hyps),
        }
    return out


def text_scores(model: Any, texts: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """How well a fitted TextAutoencoder rebuilds ``texts``: the
    :func:`reconstruction_metrics` overall (``exact_match``, ...) and per length bucket
    (``exact_match[7-12]``, ...), and token cross-entropy (mean per text, nats per
    token); and the reconstructions."""
    rebuilt = model.reconstruct(list(texts))
    scores: dict[str, Any] = {}
    for bucket, figures in reconstruction_metrics(texts, rebuilt).items():
        for name, value in figures.items():
            if value is not None and not (bucket == "all" and name == "n_texts"):
                scores[name if bucket == "all" else f"{name}[{bucket}]"] = value
    scores["token_cross_entropy"] = -model.score(list(texts))
    return scores, rebuilt


def _check_pairs(references: Sequence[str], hypotheses: Sequence[str]) -> None:
    if len(references) != len(hypotheses):
        raise ValueError(
            f"{len(references)} references but {len(hypotheses)} hypotheses: they must pair up."
        )
