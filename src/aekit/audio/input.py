"""The audio front end: clips <-> the standardised log-mel spectrograms a model learns.

:class:`ClipInput` holds what ``fit`` decides (rate, FFT, clip length, the spectrogram's
shape, the per-band standardisation) and does the way there (mono, resampled,
peak-normalised, centred in one length, log-mel, standardised) and back (mel to linear
magnitude by non-negative least squares, phase by Griffin-Lim). The autoencoder inside
an :class:`~aekit.AudioAutoencoder` sees the spectrograms as ``(n, n_mels, frames)``
arrays: grey pictures, by the one image rule.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval

from ..params import Param
from .clips import check_clips, fix_length, resample
from .spectrogram import LogMel, voiced_mean

SAMPLE_RATE = Param(
    "sample_rate", None, [None, Interval(Integral, 1, None, closed="left")], "int",
    "Rate (Hz) the model works at; clips at other rates are resampled (soxr). Also the "
    "rate of clips given as bare arrays. None: the most common rate of the files given "
    "to fit (bare arrays then need it).", {"type": int, "help": "Hz (default: the data's)"},
    int | None)  # fmt: skip


@dataclass
class ClipInput:
    sample_rate: int
    n_fft: int
    hop_length: int
    n_samples: int  # per clip
    spectrogram_shape: tuple[int, int]  # (n_mels, frames)
    band_mean: np.ndarray  # (n_mels,) of the log-mel dB values
    band_scale: np.ndarray
    normalize: bool  # each clip to a peak of 1, in and out
    standardize: str  # "bands" or "clip" (each clip's voiced mean per band removed first)

    @classmethod
    def fit(cls, X: Any, settings: Any) -> tuple[ClipInput, np.ndarray]:
        """The front end for clips ``X`` and their standardised spectrograms (augmented
        clips included). ``settings``: the estimator, whose parameters say how
        (``sample_rate``, ``duration``, ``n_mels``, ``n_fft``, ``hop_length``,
        ``normalize``, ``standardize``, ``augment``, ``verbose``)."""
        s = settings
        clips = check_clips(X, s.sample_rate)
        rate = s.sample_rate or Counter(r for _, r, _ in clips).most_common(1)[0][0]
        n_fft = s.n_fft or 2 ** round(math.log2(0.032 * rate))
        hop = s.hop_length or max(1, n_fft // 4)
        if hop > n_fft:
            raise ValueError(f"hop_length={hop} is longer than the FFT window n_fft={n_fft}.")
        if not all(isinstance(f, Real) and 0.25 <= f <= 4 for f in s.augment):
            raise ValueError(f"augment must hold speed factors in [0.25, 4]; got {s.augment!r}.")
        front = cls(int(rate), int(n_fft), int(hop), 0, (s.n_mels, 0), np.zeros(0),
                    np.zeros(0), s.normalize, s.standardize)  # fmt: skip
        waves = front._resampled(clips, s.verbose)
        if s.duration is None:
            n = int(np.ceil(np.percentile([len(w) for w in waves], 95)))
        else:
            n = int(round(s.duration * rate))
        front.n_samples = max(n, 1)
        for factor in s.augment:  # as if said faster or slower, higher or lower
            waves += [resample(w, rate, max(1, round(rate / factor))) for w in waves[: len(clips)]]
        logmel = front.logmel(s.n_mels)(front._batch(waves))
        front.spectrogram_shape = tuple(logmel.shape[1:])
        front.band_mean = logmel.mean(axis=(0, 2)).astype(np.float32)
        centred = front._centred(logmel)
        front.band_scale = np.maximum(centred.std(axis=(0, 2)), 1e-3).astype(np.float32)
        return front, front._scaled(centred)

    @classmethod
    def fit_clips(cls, X: Any, settings: Any) -> tuple[ClipInput, list[np.ndarray]]:
        """The front end of a model that hears each clip at its own length (the waveform
        representation) and the fit clips as it hears them (augmented ones included):
        the rate and normalisation as :meth:`fit`; no spectrogram, ``n_samples`` 0."""
        s = settings
        clips = check_clips(X, s.sample_rate)
        rate = s.sample_rate or Counter(r for _, r, _ in clips).most_common(1)[0][0]
        n_fft = 2 ** round(math.log2(0.032 * rate))  # for spectral_convergence's measure
        if not all(isinstance(f, Real) and 0.25 <= f <= 4 for f in s.augment):
            raise ValueError(f"augment must hold speed factors in [0.25, 4]; got {s.augment!r}.")
        front = cls(int(rate), n_fft, n_fft // 4, 0, (s.n_mels, 0), np.zeros(0, np.float32),
                    np.zeros(0, np.float32), s.normalize, s.standardize)  # fmt: skip
        waves = front._resampled(clips, s.verbose)
        for factor in s.augment:
            waves += [resample(w, rate, max(1, round(rate / factor))) for w in waves[: len(clips)]]
        return front, waves

    def clips(self, X: Any, verbose: bool = False) -> tuple[list[np.ndarray], np.ndarray]:
        """Clips ``X`` at their own lengths as the model hears them (mono, resampled,
        peak-normalised with ``normalize``) and each one's peak before (1 without)."""
        clips = self._announced(check_clips(X, self.sample_rate), verbose)
        raw = [resample(w, r, self.sample_rate) for w, r, _ in clips]
        peaks = np.array([np.abs(w).max() if self.normalize else 1.0 for w in raw], np.float64)
        return [w / p if p > 0 else w for w, p in zip(raw, peaks, strict=True)], peaks

    def logmel(self, n_mels: int | None = None) -> LogMel:
        return LogMel(self.sample_rate, self.n_fft, self.hop_length,
                      n_mels or self.spectrogram_shape[0])  # fmt: skip

    # ------------------------------------------------------------------ there
    def waveforms(self, X: Any, verbose: bool = False) -> np.ndarray:
        """Clips ``X`` as the model hears them, (n, n_samples): mono, resampled,
        peak-normalised (``normalize``) and centred in ``n_samples``."""
        return self._batch(self._resampled(check_clips(X, self.sample_rate), verbose))

    def spectrograms(self, X: Any, verbose: bool = False) -> np.ndarray:
        """Standardised log-mel spectrograms (n, n_mels, frames) of clips ``X``."""
        return self.standardised(self.logmel()(self.waveforms(X, verbose)))

    def standardised(self, logmel: np.ndarray) -> np.ndarray:
        """Log-mel dB (n, n_mels, frames) standardised per band, float32."""
        return self._scaled(self._centred(logmel))

    def _announced(self, clips: list[tuple[np.ndarray, int, str]], verbose: bool) -> list:
        moved = [name for _, r, name in clips if r != self.sample_rate]
        if moved and verbose:
            print(f"aekit: resampling {len(moved)} clip(s) to {self.sample_rate} Hz "
                  f"(first: {moved[0]})", file=sys.stderr)  # fmt: skip
        return clips

    def _resampled(self, clips: list[tuple[np.ndarray, int, str]], verbose: bool) -> list:
        waves = [resample(w, r, self.sample_rate) for w, r, _ in self._announced(clips, verbose)]
        if self.normalize:
            waves = [w / peak if (peak := np.abs(w).max()) > 0 else w for w in waves]
        return waves

    def _batch(self, waves: list[np.ndarray]) -> np.ndarray:
        return np.stack([fix_length(w, self.n_samples) for w in waves])

    def _centred(self, logmel: np.ndarray) -> np.ndarray:
        # Decoding adds band_mean back in both modes: the average clip's colour.
        if self.standardize == "clip":
            return logmel - voiced_mean(logmel)
        return logmel - self.band_mean[:, None]

    def _scaled(self, centred: np.ndarray) -> np.ndarray:
        return (centred / self.band_scale[:, None]).astype(np.float32)

    # ------------------------------------------------------------------ and back
    def restore(self, spectrograms: np.ndarray, n_iter: int) -> list[np.ndarray]:
        """Waveforms (1-D float32, ``n_samples`` at ``sample_rate``) whose log-mel
        spectrograms approximate the standardised ``spectrograms``."""
        if len(spectrograms) == 0:
            return []
        z = np.asarray(spectrograms, dtype=np.float32).reshape(-1, *self.spectrogram_shape)
        logmel = z * self.band_scale[:, None] + self.band_mean[:, None]
        waves = self.logmel().invert(logmel, self.n_samples, n_iter)
        if self.normalize:  # the clips were learnt at a peak of 1: give them back at 1
            waves /= np.maximum(np.abs(waves).max(axis=1, keepdims=True), 1e-9)
        return list(waves)

    # ------------------------------------------------------------------ files
    def to_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        import torch

        state = {"sample_rate": self.sample_rate, "n_fft": self.n_fft,
                 "hop_length": self.hop_length, "n_samples": self.n_samples,
                 "spectrogram_shape": list(self.spectrogram_shape)}  # fmt: skip
        tensors = {"band_mean": torch.from_numpy(self.band_mean),
                   "band_scale": torch.from_numpy(self.band_scale)}  # fmt: skip
        return state, tensors

    @classmethod
    def from_state(
        cls, state: dict[str, Any], tensors: dict[str, Any], normalize: bool, standardize: str
    ) -> ClipInput:
        return cls(int(state["sample_rate"]), int(state["n_fft"]), int(state["hop_length"]),
                   int(state["n_samples"]), tuple(int(v) for v in state["spectrogram_shape"]),
                   tensors["band_mean"].numpy(), tensors["band_scale"].numpy(), normalize,
                   standardize)  # fmt: skip
