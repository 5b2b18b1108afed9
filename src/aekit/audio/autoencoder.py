"""``aekit.AudioAutoencoder``: clips -> log-mel spectrogram -> autoencoder -> clips."""

from __future__ import annotations

import math
import sys
from collections import Counter
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..arrays.autoencoder import Autoencoder
from ..estimator import Wrapper
from ..params import LATENT_DIM, TRAINING, Declared, Param, inherited, parameters, positive_int
from ..saving.model_file import pack_inner, register_estimator, save, unpack_inner
from .clips import check_clips, fix_length, resample
from .spectrogram import LogMel, spectral_convergence, voiced_mean


def _default_model() -> Autoencoder:
    # A few thousand clips make few steps per epoch at the usual batch of 256.
    return Autoencoder(architecture="conv", batch_size=32)


@register_estimator
class AudioAutoencoder(
    Wrapper, Declared, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Autoencoder for sound clips, through their log-mel spectrograms.

    Each clip is mixed to mono, resampled to ``sample_rate``, centred in ``duration``
    seconds (zero-padded or cut at both ends) and turned into a log-mel spectrogram
    (dB), standardised per mel band. Those pictures are learnt by an aekit
    autoencoder, a convolutional one by default; any setting of the family applies
    (denoising, sparse, contractive, variational). Codes decode to spectrograms and
    those to waveforms: mel to linear magnitude by non-negative least squares, phase
    by Griffin-Lim (librosa).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    autoencoder_ : Autoencoder
        The fitted spectrogram autoencoder.
    sample_rate_, n_fft_, hop_length_ : int
        The settings in use.
    n_samples_ : int
        Samples per clip (``duration`` times ``sample_rate_``).
    spectrogram_shape_ : tuple of int
        ``(n_mels, frames)`` of one clip.
    band_mean_, band_scale_ : ndarray of shape (n_mels,)
        Per-band standardisation of the log-mel dB values.
    n_features_in_ : int
        Always 1: one clip per sample.

    Examples
    --------
    >>> import numpy as np, aekit
    >>> t = np.arange(4000) / 8000
    >>> clips = [np.sin(2 * np.pi * f * t) for f in np.linspace(200, 1200, 24)]
    >>> aud = aekit.AudioAutoencoder(
    ...     autoencoder=aekit.Autoencoder(4, architecture="conv", epochs=5, random_state=0),
    ...     sample_rate=8000,
    ... ).fit(clips)
    >>> aud.transform(clips[:2]).shape
    (2, 4)
    >>> waves = aud.inverse_transform(aud.transform(clips[:2]))
    >>> len(waves), waves[0].shape
    (2, (4000,))
    """

    _parameters = parameters(
        inherited([LATENT_DIM], "autoencoder"),
        Param("autoencoder", None, [None, HasMethods(["fit", "transform", "inverse_transform"])],
              "Autoencoder or VariationalAutoencoder",
              "The (unfitted) model for the spectrograms, cloned at fit; None means "
              'Autoencoder(latent_dim, architecture="conv", batch_size=32). A conv model gets '
              "the spectrogram's shape (1, n_mels, frames) as its image_shape. Its settings "
              "are nested parameters (autoencoder__max_time ...)."),
        Param("sample_rate", None, [None, Interval(Integral, 1, None, closed="left")], "int",
              "Rate (Hz) the model works at; clips at other rates are resampled (soxr). Also "
              "the rate of clips given as bare arrays. None: the most common rate of the "
              "files given to fit (bare arrays then need it).",
              {"type": int, "help": "Hz (default: the data's)"}, int | None),
        Param("duration", None, [None, Interval(Real, 0, None, closed="neither")], "float",
              "Clip length in seconds. None: the 95th percentile of the fit clips' lengths, "
              "so a few long outliers do not pad every clip with silence.",
              {"type": float, "help": "seconds per clip (default: the data's)"}, float | None),
        positive_int("n_mels", 40, "int", "Mel bands.", help="mel bands (default 40)"),
        Param("n_fft", None, [None, Interval(Integral, 2, None, closed="left")], "int",
              "FFT window in samples; None: the power of two nearest 32 ms.",
              {"type": int, "help": "FFT window in samples (default ~32 ms)"}, int | None),
        Param("hop_length", None, [None, Interval(Integral, 1, None, closed="left")], "int",
              "Samples between frames; None: n_fft // 4.",
              {"type": int, "help": "samples between frames"}, int | None),
        Param("normalize", True, ["boolean"], "bool",
              "Scale each clip to a peak of 1 before anything else: the recording level is "
              "not content. Decoded clips are scaled to a peak of 1 too.", None, bool),
        Param("standardize", "bands", [StrOptions({"bands", "clip"})], '{"bands", "clip"}',
              '"bands": each mel band is standardised with the fit data\'s mean and standard '
              'deviation. "clip": each clip\'s own mean per band, over its sounding frames '
              "(within 15 dB of its loudest), is removed first (cepstral mean normalisation, "
              "as speech recognisers do): the speaker's and the microphone's spectral colour "
              "go, so codes describe what is said, and decoded clips get the fit data's "
              "average colour instead of their own.",
              {"choices": ["bands", "clip"], "help": "default bands"}, str),
        Param("augment", (), [tuple, list], "tuple of float",
              "Speed factors: each fit clip is also learnt played back at each of these "
              "speeds (resampled, so pitch moves too, like a shorter or longer vocal tract), "
              "which helps codes carry over to new speakers. FSDD with one speaker held out "
              "(benchmarks/audio_reconstruction.py) uses (0.85, 0.92, 1.08, 1.15).",
              {"type": float, "nargs": "+", "metavar": "F",
               "help": "also learn clips at these speeds"}, tuple[float, ...]),
        positive_int("n_iter", 32, "int", "Griffin-Lim iterations when decoding to waveforms."),
        inherited(TRAINING, "autoencoder"),
    )  # fmt: skip
    # latent_dim as well as the training parameters goes to the inner model.
    _forwarded = ("latent_dim", *Wrapper._forwarded)
    _must_agree = ("latent_dim",)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> AudioAutoencoder:
        """Learn the spectrogram autoencoder from clips ``X``: a list of file paths,
        1-D arrays (at ``sample_rate``) or ``(array, rate)`` pairs."""
        self._validate_params()
        # A bad setting is reported before any audio is read.
        inner = self._inner(_default_model)
        clips = check_clips(X, self.sample_rate)
        rate = self.sample_rate or Counter(r for _, r, _ in clips).most_common(1)[0][0]
        n_fft = self.n_fft or 2 ** round(math.log2(0.032 * rate))
        hop = self.hop_length or max(1, n_fft // 4)
        if hop > n_fft:
            raise ValueError(f"hop_length={hop} is longer than the FFT window n_fft={n_fft}.")
        if not all(isinstance(f, Real) and 0.25 <= f <= 4 for f in self.augment):
            raise ValueError(f"augment must hold speed factors in [0.25, 4]; got {self.augment!r}.")
        self.sample_rate_, self.n_fft_, self.hop_length_ = int(rate), int(n_fft), int(hop)
        waves = self._resampled(clips)
        if self.duration is None:
            n = int(np.ceil(np.percentile([len(w) for w in waves], 95)))
        else:
            n = int(round(self.duration * rate))
        self.n_samples_ = max(n, 1)
        for factor in self.augment:  # as if said faster or slower, higher or lower
            waves += [resample(w, rate, max(1, round(rate / factor))) for w in waves[: len(clips)]]
        logmel = self._logmel_spec(self.n_mels)(self._batch(waves))
        self.spectrogram_shape_ = tuple(logmel.shape[1:])
        if inner.get_params().get("architecture") == "conv":
            inner.set_params(image_shape=(1, *self.spectrogram_shape_))
        self.band_mean_ = logmel.mean(axis=(0, 2)).astype(np.float32)
        centred = self._centred(logmel)
        self.band_scale_ = np.maximum(centred.std(axis=(0, 2)), 1e-3).astype(np.float32)
        self.autoencoder_ = inner.fit(self._scaled(centred))
        self.n_features_in_ = 1
        return self

    def _logmel_spec(self, n_mels: int) -> LogMel:
        return LogMel(self.sample_rate_, self.n_fft_, self.hop_length_, n_mels)

    def _resampled(self, clips: list[tuple[np.ndarray, int, str]]) -> list[np.ndarray]:
        moved = [name for _, r, name in clips if r != self.sample_rate_]
        if moved and self.verbose:
            print(
                f"aekit: resampling {len(moved)} clip(s) to {self.sample_rate_} Hz "
                f"(first: {moved[0]})",
                file=sys.stderr,
            )
        waves = [resample(w, r, self.sample_rate_) for w, r, _ in clips]
        if self.normalize:
            waves = [w / peak if (peak := np.abs(w).max()) > 0 else w for w in waves]
        return waves

    def _batch(self, waves: list[np.ndarray]) -> np.ndarray:
        return np.stack([fix_length(w, self.n_samples_) for w in waves])

    def _standardise(self, logmel: np.ndarray) -> np.ndarray:
        """Log-mel dB (n, n_mels, frames) -> the autoencoder's flat input rows."""
        return self._scaled(self._centred(logmel))

    def _centred(self, logmel: np.ndarray) -> np.ndarray:
        # Decoding adds band_mean_ back in both modes: the average clip's colour.
        if self.standardize == "clip":
            return logmel - voiced_mean(logmel)
        return logmel - self.band_mean_[:, None]

    def _scaled(self, centred: np.ndarray) -> np.ndarray:
        z = centred / self.band_scale_[:, None]
        return z.reshape(len(z), -1).astype(np.float32)

    # ------------------------------------------------------------------ inference
    def waveforms(self, X: Any) -> np.ndarray:
        """Clips ``X`` as the model hears them, shape (n, n_samples_): mono, resampled,
        peak-normalised (``normalize``) and centred in ``n_samples_``."""
        check_is_fitted(self)
        return self._batch(self._resampled(check_clips(X, self.sample_rate_)))

    def spectrograms(self, X: Any) -> np.ndarray:
        """Standardised log-mel spectrograms of clips ``X``, shape (n, n_mels, frames):
        what the autoencoder sees."""
        logmel = self._logmel_spec(self.spectrogram_shape_[0])(self.waveforms(X))
        return self._standardise(logmel).reshape(len(logmel), *self.spectrogram_shape_)

    def _features(self, X: Any) -> np.ndarray:
        return self.spectrograms(X).reshape(-1, math.prod(self.spectrogram_shape_))

    def transform(self, X: Any) -> np.ndarray:
        """Codes of clips ``X``: array of shape (n_clips, latent_dim)."""
        return self.autoencoder_.transform(self._features(X))

    def decode_spectrograms(self, Z: Any) -> np.ndarray:
        """Standardised log-mel spectrograms (n, n_mels, frames) decoded from codes ``Z``."""
        check_is_fitted(self)
        return self._pictures(self.autoencoder_.inverse_transform(Z))

    def _pictures(self, flat: Any) -> np.ndarray:
        return np.asarray(flat, dtype=np.float32).reshape(len(flat), *self.spectrogram_shape_)

    def inverse_transform(self, Z: Any) -> list[np.ndarray]:
        """Waveforms decoded from codes ``Z``: a list of 1-D float32 arrays of
        ``n_samples_`` samples at ``sample_rate_`` Hz."""
        return self._waves(self.decode_spectrograms(Z))

    def _waves(self, z: np.ndarray) -> list[np.ndarray]:
        if len(z) == 0:
            return []
        logmel = z * self.band_scale_[:, None] + self.band_mean_[:, None]
        spec = self._logmel_spec(self.spectrogram_shape_[0])
        waves = spec.invert(logmel, self.n_samples_, self.n_iter)
        if self.normalize:  # the clips were learnt at a peak of 1: give them back at 1
            waves /= np.maximum(np.abs(waves).max(axis=1, keepdims=True), 1e-9)
        return list(waves)

    def reconstruct(self, X: Any) -> list[np.ndarray]:
        """``inverse_transform(transform(X))``: each clip through the code and back."""
        return self.inverse_transform(self.transform(X))

    def score_samples(self, X: Any) -> np.ndarray:
        """Negative reconstruction error of each clip's standardised log-mel
        spectrogram (mean squared error per bin for the default model); higher is better."""
        return self.autoencoder_.score_samples(self._features(X))

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` (higher is better)."""
        return float(np.mean(self.score_samples(X)))

    def spectral_convergence(self, X: Any) -> np.ndarray:
        """Per clip, how far the decoded waveform's STFT magnitude is from the input's
        (centred to ``n_samples_``): ``||S - S_hat|| / ||S||``, lower is better."""
        waves = self.waveforms(X)
        rebuilt = np.stack(self.reconstruct(list(waves)))
        return spectral_convergence(waves, rebuilt, self._logmel_spec(self.spectrogram_shape_[0]))

    def sample(self, n_samples: int = 1, random_state: Any = None) -> list[np.ndarray]:
        """Waveforms decoded from draws of the prior: needs a VariationalAutoencoder
        (a plain autoencoder raises ValueError)."""
        check_is_fitted(self)
        return self._waves(self._pictures(self.autoencoder_.sample(n_samples, random_state)))

    @property
    def _n_features_out(self) -> int:
        return self.autoencoder_.latent_dim

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "autoencoder_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = True  # Griffin-Lim and training budgets
        return tags

    # ------------------------------------------------------------------ files
    def save(self, path: str) -> None:
        """Write the fitted model to one safetensors file (no pickle); see :func:`aekit.load`."""
        save(self, path)

    def _file_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        import torch

        check_is_fitted(self)
        inner, tensors = pack_inner(self.autoencoder_, "autoencoder.")
        state = {
            "sample_rate": self.sample_rate_,
            "n_fft": self.n_fft_,
            "hop_length": self.hop_length_,
            "n_samples": self.n_samples_,
            "spectrogram_shape": list(self.spectrogram_shape_),
            "autoencoder": inner,
        }
        tensors["band_mean"] = torch.from_numpy(self.band_mean_)
        tensors["band_scale"] = torch.from_numpy(self.band_scale_)
        return state, tensors

    def _load_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        self.autoencoder_ = unpack_inner(state["autoencoder"], tensors, "autoencoder.")
        self.sample_rate_ = int(state["sample_rate"])
        self.n_fft_ = int(state["n_fft"])
        self.hop_length_ = int(state["hop_length"])
        self.n_samples_ = int(state["n_samples"])
        self.spectrogram_shape_ = tuple(int(v) for v in state["spectrogram_shape"])
        self.band_mean_ = tensors["band_mean"].numpy()
        self.band_scale_ = tensors["band_scale"].numpy()
        self.n_features_in_ = 1
