"""Rate and quality of speech codecs: MP3 (LAME) and Opus (libopus), both through
``soundfile``, and points of aekit codecs, on one signal (clips joined, so container
headers do not count against MP3 and Opus), aligned before scoring (MP3 adds a delay).

libsndfile picks the bit rate from ``compression_level`` (0 = best): at 8 kHz MP3 is
constant at 8, 16, 24, 32 ... kbps, Opus from about 6 kbps (level 1.0) up; the level
that lands nearest a wanted rate is searched for.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..codec import curves
from .quality import align, pesq_score, stoi_score

FORMATS = {"mp3": {"format": "MP3", "bitrate_mode": "CONSTANT"},
           "opus": {"format": "OGG", "subtype": "OPUS"}}  # fmt: skip
# The highest level libsndfile takes (MP3 refuses 1.0; 0.95-0.99 is 8 kbps at 8 kHz).
_TOP = {"mp3": 0.99, "opus": 1.0}


@dataclass
class Point:
    """One operating point: kbps (the stream's or file's size over the signal's
    seconds), PESQ and STOI."""

    setting: float  # compression_level, or a codec's bitrate / rate_weight
    kbps: float
    pesq: float
    stoi: float


def measure(setting: float, n_bytes: int, reference: np.ndarray, degraded: np.ndarray,
            rate: int) -> Point:  # fmt: skip
    """The point of ``degraded`` (aligned to ``reference``), stored in ``n_bytes``; its
    PESQ is NaN where the ``pesq`` package is not installed (it builds from source)."""
    kbps = 8 * n_bytes / (len(reference) / rate) / 1000
    try:
        pesq = pesq_score(reference, degraded, rate)
    except ImportError:
        pesq = float("nan")
    return Point(setting, kbps, pesq, stoi_score(reference, degraded, rate))


def round_trip(signal: np.ndarray, rate: int, codec: str, level: float) -> tuple[int, np.ndarray]:
    """Bytes of ``signal`` as a ``codec`` ("mp3", "opus") file at ``level``, and the
    decoded signal aligned to it."""
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, signal, rate, compression_level=float(level), **FORMATS[codec])
    size = buffer.tell()
    buffer.seek(0)
    decoded, _ = sf.read(buffer, dtype="float32")
    return size, align(signal, decoded.reshape(len(decoded), -1)[:, 0], rate)


def _level_for(signal: np.ndarray, rate: int, codec: str, kbps: float) -> float:
    """The compression level whose file comes nearest ``kbps`` (bisection: the rate
    falls as the level rises), on the first 20 s."""
    head = signal[: 20 * rate]
    lo, hi = 0.0, _TOP[codec]
    tried = {}
    for level in (lo, hi):
        tried[level] = 8 * round_trip(head, rate, codec, level)[0] / (len(head) / rate) / 1000
    for _ in range(12):
        mid = (lo + hi) / 2
        tried[mid] = 8 * round_trip(head, rate, codec, mid)[0] / (len(head) / rate) / 1000
        lo, hi = (mid, hi) if tried[mid] > kbps else (lo, mid)
    return min(tried, key=lambda level: abs(tried[level] - kbps))


def curve(signal: np.ndarray, rate: int, codec: str, kbps: Iterable[float]) -> list[Point]:
    """Points of ``codec`` ("mp3" or "opus") on ``signal`` near each wanted ``kbps``."""
    points = []
    for wanted in kbps:
        level = _level_for(signal, rate, codec, wanted)
        size, decoded = round_trip(signal, rate, codec, level)
        points.append(measure(level, size, signal, decoded, rate))
    return points


def bd_rate(anchor: list[Point], test: list[Point], quality: str = "pesq") -> float:
    """Bjøntegaard delta rate of ``test`` against ``anchor`` in kbps at equal
    ``quality`` ("pesq" or "stoi"), in percent (negative: fewer bits)."""
    points = [[(p.kbps, getattr(p, quality)) for p in c] for c in (anchor, test)]
    return curves.bd_rate(*points, quality.upper())
