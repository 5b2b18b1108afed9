"""The report's part for an AudioAutoencoder: log-mel error against PCA on the same
spectrograms, spectrograms before and after, and players; for a waveform model its
speech quality (STOI, PESQ, log-mel distance) and, for a codec, its rate and quality
next to MP3's and Opus's curves, with clips to hear side by side at similar rates."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from ..report.page import Markup, figure, table
from ..report.parts import PROBE, Parts, curves, latent, pca, probe
from .clips import write_clip


def report_parts(model: Any, clips: list[Any], labels: Any) -> Parts:
    if model._waveform():
        return _waveform_parts(model, clips, labels)
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


def _waveform_parts(model: Any, clips: list[Any], labels: Any) -> Parts:
    """A waveform model: quality of the clips through the code, joined (PESQ and STOI
    need seconds of speech); a codec's real bits against MP3 and Opus."""
    from .quality import joined, speech_quality

    rate = int(model.sample_rate_)
    heard, peaks = model.input_.clips(clips, model.verbose)  # read and resampled once
    codec = model.autoencoder_.bottleneck == "quantized"
    codes = model.autoencoder_.transform(heard)
    if codec:  # the stream gives each clip back at its own level: compare at that level
        stream = model.compress(clips)
        rebuilt = model.decompress(stream)
        heard = [w * p for w, p in zip(heard, peaks, strict=True)]
    else:
        rebuilt = model.autoencoder_.inverse_transform(codes)
    rebuilt = [r[: len(h)] for r, h in zip(rebuilt, heard, strict=True)]
    reference, degraded = joined(heard, rate), joined(rebuilt, rate)
    quality = speech_quality(reference, degraded, rate, missing_ok=True)
    parts = Parts(baseline="MP3 (LAME) at the nearest rate, on the same clips joined")
    codes = np.stack([c.mean(axis=0) for c in codes])  # a clip's mean code over its frames
    parts.metrics += [(name, value, None) for name, value in quality.items()]
    parts.metrics.append((PROBE + " (mean code over frames)", probe(codes, labels), None))
    parts.figures += [curves(model), latent(codes, labels)]
    columns, players = ["clip", "original", "through the code"], []
    if codec:
        from .rate_distortion import curve, measure

        seconds = len(reference) / rate
        point = measure(model.autoencoder_.bitrate or 0.0, len(stream), reference, degraded,
                        rate)  # fmt: skip
        anchors = {"MP3": curve(reference, rate, "mp3", (8, 16, 24)),
                   "Opus": curve(reference, rate, "opus", (6, 8, 12))}  # fmt: skip
        mp3 = min(anchors["MP3"], key=lambda p: abs(p.kbps - point.kbps))
        parts.metrics = [("kbps (the stream, header and all)", point.kbps, mp3.kbps),
                         *[(n, v, getattr(mp3, n, None)) for n, v, _ in parts.metrics]]  # fmt: skip
        parts.figures.insert(0, _rate_quality(point, anchors, seconds))
        columns += ["MP3 (nearest rate)", "Opus (nearest rate)"]
        players = [_coded(reference, rate, codec_name, anchors[name], point.kbps)
                   for codec_name, name in (("mp3", "MP3"), ("opus", "Opus"))]  # fmt: skip
    n = min(3, len(clips))
    starts = np.cumsum([0] + [len(h) + round(0.1 * rate) for h in heard])  # joined's layout
    rows = []
    for i in range(n):
        row = [i, audio_player(heard[i], rate), audio_player(rebuilt[i], rate)]
        row += [audio_player(p[starts[i] : starts[i] + len(heard[i])], rate) for p in players]
        rows.append(tuple(row))
    parts.sections.append(("Listen", table(columns, rows)))
    return parts


def _coded(reference: np.ndarray, rate: int, codec: str, points: list[Any],
           kbps: float) -> np.ndarray:  # fmt: skip
    """``reference`` through ``codec`` at its point nearest ``kbps`` (the point's
    setting is the compression level)."""
    from .rate_distortion import round_trip

    nearest = min(points, key=lambda p: abs(p.kbps - kbps))
    return round_trip(reference, rate, codec, nearest.setting)[1]


def _rate_quality(point: Any, anchors: dict[str, list[Any]], seconds: float) -> str:
    def draw(axes: Any) -> None:
        for ax, what, label in zip(axes, ("pesq", "stoi"), ("PESQ", "STOI"), strict=True):
            for name, points in anchors.items():
                ax.plot([p.kbps for p in points], [getattr(p, what) for p in points], "o-",
                        ms=3, label=name)  # fmt: skip
            ax.plot([point.kbps], [getattr(point, what)], "k*", ms=12, label="this codec")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            ax.legend()
        axes[-1].set_xlabel("kbps")

    return figure(draw, f"Rate and quality: this codec's real bits (compress) against MP3 "
                  f"and Opus on the same {seconds:.0f} s of clips joined.", size=(7, 6),
                  rows=2)  # fmt: skip
