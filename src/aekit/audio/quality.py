"""How good decoded speech sounds: PESQ (ITU-T P.862, the ``pesq`` package), STOI
(``pystoi``) and the log-mel distance, with the two traps of those packages handled.

- ``pesq`` crashes the process (a segmentation fault) on signals of about 100 s and
  more: :func:`pesq_score` scores stretches of at most 10 s and averages them.
- ``pystoi`` needs about 0.4 s of speech or more per call: clips are scored joined
  (:func:`joined`), with a short silence between them, as one signal.

PESQ is narrow band at 8 kHz and wide band at 16 kHz; other rates are resampled to the
nearer of the two first. Both packages are optional: ``pip install "aekit[speech]"``
(``pesq`` is built from source: it needs a C compiler).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_PESQ_STRETCH = 10.0  # seconds: well below the length that crashes pesq
GAP = 0.1  # seconds of silence between joined clips


def _need(name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ImportError(
            f"PESQ and STOI need the {name} package: pip install 'aekit[speech]' (or {name})."
        ) from error


def joined(clips: Sequence[np.ndarray], rate: int, gap: float = GAP) -> np.ndarray:
    """The clips end to end, ``gap`` seconds of silence after each: one float32 signal."""
    silence = np.zeros(round(gap * rate), np.float32)
    return np.concatenate([np.concatenate([np.asarray(c, np.float32), silence]) for c in clips])


def _pesq_rate(reference: np.ndarray, degraded: np.ndarray, rate: int):
    from .clips import resample

    target = 8000 if rate < 12000 else 16000
    if rate != target:
        reference, degraded = resample(reference, rate, target), resample(degraded, rate, target)
    return reference, degraded, target


def pesq_score(reference: np.ndarray, degraded: np.ndarray, rate: int) -> float:
    """PESQ MOS-LQO of ``degraded`` against ``reference`` (same length, same rate):
    narrow band at 8 kHz, wide band at 16 kHz; the mean over stretches of 10 s."""
    pesq = _need("pesq").pesq
    reference, degraded, rate = _pesq_rate(reference, degraded, rate)
    step = int(_PESQ_STRETCH * rate)
    mode = "nb" if rate == 8000 else "wb"
    scores = []
    for start in range(0, len(reference), step):
        ref, deg = reference[start : start + step], degraded[start : start + step]
        if len(ref) < rate // 4 or not np.abs(ref).max() > 0:
            continue  # a short or silent tail: nothing to hear
        scores.append(pesq(rate, ref, deg, mode))
    if not scores:
        raise ValueError("PESQ needs a quarter of a second of sound or more.")
    return float(np.mean(scores))


def stoi_score(reference: np.ndarray, degraded: np.ndarray, rate: int) -> float:
    """Short-time objective intelligibility (0-1, higher is better)."""
    stoi = _need("pystoi").stoi
    if len(reference) < 0.4 * rate:
        raise ValueError("STOI needs 0.4 s of sound or more: join short clips first.")
    return float(stoi(reference, degraded, rate, extended=False))


def logmel_distance(reference: np.ndarray, degraded: np.ndarray, rate: int) -> float:
    """Mean absolute difference of log10 mel magnitudes (32 ms windows, 40 bands; the
    waveform loss's mel term): 0 when equal, 1 is a factor of 10 per band."""
    import torch

    from .losses import mel_distance

    n_fft = 2 ** round(np.log2(0.032 * rate))
    x, y = (torch.from_numpy(np.asarray(v, np.float32)[None]) for v in (reference, degraded))
    return float(mel_distance(x, y, rate, n_fft, 40)[0])


def align(reference: np.ndarray, degraded: np.ndarray, rate: int,
          reach: float = 0.25) -> np.ndarray:  # fmt: skip
    """``degraded`` shifted by the delay (up to ``reach`` seconds) at which it best
    matches ``reference``, and cut or padded to its length: MP3 adds one."""
    from scipy.signal import correlate

    n = min(len(reference), len(degraded), int(20 * rate))  # the first 20 s say it
    lags = correlate(degraded[:n], reference[:n], mode="full", method="fft")
    centre, limit = n - 1, int(reach * rate)
    lag = int(np.argmax(lags[centre - limit : centre + limit + 1])) - limit
    out = degraded[lag:] if lag >= 0 else np.concatenate([np.zeros(-lag, np.float32), degraded])
    return np.pad(out, (0, max(0, len(reference) - len(out))))[: len(reference)]


def speech_quality(reference: np.ndarray, degraded: np.ndarray, rate: int,
                   missing_ok: bool = False) -> dict[str, float]:  # fmt: skip
    """PESQ, STOI and the log-mel distance of one (joined) signal; with ``missing_ok``
    without the scores whose package is not installed."""
    out = {}
    for name, score in (("pesq", pesq_score), ("stoi", stoi_score)):
        try:
            out[name] = score(reference, degraded, rate)
        except ImportError:
            if not missing_ok:
                raise
    return {**out, "logmel_distance": logmel_distance(reference, degraded, rate)}
