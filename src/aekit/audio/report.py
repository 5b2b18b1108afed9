"""The report's part for an AudioAutoencoder: log-mel error against PCA on the same
spectrograms, spectrograms before and after, and players."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from ..report.page import Markup, figure, table
from ..report.parts import PROBE, Parts, curves, latent, pca, probe
from .clips import write_clip


def report_parts(model: Any, clips: list[Any], labels: Any) -> Parts:
    from .displays import SpectrogramDisplay

    k = int(model.autoencoder_.latent_dim)
    parts = Parts(baseline=f"PCA, {k} components (on the same log-mels, fitted on this data)")
    spectra = model.spectrograms(clips)
    flat = spectra.reshape(len(spectra), -1).astype(np.float64)
    codes = model.transform(clips)
    rebuilt = model.decode_spectrograms(codes).reshape(flat.shape)
    pca_codes, pca_rebuilt = pca(flat, k)
    few = clips[:8]
    parts.metrics += [
        ("log-mel MSE (standardised)", float(np.mean((rebuilt - flat) ** 2)),
         float(np.mean((pca_rebuilt - flat) ** 2))),
        (f"spectral convergence of decoded waves ({len(few)} clips, lower is better)",
         float(np.mean(model.spectral_convergence(few))), None),
        (PROBE, probe(codes, labels), probe(pca_codes, labels)),
    ]  # fmt: skip
    parts.figures += [
        curves(model),
        figure(
            lambda ax: SpectrogramDisplay.from_estimator(model, clips, n_samples=4, ax=ax),
            "Log-mel spectrograms as the model sees them (top) and decoded from the codes.",
        ),
        latent(codes, labels),
    ]
    n = min(3, len(clips))
    heard = model.waveforms(clips[:n])
    decoded = model.inverse_transform(codes[:n])
    rate = int(model.sample_rate_)
    rows = [(i, audio_player(heard[i], rate), audio_player(decoded[i], rate)) for i in range(n)]
    parts.sections.append(("Listen", table(["clip", "original", "through the code"], rows)))
    return parts


def audio_player(wave: Any, rate: int) -> Markup:
    """An ``<audio>`` element playing ``wave`` from an inlined 16-bit WAV."""
    buffer = io.BytesIO()
    write_clip(buffer, wave, rate)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Markup(f'<audio controls preload="none" src="data:audio/wav;base64,{data}"></audio>')
