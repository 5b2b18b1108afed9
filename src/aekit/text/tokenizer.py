"""Tokenizers trained on the fit data, with Hugging Face ``tokenizers``.

A tokenizer is stored in a model file as its own JSON (``Tokenizer.to_str``), so
loading rebuilds it without pickle. The four reserved ids come first, in the order
:mod:`aekit.networks.sequence` expects.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from ..networks.sequence import BOS, EOS, PAD

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]
KINDS = ("bpe", "word", "char")


def train_tokenizer(texts: Sequence[str], kind: str, vocab_size: int, lowercase: bool) -> Tokenizer:
    """A ``kind`` tokenizer ("bpe", "word" or "char") learned from ``texts``.

    "bpe" and "char" mark word starts (Metaspace), so decoding restores the spacing;
    "word" splits on whitespace and maps words outside its ``vocab_size`` most
    frequent ones to [UNK]. "char" keeps every character seen (``vocab_size`` unused).
    """
    steps = [normalizers.NFKC()]
    if lowercase:
        steps.append(normalizers.Lowercase())
    if kind == "word":
        tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
        tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        trainer = trainers.WordLevelTrainer(
            vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False
        )
    else:
        tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        tokenizer.decoder = decoders.Metaspace()
        # No merges for "char": the vocabulary is the alphabet of the fit data.
        size = vocab_size if kind == "bpe" else 0
        trainer = trainers.BpeTrainer(
            vocab_size=size, special_tokens=SPECIAL_TOKENS, show_progress=False
        )
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def decode(tokenizer: Tokenizer, ids: Sequence[Sequence[int]]) -> list[str]:
    """Texts from rows of ids, each cut at its first EOS; [UNK] stays visible."""
    rows = []
    for row in ids:
        row = list(row)
        row = row[: row.index(EOS)] if EOS in row else row
        rows.append([i for i in row if i not in (PAD, BOS)])
    # "word" has no decoder: tokens are joined with spaces, which is what it split on.
    return tokenizer.decode_batch(rows, skip_special_tokens=False)
