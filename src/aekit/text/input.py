"""The text front end: texts <-> token ids, through a tokenizer learned at fit.

:class:`TextInput` holds the tokenizer (Hugging Face ``tokenizers``, stored in model
files as its own JSON: no pickle) and the token budget per text; its ids are cut to
``max_length``, closed by EOS and padded (:mod:`aekit.text.sequences`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer

from ..data import as_list
from ..errors import warn_user
from .sequences import pad_ids
from .tokenizer import decode, train_tokenizer


@dataclass
class TextInput:
    tokenizer: Tokenizer
    max_length: int  # tokens kept per text

    @classmethod
    def fit(
        cls, texts: list[str], kind: str, vocab_size: int, lowercase: bool, max_length: int
    ) -> TextInput:
        return cls(train_tokenizer(texts, kind, vocab_size, lowercase), max_length)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def tokens(self, texts: list[str], warn: bool = True) -> torch.Tensor:
        """Token ids of ``texts`` (n, max_length + 1), warning about any that are cut."""
        rows = [e.ids for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
        cut = sum(len(r) > self.max_length for r in rows)
        if cut and warn:
            warn_user(
                f"{cut} of {len(rows)} texts are longer than max_length={self.max_length} "
                "tokens and were cut to it."
            )
        return pad_ids(rows, self.max_length)

    def restore(self, ids: Any) -> list[str]:
        """Texts of token id rows (generated ones: up to EOS)."""
        return decode(self.tokenizer, ids)

    def to_state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.to_str(), "vocab_size": self.vocab_size}

    @classmethod
    def from_state(cls, state: dict[str, Any], max_length: int) -> TextInput:
        return cls(Tokenizer.from_str(state["tokenizer"]), max_length)


def check_texts(X: Any) -> list[str]:
    """``X`` as a list of str: a list or tuple, a 1-D array, a pandas Series or a
    one-column DataFrame. Empty input and non-string items are a ValueError."""
    if hasattr(X, "columns"):  # DataFrame
        if X.shape[1] != 1:
            raise ValueError(
                f"a DataFrame of texts must have exactly one column; got {X.shape[1]}."
            )
        X = X.iloc[:, 0]
    if isinstance(X, str | bytes):
        raise ValueError("X must be a list of texts, not a single string: wrap it in a list.")
    if isinstance(X, np.ndarray) and X.ndim != 1:
        raise ValueError(f"an array of texts must be 1-D; got shape {X.shape}.")
    texts = as_list(X, "texts")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(
                f"text {i} is a {type(text).__name__} ({text!r:.40}), not a str; every item "
                "of X must be a string (missing values included: use '')."
            )
    return texts
