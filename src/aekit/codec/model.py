"""What an estimator that is a codec keeps beside its network: the id its streams name
it by, and the learned density's coding tables, worked out once in floats (whose last
bits may differ between machines), then kept and saved with the model, so that every
machine that loads it codes under the same numbers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import torch

from .stream import learned_tables

Tables = list[tuple[int, np.ndarray]]


def model_digest(settings: dict[str, Any], network: torch.nn.Module) -> bytes:
    """8 bytes of the SHA-256 of ``settings`` (JSON) and every weight of ``network``."""
    digest = hashlib.sha256(json.dumps(settings).encode())
    for name, tensor in sorted(network.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.digest()[:8]


class CodecTables:
    """Mixin for a fitted codec estimator (``network_`` an ``EntropyCoded``, and a
    ``model_id()``): its tables, and their part of the model file."""

    def _coding_tables(self, model_id: bytes | None = None) -> Tables:
        """The learned density's tables for these weights (kept per model id: a refit
        makes new ones)."""
        model_id = self.model_id() if model_id is None else model_id
        if getattr(self, "_tables", (None,))[0] != model_id:
            self._tables = (model_id, learned_tables(self.network_))
        return self._tables[1]

    def _tables_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        tables = self._coding_tables()
        state = {"coding_tables_for": self._tables[0].hex()}
        tensors = {"coding_tables.first": torch.tensor([first for first, _ in tables]),
                   "coding_tables.sizes": torch.tensor([len(p) for _, p in tables]),
                   "coding_tables.probs": torch.from_numpy(np.concatenate(
                       [p for _, p in tables]))}  # fmt: skip
        return state, tensors

    def _load_tables_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        if "coding_tables_for" not in state:  # older files hold none: worked out when needed
            return
        sizes = tensors["coding_tables.sizes"].tolist()
        probs = np.split(tensors["coding_tables.probs"].numpy(), np.cumsum(sizes)[:-1])
        tables = list(zip(tensors["coding_tables.first"].tolist(), probs, strict=True))
        self._tables = (bytes.fromhex(state["coding_tables_for"]), tables)
