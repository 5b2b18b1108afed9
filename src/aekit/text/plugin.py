"""The text modality's plug-in: ``--model text``, texts in and out, word metrics,
the report's reconstructions table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..modality import Modality, about, register_modality
from ..saving.outputs import check_output, write_texts
from . import displays  # noqa: F401  (registers its Display in aekit.plotting)
from .autoencoder import TextAutoencoder
from .input import check_texts


class Text(Modality):
    name = "text"
    estimators = ("TextAutoencoder",)
    models = {"text": "text (DATA: .txt, one text per line, or .csv/.tsv)"}
    front_end = "a tokenizer"
    read_flags = ("column",)

    def parameters(self) -> list[Any]:
        return [p for p in TextAutoencoder._parameters if p.flag]

    def estimator(self, model: str, params: dict[str, Any]) -> TextAutoencoder:
        return TextAutoencoder(**params)

    def _read(self, source: str, column: str | None = None) -> list[str]:
        from ..data import read_texts

        return read_texts(source, column)

    def decode(self, model: Any, codes_source: str, output: str, force: bool) -> str:
        from ..data import read_data

        out = check_output(output, force, (".txt",))
        with about(codes_source):
            texts = model.inverse_transform(read_data(codes_source))
        write_texts(out, texts)
        return f"wrote {len(texts)} texts to {out}"

    def sample(self, model: Any, draw: Any, output: str, force: bool) -> str:
        out = check_output(output, force, (".txt",))
        texts = draw()
        write_texts(out, texts)
        return f"wrote {len(texts)} samples to {out}"

    def metrics(self, model: Any, texts: list[str]) -> dict[str, Any]:
        from .metrics import text_scores

        scores, _ = text_scores(model, texts)
        return {"n_samples": len(texts), **scores, "latent_dim": int(model.latent_dim)}

    def labels(self, source: str, spec: str, data: Any) -> tuple[Any, Any] | None:
        from ..data import read_texts

        if Path(source).suffix.lower() not in (".csv", ".tsv"):
            return None
        return data, np.asarray(read_texts(source, spec), dtype=object)

    def describe(self, entry: dict[str, Any]) -> list[str]:
        state, params = entry["state"], entry["params"]
        return [
            *self.network_lines(state),
            f"  tokens      {params['tokenizer']} tokenizer, {state['vocab_size']} tokens, "
            f"max_length {params['max_length']}   latent_dim {params['latent_dim']}",
            *self.trained_lines(state, params),
        ]

    def items(self, data: Any) -> list[str]:
        return check_texts(data)

    def shape(self, items: Any) -> str:
        return "texts"

    def report(self, model: Any, texts: list[str], labels: Any) -> Any:
        from .report import report_parts

        return report_parts(model, texts, labels)


register_modality(Text())
