"""``aekit.AudioAutoencoder``: clips -> log-mel spectrogram -> autoencoder -> clips."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from ..arrays.autoencoder import Autoencoder
from ..estimator import Wrapper
from ..params import (
    CODE,
    LATENT_DIM,
    TRAINING,
    WARM_START,
    Declared,
    Param,
    inherited,
    one_of,
    parameters,
    positive_int,
)
from ..saving.model_file import register_estimator
from .input import SAMPLE_RATE, ClipInput
from .spectrogram import spectral_convergence
from .waveform_model import WaveformModel

# The waveform model's own settings that the wrapper takes and hands on.
_WAVEFORM = tuple(p for p in WaveformModel._parameters
                  if p.name in ("width", "segment", "rate_weight", "bitrate"))  # fmt: skip


def _default_model() -> Autoencoder:
    # A few thousand clips make few steps per epoch at the usual batch of 256. The
    # spectrograms come as (n, n_mels, frames) arrays: the conv network takes its
    # image_shape from them.
    return Autoencoder(architecture="conv", batch_size=32)


@register_estimator
class AudioAutoencoder(
    Wrapper, Declared, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Autoencoder for sound clips: through their log-mel spectrograms, one code per
    clip, or through their samples, a code per frame.

    Each clip is mixed to mono, resampled to ``sample_rate`` and (``normalize``) scaled
    to a peak of 1. ``representation="logmel"``: the clip is centred in ``duration``
    seconds (zero-padded or cut at both ends) and turned into a log-mel spectrogram
    (dB), standardised per mel band. Those pictures are learnt by an aekit
    autoencoder, a convolutional one by default; any setting of the family applies
    (denoising, sparse, contractive, variational: ``bottleneck="gaussian"``). Codes decode
    to spectrograms and those to waveforms: mel to linear magnitude by non-negative
    least squares, phase by Griffin-Lim (librosa). ``representation="waveform"``: a
    :class:`~aekit.audio.waveform_model.WaveformModel` hears each clip's samples at its
    own length, gives ``latent_dim`` values per 5 ms frame and decodes straight to
    samples (multi-resolution STFT and mel losses); ``bottleneck="quantized"`` makes it
    a codec (``compress`` / ``decompress``, at a ``bitrate`` or ``rate_weight``).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    autoencoder_ : Autoencoder or WaveformModel
        The fitted spectrogram autoencoder, or the waveform model.
    input_ : aekit.audio.input.ClipInput
        The front end: clips to standardised log-mel spectrograms and back (the
        attributes below are its parts).
    sample_rate_, n_fft_, hop_length_ : int
        The settings in use.
    n_samples_ : int
        Samples per clip (``duration`` times ``sample_rate_``); 0 for a waveform model,
        which keeps each clip's length.
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
        one_of("representation", "auto", ("auto", "logmel", "waveform"),
               '"logmel": the autoencoder learns log-mel spectrograms of clips of one '
               "duration, one code per clip (the better features for a classifier), and "
               'decodes by Griffin-Lim. "waveform": a convolutional network hears the '
               "samples of each clip at its own length, gives a code per 5 ms frame and "
               "decodes straight to samples (the better sound; a codec with "
               'bottleneck="quantized"). "auto": waveform for a codec, else logmel.',
               help="logmel (one code per clip) or waveform (a code per frame)"),
        Param("autoencoder", None, [None, HasMethods(["fit", "transform", "inverse_transform"])],
              "Autoencoder or VariationalAutoencoder",
              "The (unfitted) model for the spectrograms, cloned at fit; None means "
              'Autoencoder(latent_dim, architecture="conv", batch_size=32). It is given the '
              "spectrograms as (n, n_mels, frames) arrays: grey pictures to a conv model. Its "
              "settings "
              "are nested parameters (autoencoder__max_time ...)."),
        SAMPLE_RATE,
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
        one_of("standardize", "bands", ("bands", "clip"),
               '"bands": each mel band is standardised with the fit data\'s mean and standard '
              'deviation. "clip": each clip\'s own mean per band, over its sounding frames '
              "(within 15 dB of its loudest), is removed first (cepstral mean normalisation, "
              "as speech recognisers do): the speaker's and the microphone's spectral colour "
              "go, so codes describe what is said, and decoded clips get the fit data's "
               "average colour instead of their own.", help="default bands"),
        Param("augment", (), [tuple, list], "tuple of float",
              "Speed factors: each fit clip is also learnt played back at each of these "
              "speeds (resampled, so pitch moves too, like a shorter or longer vocal tract), "
              "which helps codes carry over to new speakers. FSDD with one speaker held out "
              "(benchmarks/audio_reconstruction.py) uses (0.85, 0.92, 1.08, 1.15).",
              {"type": float, "nargs": "+", "metavar": "F",
               "help": "also learn clips at these speeds"}, tuple[float, ...]),
        positive_int("n_iter", 32, "int", "Griffin-Lim iterations when decoding to waveforms."),
        inherited(CODE, "autoencoder"),
        inherited(_WAVEFORM, "autoencoder"),
        inherited(TRAINING, "autoencoder"),
        WARM_START,
    )  # fmt: skip
    # latent_dim, the code's and the waveform model's settings and the training parameters go to
    # the inner model.
    _forwarded = ("latent_dim", *(p.name for p in (*CODE, *_WAVEFORM)), *Wrapper._forwarded)
    _must_agree = ("latent_dim",)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> AudioAutoencoder:
        """Learn the spectrogram autoencoder from clips ``X``: a list of file paths,
        1-D arrays (at ``sample_rate``) or ``(array, rate)`` pairs."""
        self._validate_params()
        # A bad setting is reported before any audio is read.
        waveform = self._hears_waveforms()  # the settings decide, not an earlier fit
        inner = self._inner(WaveformModel if waveform else _default_model)
        if self.warm_start and hasattr(self, "autoencoder_"):
            # the inner model starts from the previous fit's network (it checks the fit)
            inner.set_params(warm_start=True).network_ = self.autoencoder_.network_
        if waveform:
            self.input_, waves = ClipInput.fit_clips(X, self)
            self.autoencoder_ = inner.set_params(sample_rate=self.input_.sample_rate).fit(waves)
        else:
            self.input_, spectrograms = ClipInput.fit(X, self)
            # (n, n_mels, frames): grey pictures to the model inside, by the one image rule.
            self.autoencoder_ = inner.fit(spectrograms)
        self.n_features_in_ = 1
        return self

    def _waveform(self) -> bool:
        """Whether this model hears waveforms (else log-mel spectrograms): once fitted,
        whether its inner model is a waveform model."""
        if hasattr(self, "autoencoder_"):
            return isinstance(self.autoencoder_, WaveformModel)
        return self._hears_waveforms()

    def _hears_waveforms(self) -> bool:
        """Whether these settings make a waveform model."""
        if self.representation == "auto":
            return self.bottleneck == "quantized" or isinstance(self.autoencoder, WaveformModel)
        return self.representation == "waveform"

    def _check_waveform(self, verb: str) -> None:
        check_is_fitted(self)
        if not self._waveform():
            raise ValueError(f"{verb} needs a waveform model: this AudioAutoencoder learns "
                             "log-mel spectrograms; fit one with representation='waveform' "
                             "(a codec: bottleneck='quantized').")  # fmt: skip

    # The front end's fitted parts, as attributes of the estimator.
    sample_rate_ = property(lambda self: self.input_.sample_rate, doc="Hz of the model.")
    n_fft_ = property(lambda self: self.input_.n_fft, doc="FFT window in samples.")
    n_samples_ = property(lambda self: self.input_.n_samples, doc="Samples per clip.")
    spectrogram_shape_ = property(lambda self: self.input_.spectrogram_shape,
                                  doc="(n_mels, frames) of one clip.")  # fmt: skip
    band_mean_ = property(lambda self: self.input_.band_mean, doc="Per-band mean (dB).")
    band_scale_ = property(lambda self: self.input_.band_scale, doc="Per-band scale (dB).")

    # ------------------------------------------------------------------ inference
    def waveforms(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Clips ``X`` as the model hears them: mono, resampled and peak-normalised
        (``normalize``); for a log-mel model centred in ``n_samples_``, shape (n,
        n_samples_), for a waveform model a list of clips at their own lengths."""
        check_is_fitted(self)
        if self._waveform():
            return self.input_.clips(X, self.verbose)[0]
        return self.input_.waveforms(X, self.verbose)

    def spectrograms(self, X: Any) -> np.ndarray:
        """Standardised log-mel spectrograms of clips ``X``, shape (n, n_mels, frames):
        what a log-mel model's autoencoder sees."""
        check_is_fitted(self)
        return self.input_.spectrograms(X, self.verbose)

    def transform(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Codes of clips ``X``: an array (n_clips, latent_dim) for a log-mel model; for a
        waveform model a list of (frames, latent_dim) arrays, a frame per
        ``hop_length_`` samples."""
        if self._waveform():
            return self.autoencoder_.transform(self.waveforms(X))
        return self.autoencoder_.transform(self.spectrograms(X))

    def decode_spectrograms(self, Z: Any) -> np.ndarray:
        """Standardised log-mel spectrograms (n, n_mels, frames) decoded from codes ``Z``."""
        check_is_fitted(self)
        return self._pictures(self.autoencoder_.inverse_transform(Z))

    def _pictures(self, out: Any) -> np.ndarray:
        return np.asarray(out, dtype=np.float32).reshape(len(out), *self.spectrogram_shape_)

    def inverse_transform(self, Z: Any) -> list[np.ndarray]:
        """Waveforms decoded from codes ``Z``: a list of 1-D float32 arrays at
        ``sample_rate_`` Hz, of ``n_samples_`` samples (log-mel) or frames x
        ``hop_length_`` (waveform)."""
        if self._waveform():
            check_is_fitted(self)
            return self.autoencoder_.inverse_transform(Z)
        return self.input_.restore(self.decode_spectrograms(Z), self.n_iter)

    def reconstruct(self, X: Any) -> list[np.ndarray]:
        """Each clip of ``X`` through its code and back: at ``n_samples_`` (log-mel) or
        at its own length (waveform)."""
        if self._waveform():
            return self.autoencoder_.reconstruct(self.waveforms(X))
        return self.inverse_transform(self.transform(X))

    def score_samples(self, X: Any) -> np.ndarray:
        """Per clip, the negative reconstruction error: of the standardised log-mel
        spectrogram (mean squared error per bin for the default model), or a waveform
        model's loss (STFT and mel distances); higher is better."""
        if self._waveform():
            return self.autoencoder_.score_samples(self.waveforms(X))
        return self.autoencoder_.score_samples(self.spectrograms(X))

    def spectral_convergence(self, X: Any) -> np.ndarray:
        """Per clip, how far the decoded waveform's STFT magnitude is from the input's
        (as :meth:`waveforms` gives it): ``||S - S_hat|| / ||S||``, lower is better."""
        waves = self.waveforms(X)
        rebuilt = self.reconstruct(list(waves))
        logmel = self.input_.logmel()
        return np.concatenate([spectral_convergence(w[None], r[None], logmel)
                               for w, r in zip(waves, rebuilt, strict=True)])  # fmt: skip

    def sample(self, n_samples: int = 1, random_state: Any = None) -> list[np.ndarray]:
        """Waveforms decoded from draws of the prior: needs a log-mel
        VariationalAutoencoder (others raise ValueError)."""
        check_is_fitted(self)
        if self._waveform():
            raise ValueError("a waveform model's code has a length of its own, so there is no "
                             "one prior to draw clips from: sample from a log-mel model with "
                             "bottleneck='gaussian'.")  # fmt: skip
        drawn = self._pictures(self.autoencoder_.sample(n_samples, random_state))
        return self.input_.restore(drawn, self.n_iter)

    # ------------------------------------------------------------------ real bits
    def compress(self, X: Any) -> bytes:
        """Clips ``X`` as bytes (a codec: ``bottleneck="quantized"``), each clip's length
        and level (with ``normalize``) kept, so :meth:`decompress` gives back
        ``reconstruct(X)`` at the clip's own level, bit for bit."""
        self._check_waveform("compress")
        waves, peaks = self.input_.clips(X, self.verbose)
        return self.autoencoder_.compress(waves, _level_codes(peaks)[:, None])

    def decompress(self, data: bytes) -> list[np.ndarray]:
        """Clips (1-D float32 at ``sample_rate_`` Hz, each at its length and level) from
        bytes :meth:`compress` wrote with this model. Bytes of another model, cut short
        or damaged are a ValueError that says which."""
        self._check_waveform("decompress")
        waves, extras = self.autoencoder_.decompress(data)
        if extras.shape[1] != 1:
            from ..codec import StreamError

            raise StreamError("the stream is damaged: it does not hold each clip's level.")
        gains = _levels(extras[:, 0])
        return [(w * g).astype(np.float32) for w, g in zip(waves, gains, strict=True)]

    @property
    def _n_features_out(self) -> int:
        return self.autoencoder_.latent_dim

    hop_length_ = property(
        lambda self: self.autoencoder_.hop_ if self._waveform() else self.input_.hop_length,
        doc="Samples between frames (of the spectrogram, or of a waveform model's code).",
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = True  # Griffin-Lim and training budgets
        return tags

    # ------------------------------------------------------------------ files
    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.input_.to_state()

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        self.input_ = ClipInput.from_state(state, tensors, self.normalize, self.standardize)
        self.n_features_in_ = 1


# A clip's peak is kept in 1/4 dB steps (1.5 % of its level at most): 9 bits for a peak
# at -3 dB, where a float would take 32.
_LEVEL_STEPS = 4  # per dB


def _level_codes(peaks: np.ndarray) -> np.ndarray:
    return np.rint(_LEVEL_STEPS * 20 * np.log10(np.maximum(peaks, 1e-9))).astype(np.int64)


def _levels(codes: np.ndarray) -> np.ndarray:
    return np.power(10.0, np.asarray(codes, np.float64) / (_LEVEL_STEPS * 20))
