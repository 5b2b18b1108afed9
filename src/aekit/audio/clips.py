"""Reading, writing and shaping audio clips (soundfile for files, soxr for resampling)."""

from __future__ import annotations

import importlib
import os
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from ..data import as_list

SUFFIXES = (".wav", ".flac", ".ogg")  # what soundfile reads on every platform


def optional(name: str) -> Any:
    """Import one of the audio extra's packages, or say how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            f"audio needs the optional package {name!r}: pip install 'aekit[audio]'"
        ) from None


def read_clip(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Mono float32 waveform and sample rate of an audio file (channels are averaged).

    An unreadable or empty file is a ValueError naming it.
    """
    soundfile = optional("soundfile")
    if not Path(path).is_file():  # libsndfile would only say "System error"
        raise ValueError(f"{path}: no such audio file.")
    try:
        wave, rate = soundfile.read(os.fspath(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path}: not a readable audio file ({reason}).") from None
    if len(wave) == 0:
        raise ValueError(f"{path}: the audio file holds no samples (zero-length clip).")
    return wave.mean(axis=1), int(rate)


def read_clips(
    source: str | os.PathLike, *, skip_bad: bool = False
) -> list[tuple[np.ndarray, int]]:
    """The clips of a folder (or one file) as ``(wave, rate)`` pairs: what ``aekit train
    --model audio`` reads. An unreadable file is a ValueError naming it; with
    ``skip_bad`` it is left out instead and the count said in a warning."""
    from ..data import read_files

    path = Path(source)
    files = audio_files(path) if path.is_dir() else [path]
    clips, _ = read_files(files, read_clip, skip_bad, "audio")
    if not clips:
        raise ValueError(f"{source}: no readable audio clips.")
    return clips


def write_clip(file: Any, wave: np.ndarray, rate: int) -> None:
    """Write a mono waveform to a path or binary file object as 16-bit PCM WAV
    (clipped to [-1, 1])."""
    target = os.fspath(file) if isinstance(file, str | os.PathLike) else file
    wave = np.clip(wave, -1.0, 1.0)
    optional("soundfile").write(target, wave, int(rate), subtype="PCM_16", format="WAV")


def audio_files(folder: str | os.PathLike) -> list[Path]:
    """The audio files (WAV, FLAC, OGG) in ``folder``, sorted by name."""
    found = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in SUFFIXES)
    if not found:
        raise ValueError(f"{folder}: no audio files ({', '.join(SUFFIXES)}) in this folder.")
    return found


def resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``wave`` from ``rate`` to ``target`` Hz (soxr, high quality)."""
    if rate == target:
        return wave
    return optional("soxr").resample(wave, rate, target).astype(np.float32, copy=False)


def fix_length(wave: np.ndarray, n: int) -> np.ndarray:
    """``wave`` centred in exactly ``n`` samples: zero-padded on both sides, or its
    middle ``n`` samples."""
    if len(wave) >= n:
        start = (len(wave) - n) // 2
        return wave[start : start + n]
    pad = n - len(wave)
    return np.pad(wave, (pad // 2, pad - pad // 2))


def check_clips(X: Any, sample_rate: int | None) -> list[tuple[np.ndarray, int, str]]:
    """``X`` as a list of (mono float32 wave, rate, name) triples.

    Items may be file paths, 1-D (or (samples, channels)) float arrays at
    ``sample_rate``, or ``(array, rate)`` pairs. Every problem is a ValueError that
    names the clip.
    """
    if isinstance(X, str | bytes | os.PathLike):
        raise ValueError("X must be a list of clips, not a single one: wrap it in a list.")
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype != object:
        X = list(X)  # a 2-D array is a batch of equally long clips
    return [_clip(item, i, sample_rate) for i, item in enumerate(as_list(X, "clips"))]


def _clip(item: Any, i: int, sample_rate: int | None) -> tuple[np.ndarray, int, str]:
    if isinstance(item, str | os.PathLike):
        wave, rate = read_clip(item)
        return wave, rate, os.fspath(item)
    name = f"clip {i}"
    rate = sample_rate
    if isinstance(item, tuple) and len(item) == 2:
        item, rate = item
        if not isinstance(rate, Integral | Real) or isinstance(rate, bool) or rate <= 0:
            raise ValueError(f"{name}: the sample rate must be a positive number; got {rate!r}.")
    if rate is None:
        raise ValueError(
            f"{name} is an array without a sample rate: pass sample_rate= to the model or "
            "give the clip as an (array, rate) pair."
        )
    try:
        wave = np.asarray(item, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} is a {type(item).__name__}, not a file path or an array of samples."
        ) from None
    if wave.ndim == 2:  # (samples, channels), as soundfile returns them
        wave = wave.mean(axis=1)
    if wave.ndim != 1:
        raise ValueError(f"{name}: a clip must be 1-D (or samples x channels); got {wave.shape}.")
    if len(wave) == 0:
        raise ValueError(f"{name} holds no samples (zero-length clip).")
    if not np.all(np.isfinite(wave)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return wave, int(rate), name
