"""The reconstruction axis for waveforms: how far decoded samples sound from the clip's.

Squared error on samples punishes a phase shift the ear does not hear and misses the
spectral detail it does. The losses of neural audio codecs (Parallel WaveGAN's
multi-resolution STFT loss; SoundStream, EnCodec and DAC's multi-scale mel loss)
compare magnitudes instead, at several time-frequency resolutions at once so that no
single window's trade-off is learnt:

- spectral convergence ``||S - S'||_F / ||S||_F`` (the loud parts' shape) and the mean
  absolute log-magnitude difference (the quiet parts too), for each STFT resolution;
- the mean absolute difference of log10 mel magnitudes for several window sizes;
- and a small L1 term on the samples, which keeps the overall level and sign honest.

:class:`WaveformLoss` follows :class:`aekit.objective.reconstruction.MSE`'s methods, so an
estimator can hand it to an ``Objective`` like any other reconstruction loss.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

_EPS = 1e-5  # magnitudes below this (-100 dB of full scale) count as silence


def magnitudes(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """|STFT| of waveforms ``x`` (n, samples): (n, n_fft // 2 + 1, frames), Hann window,
    frames centred (reflect-padded ends; zero-padded when too short to reflect)."""
    if x.shape[-1] <= n_fft // 2:
        x = F.pad(x, (0, n_fft // 2 + 1 - x.shape[-1]))
    window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    return torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True).abs()


def spectral_convergence(s: torch.Tensor, s_hat: torch.Tensor) -> torch.Tensor:
    """Per sample, ``||S - S'|| / ||S||`` over bins and frames: 0 when equal."""
    return (s - s_hat).flatten(1).norm(dim=1) / s.flatten(1).norm(dim=1).clamp_min(_EPS)


def log_magnitude_distance(s: torch.Tensor, s_hat: torch.Tensor) -> torch.Tensor:
    """Per sample, the mean ``|log(S + eps) - log(S' + eps)|`` (natural log)."""
    return (torch.log(s + _EPS) - torch.log(s_hat + _EPS)).abs().flatten(1).mean(dim=1)


@functools.lru_cache(maxsize=32)
def _mel_matrix(sample_rate: int, n_fft: int, n_mels: int) -> torch.Tensor:
    import librosa

    return torch.from_numpy(librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels))


def mel_distance(x: torch.Tensor, y: torch.Tensor, sample_rate: int, n_fft: int,
                 n_mels: int) -> torch.Tensor:  # fmt: skip
    """Per sample, the mean ``|log10(M + eps) - log10(M' + eps)|`` of mel magnitudes
    (Slaney mel filters over |STFT| with hop ``n_fft // 4``)."""
    mel = _mel_matrix(sample_rate, n_fft, n_mels).to(x.device, x.dtype)
    m, m_hat = (mel @ magnitudes(v, n_fft, n_fft // 4) for v in (x, y))
    return (torch.log10(m + _EPS) - torch.log10(m_hat + _EPS)).abs().flatten(1).mean(dim=1)


def resolutions(sample_rate: int) -> tuple[tuple[int, int], ...]:
    """STFT (n_fft, hop) pairs: Parallel WaveGAN's 512 / 1024 / 2048 at 24 kHz, scaled
    to ``sample_rate`` and rounded to powers of two (128 / 256 / 512 at 8 kHz)."""
    out = []
    for size in (512, 1024, 2048):
        n_fft = 2 ** max(4, round(torch.log2(torch.tensor(size * sample_rate / 24000)).item()))
        out.append((n_fft, n_fft // 4))
    return tuple(out)


@dataclass
class WaveformLoss:
    """Multi-resolution STFT (spectral convergence + log magnitude), multi-scale log-mel
    L1 and ``waveform_weight`` x the samples' L1, each summed over its resolutions and
    averaged over the batch. Decoded frames are cut to the clip's length first."""

    sample_rate: int
    waveform_weight: float = 0.1
    mel_windows: tuple[int, ...] = (64, 128, 256, 512)  # at 8 kHz: 8 to 64 ms
    name = "waveform"

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def logits(self, network: nn.Module, code: torch.Tensor, x: torch.Tensor,
               generator=None) -> torch.Tensor:  # fmt: skip
        return network.decode(code)[:, : x.shape[-1]]

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return logits

    def per_sample(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The loss of each clip: (n,)."""
        y = logits[:, : x.shape[-1]]
        total = self.waveform_weight * (y - x).abs().mean(dim=1)
        for n_fft, hop in resolutions(self.sample_rate):
            s, s_hat = magnitudes(x, n_fft, hop), magnitudes(y, n_fft, hop)
            total = total + spectral_convergence(s, s_hat) + log_magnitude_distance(s, s_hat)
        for n_fft in self.mel_windows:
            n_mels = max(8, min(80, n_fft // 4))  # fewer bands than bins at every size
            total = total + mel_distance(x, y, self.sample_rate, n_fft, n_mels)
        return total

    def loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.per_sample(logits, x).mean()

    def nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        raise ValueError(
            'the waveform loss is not a likelihood: a variational waveform model needs loss="mse".'
        )

    def error(self, logits: torch.Tensor, x: torch.Tensor, window: int = 1,
              image_shape=None) -> torch.Tensor:  # fmt: skip
        """Per-clip score error: the same distance the model trains on."""
        return self.per_sample(logits, x)
