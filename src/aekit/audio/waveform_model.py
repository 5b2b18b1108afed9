"""The waveform model inside ``AudioAutoencoder(representation="waveform")``: samples
in, a code per frame, samples out, and (``bottleneck="quantized"``) a codec.

It trains on stretches of ``segment`` seconds cut from the fit clips joined end to end
(with a short silence between clips), so every training sample is real sound of one
length; it encodes and decodes each clip whole and on its own, so a clip's code never
depends on the clips beside it. Clips reach it as the audio front end made them:
mono, at ``sample_rate``, peak-normalised.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ..arrays.family import CORRUPTION, NETWORK
from ..codec.bitstream import FIXED_BYTES
from ..codec.model import CodecTables, model_digest
from ..codec.stream import read_frames, small_bits, write_frames
from ..estimator import NeuralEstimator
from ..networks import build_network, config_fields
from ..objective import Objective
from ..objective.bottleneck import BOTTLENECKS
from ..objective.corruption import Corruption, check_noise
from ..objective.penalties import Rate
from ..params import (
    CODE,
    LATENT_DIM,
    RATE_WEIGHT,
    TRAINING,
    WARM_START,
    Param,
    parameters,
    positive_int,
)
from ..saving.model_file import register_estimator
from ..training.devices import model_device
from .input import SAMPLE_RATE
from .losses import WaveformLoss

_ARCHITECTURE = next(p for p in NETWORK if p.name == "architecture")

_GAP = 0.05  # seconds of silence between joined fit clips
# Clips are coded together, end to end in one signal, each between MARGIN frames of
# silence (0.2 s at 8 kHz; the default networks hear about 0.07 s either side of a frame),
# so that a batch costs what one long clip costs and no clip hears another.
MARGIN = 40
_GROUP = 30.0  # seconds of clips per pass
_TARGET_WEIGHT = 500.0  # of a bitrate's term (see Rate), against the waveform loss's ~5

WAVEFORM = (
    positive_int("width", 16, "int", "Channels of the network's first level; each next "
                 "level doubles them.", help="channels of a waveform network's first level"),
    Param("segment", 0.5, [Interval(Real, 0, None, closed="neither")], "float",
          "Seconds per training stretch.", {"type": float, "help": "seconds per training "
          "stretch (waveform models)"}, float),
    Param("bitrate", None, [None, Interval(Real, 0, None, closed="neither")], "float",
          'With bottleneck="quantized": the rate (kbps, the streams\' header and all) to '
          "train for instead of a rate_weight: the rate term is then the squared distance "
          "to it, so that the fit clips' streams land within a few percent of it.",
          {"type": float, "metavar": "KBPS", "help": "the rate an audio codec trains for"},
          float | None),
)  # fmt: skip


@register_estimator
class WaveformModel(CodecTables, NeuralEstimator):
    """Waveforms (a list of 1-D float arrays at ``sample_rate``) to codes of
    ``latent_dim`` values per frame and back; see the module docstring.

    Parameters
    ----------
    {parameters}
    """

    # latent_dim: code values per frame (a frame is prod(strides) samples: 40, 5 ms at
    # 8 kHz, by default); architecture: a registered network that reads flat waveforms of
    # any length and gives a code per frame ("waveform").
    _parameters = parameters(LATENT_DIM, _ARCHITECTURE, SAMPLE_RATE, WAVEFORM, CODE,
                             RATE_WEIGHT, CORRUPTION, TRAINING, WARM_START, latent_dim=8,
                             architecture="waveform", sample_rate=8000, rate_weight=1.0,
                             batch_size=16, learning_rate=3e-3, patience=20)  # fmt: skip
    _bottlenecks = ("deterministic", "gaussian", "quantized")
    _loop_settings = {"clip_grad": 1.0}  # a few loud stretches must not throw it off

    def fit(self, X: Any, y: Any = None) -> WaveformModel:
        """Train on the waveforms of ``X`` (a list of 1-D arrays)."""
        return super().fit(X)

    def _check_settings(self) -> None:
        super()._check_settings()
        check_noise(self.noise, self.noise_type)
        if self.sample_rate is None:
            raise ValueError("sample_rate=None: a waveform model needs its clips' rate.")
        if self.bitrate is not None and self.bottleneck != "quantized":
            raise ValueError('bitrate is a codec\'s setting: set bottleneck="quantized" too.')
        if "strides" not in config_fields(self.architecture):
            raise ValueError(f"architecture={self.architecture!r} does not make a code per "
                             "frame of a waveform: use 'waveform'.")  # fmt: skip

    # ------------------------------------------------------------------ fit steps
    def _fit_input(self, X: Any) -> torch.Tensor:
        waves = _checked(X)
        self._fit_lengths = [len(w) for w in waves]  # for the bitrate's target
        gap = np.zeros(round(_GAP * self.sample_rate), np.float32)
        joined = np.concatenate([np.concatenate([w, gap]) for w in waves])
        width = max(1, round(self.segment * self.sample_rate))
        if len(joined) < width:
            joined = np.pad(joined, (0, width - len(joined)))
        # Half-overlapping stretches: each sample is seen at two offsets in its stretch.
        starts = np.arange(0, len(joined) - width + 1, max(1, width // 2))
        return torch.from_numpy(np.stack([joined[s : s + width] for s in starts]))

    def _build_network(self) -> torch.nn.Module:
        config = {"latent_dim": self.latent_dim, "width": self.width,
                  "code_params": BOTTLENECKS[self._bottleneck()].code_params}  # fmt: skip
        if self.bottleneck != "quantized":
            return build_network(self.architecture, **config)
        # positions=0: as many frames as each clip makes, under one density per channel
        return build_network("entropy-coded", network=self.architecture, network_config=config,
                             channels=self.latent_dim, positions=0)  # fmt: skip

    def _objective(self, generator: Any = None) -> Objective:
        penalties = []
        if self.bottleneck == "quantized":
            ms_per_sample = 1000 * self.segment  # bits per stretch / its ms = kbps
            target = None if self.bitrate is None else self.bitrate - self._overhead_kbps()
            if target is not None and target <= 0.1 * self.bitrate:
                raise ValueError(f"bitrate={self.bitrate} kbps is less than these clips' "
                                 "streams spend on their lengths and levels alone: ask for "
                                 "more, or join the clips into longer ones.")  # fmt: skip
            weight = self.rate_weight if target is None else _TARGET_WEIGHT
            penalties.append(Rate(weight, ms_per_sample, target))
        corruption = None
        if self.noise > 0:
            corruption = Corruption(self.noise_type, self.noise, -1.0, 1.0, clip=False)
        return Objective(latent_dim=self.latent_dim,
                         reconstruction=WaveformLoss(int(self.sample_rate)),
                         bottleneck=self._code_bottleneck(), corruption=corruption,
                         penalties=tuple(penalties), generator=generator)  # fmt: skip

    def _overhead_kbps(self) -> float:
        """What a stream of the fit clips spends besides their codes, in kbps: its header,
        CRCs and last coder word, and each clip's frames, last frame's samples and level
        (Elias gamma codes; the level taken as -3 dB, -12 quarter dB): the target the
        codes' rate is trained to is the bitrate less this."""
        bits = 8 * FIXED_BYTES + small_bits(len(self._fit_lengths))
        for n in self._fit_lengths:
            frames = math.ceil(n / self.hop_)
            bits += small_bits(frames) + small_bits(n - (frames - 1) * self.hop_) + small_bits(-12)
        return bits / (sum(self._fit_lengths) / self.sample_rate) / 1000

    # ------------------------------------------------------------------ inference
    @property
    def hop_(self) -> int:
        """Samples per code frame."""
        network = getattr(self.network_, "inner", self.network_)
        return int(network.hop)

    def transform(self, X: Any) -> list[np.ndarray]:
        """Codes of the waveforms of ``X``: a list of (frames, latent_dim) float32 arrays
        (integers for a codec; the posterior mean for a VAE). Each clip is coded as if
        between stretches of silence (``MARGIN`` frames): its code never depends on the
        clips beside it."""
        check_is_fitted(self)
        waves = _checked(X)
        hop = self.hop_
        frames = [-(-len(w) // hop) for w in waves]
        flat = [np.pad(w, (0, f * hop - len(w))) for w, f in zip(waves, frames, strict=True)]
        codes = self._joined(flat, frames, hop, self._encode)
        return [c.T for c in codes]

    def inverse_transform(self, Z: Any) -> list[np.ndarray]:
        """Waveforms decoded from codes: a list of 1-D float32 arrays of frames x
        ``hop_`` samples, one per code of ``Z`` (a list of (frames, latent_dim) arrays
        or an array (n, frames, latent_dim)), each decoded between frames of the code of
        silence."""
        check_is_fitted(self)
        codes = [np.asarray(z, np.float32).T for z in self._check_codes(Z)]
        frames = [c.shape[1] for c in codes]
        silence = self._joined([np.zeros(self.hop_, np.float32)], [1], self.hop_, self._encode)
        out = self._joined(codes, frames, 1, self._decode, silence[0][:, :1])
        return [w.reshape(-1) for w in out]

    def reconstruct(self, X: Any) -> list[np.ndarray]:
        """Each waveform of ``X`` through its code and back, at its own length."""
        waves = _checked(X)
        out = self.inverse_transform(self.transform(waves))
        return [y[: len(w)] for w, y in zip(waves, out, strict=True)]

    def _check_codes(self, Z: Any) -> list[np.ndarray]:
        codes = list(Z) if isinstance(Z, list | tuple) else list(np.asarray(Z))
        for z in codes:
            if np.ndim(z) != 2 or np.shape(z)[1] != self.latent_dim or np.shape(z)[0] < 1:
                raise ValueError(f"codes must be (frames, {self.latent_dim}) arrays, one per "
                                 f"clip; got one of shape {np.shape(z)}.")  # fmt: skip
        return codes

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        """Samples (1, n) to codes (C, frames)."""
        h = self.network_.encode(x)
        return self._code_bottleneck().code(h, self.latent_dim).reshape(self.latent_dim, -1)

    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (C, frames) to samples (frames, hop)."""
        return self.network_.decode(z.reshape(1, -1)).reshape(-1, self.hop_)

    def _joined(self, items: list[np.ndarray], frames: list[int], per_frame: int, fn: Any,
                silence: np.ndarray | None = None) -> list[np.ndarray]:  # fmt: skip
        """``fn`` over ``items`` (each ``frames`` frames of ``per_frame`` values along its
        last axis) laid end to end, ``MARGIN`` frames of ``silence`` (zeros by default)
        around each, a group of about ``_GROUP`` seconds per pass; each item's frames of
        the output, along its last axis."""
        device = model_device(self.network_)
        self.network_.eval()
        lead = items[0].shape[:-1]
        gap = np.zeros((*lead, MARGIN * per_frame), np.float32)
        if silence is not None:
            gap = np.repeat(np.asarray(silence, np.float32), MARGIN, axis=-1)
        limit = max(1, round(_GROUP * self.sample_rate / self.hop_))  # frames per pass
        out: list[np.ndarray] = []
        start = 0
        while start < len(items):
            stop, total = start, 0
            while stop < len(items) and (stop == start or total + frames[stop] <= limit):
                total += frames[stop]
                stop += 1
            parts = [gap]
            for item in items[start:stop]:
                parts += [np.asarray(item, np.float32), gap]
            with torch.inference_mode():
                joined = torch.from_numpy(np.concatenate(parts, axis=-1)).to(device)
                result = fn(joined.reshape(-1, joined.shape[-1]) if silence is None else joined)
                result = result.cpu().numpy()
            axis = 0 if silence is not None else result.ndim - 1  # frames of the output
            at = MARGIN
            for f in frames[start:stop]:
                out.append(np.take(result, np.arange(at, at + f), axis=axis))
                at += f + MARGIN
            start = stop
        return out

    def score_samples(self, X: Any) -> np.ndarray:
        """Negative waveform loss of each clip (multi-resolution STFT and mel distances,
        as trained); higher is better."""
        check_is_fitted(self)
        loss = WaveformLoss(int(self.sample_rate))
        out = []
        for w, y in zip(_checked(X), self.reconstruct(X), strict=True):
            x, y = torch.from_numpy(w)[None], torch.from_numpy(y)[None]
            out.append(-float(loss.per_sample(y, x)[0]))
        return np.array(out)

    # ------------------------------------------------------------------ real bits
    def compress(self, X: Any, extras: Any = None) -> bytes:
        """The waveforms of ``X`` as bytes (a codec: ``bottleneck="quantized"``), with
        ``extras`` (n, k) small integers per clip kept beside them."""
        self._check_codec("compress")
        waves = _checked(X)
        codes = [np.rint(z.T).astype(np.int64) for z in self.transform(waves)]
        # The stream knows each clip's frames: the samples of its last frame say the rest.
        frames = np.array([z.shape[1] for z in codes])
        last = (np.array([len(w) for w in waves]) - (frames - 1) * self.hop_)[:, None]
        extras = last if extras is None else np.hstack([last, np.asarray(extras)])
        model_id = self.model_id()
        return write_frames(self.network_, codes, extras, model_id, self._coding_tables(model_id))

    def decompress(self, data: bytes) -> tuple[list[np.ndarray], np.ndarray]:
        """The waveforms (at their own lengths) and the extras :meth:`compress` wrote."""
        self._check_codec("decompress")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"decompress takes bytes; got {type(data).__name__}.")
        model_id = self.model_id()
        codes, extras = read_frames(self.network_, bytes(data), model_id,
                                    self._coding_tables(model_id))  # fmt: skip
        if extras.shape[1] < 1 or ((extras[:, 0] < 1) | (extras[:, 0] > self.hop_)).any():
            from ..codec import StreamError

            raise StreamError("the stream is damaged: a clip's length does not fit its code.")
        lengths = np.array([c.shape[1] - 1 for c in codes]) * self.hop_ + extras[:, 0]
        waves = self.inverse_transform([c.T.astype(np.float32) for c in codes])
        return [w[:n] for w, n in zip(waves, lengths.tolist(), strict=True)], extras[:, 1:]

    def _check_codec(self, verb: str) -> None:
        check_is_fitted(self)
        if self.bottleneck != "quantized":
            raise ValueError(f"{verb} needs a codec: this model has bottleneck="
                             f"{self.bottleneck!r}; fit one with bottleneck='quantized' "
                             "(CLI: --bottleneck quantized).")  # fmt: skip

    def model_id(self) -> bytes:
        """8 bytes of the SHA-256 of the weights and the sample rate."""
        return model_digest({"sample_rate": self.sample_rate}, self.network_)

    @property
    def _n_features_out(self) -> int:
        return self.latent_dim

    # ------------------------------------------------------------------ files
    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        if self.bottleneck == "quantized":
            return self._tables_state()
        return {}, {}

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        self._load_tables_state(state, tensors)


def _checked(X: Any) -> list[np.ndarray]:
    """``X`` as a list of 1-D float32 arrays, each finite and at least a sample long."""
    waves = [np.asarray(w, dtype=np.float32) for w in X]
    for i, w in enumerate(waves):
        if w.ndim != 1 or len(w) == 0:
            raise ValueError(f"waveform {i} has shape {w.shape}: each must be 1-D, a sample "
                             "or more.")  # fmt: skip
        if not np.isfinite(w).all():
            raise ValueError(f"waveform {i} holds NaN or infinite samples.")
    if not waves:
        raise ValueError("no waveforms: X is empty.")
    return waves
