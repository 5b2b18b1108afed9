"""Padded token-id batches: trimming, teacher inputs, the token loss, length buckets."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..networks.sequence import BOS, EOS, PAD, UNK

_BUCKET_BATCHES = 50  # batches per length-sorted pool: short padding, still shuffled


def pad_ids(rows: Sequence[Sequence[int]], max_length: int) -> torch.Tensor:
    """(n, max_length + 1) long tensor: each row's ids (cut to ``max_length``), EOS, PADs."""
    # One numpy scatter instead of a tensor per row: 0.1 s, not 10 s, for the 600,000
    # synthetic texts a fit on a chat corpus makes.
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=lengths.sum())
    within = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    kept = np.minimum(lengths, max_length)
    out = np.full((len(rows), max_length + 1), PAD, dtype=np.int64)
    out[np.arange(max_length + 1) < kept[:, None]] = flat[within < max_length]
    out[np.arange(len(rows)), kept] = EOS
    return torch.from_numpy(out)


def trim(tokens: torch.Tensor) -> torch.Tensor:
    """Drop the columns that are padding in every row of the batch."""
    width = int((tokens != PAD).sum(dim=1).max())
    return tokens[:, : max(width, 1)]


def teacher_inputs(
    tokens: torch.Tensor, word_dropout: float = 0.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The decoder's inputs: BOS, then the tokens shifted right; with ``word_dropout``,
    that share of them replaced by UNK, so the decoder has to lean on the code."""
    previous = torch.cat([torch.full_like(tokens[:, :1], BOS), tokens[:, :-1]], dim=1)
    if word_dropout > 0:
        drop = torch.rand(previous.shape, generator=generator, device=tokens.device)
        drop = (drop < word_dropout) & (previous != PAD)
        drop[:, 0] = False  # BOS stays
        previous = previous.masked_fill(drop, UNK)
    return previous


def token_nll(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Per-text cross-entropy summed over its tokens (EOS included, padding not): (n,)."""
    nll = F.cross_entropy(logits.transpose(1, 2), tokens, ignore_index=PAD, reduction="none")
    return nll.sum(dim=1)


def n_tokens(tokens: torch.Tensor) -> torch.Tensor:
    """Tokens per text, EOS included: (n,)."""
    return (tokens != PAD).sum(dim=1)


def length_buckets(lengths: torch.Tensor):
    """A batch plan for :func:`aekit.training.train` that groups texts of like length.

    Shuffle, cut into pools of ``_BUCKET_BATCHES`` batches, sort each pool by length,
    cut it into batches and shuffle the batches: each batch pads to little more than
    its own longest text, and every epoch still sees new batches in a new order.
    """

    def plan(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
        order = torch.randperm(n, generator=generator)
        batches = []
        for pool in order.split(batch_size * _BUCKET_BATCHES):
            pool = pool[torch.argsort(lengths[pool], stable=True)]
            batches.extend(pool.split(batch_size))
        shuffle = torch.randperm(len(batches), generator=generator)
        return [batches[i] for i in shuffle]

    return plan


@dataclass
class TokenCrossEntropy:
    """The reconstruction loss of token ids: cross-entropy of each next token, the
    decoder fed the previous ones (teacher forcing), ``word_dropout`` of them hidden
    while training. Per token over the batch, so long texts weigh more."""

    word_dropout: float = 0.0
    name = "tokens"

    def prepare(self, tokens: torch.Tensor) -> torch.Tensor:
        return trim(tokens)

    def logits(
        self, network: Any, code: torch.Tensor, tokens: torch.Tensor, generator=None
    ) -> torch.Tensor:
        dropout = self.word_dropout if network.training else 0.0
        return network.decode(code, teacher_inputs(tokens, dropout, generator))

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return logits

    def loss(self, logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return token_nll(logits, tokens).sum() / n_tokens(tokens).sum()

    def nll(self, logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return token_nll(logits, tokens)

    def error(self, logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Per-text cross-entropy per token (EOS included)."""
        return token_nll(logits, tokens) / n_tokens(tokens)
