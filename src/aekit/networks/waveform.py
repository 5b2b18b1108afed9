"""A fully convolutional 1-D autoencoder for waveforms: samples in, a code of
``latent_dim`` per frame, samples out (no spectrogram, no phase to guess).

The shape of SoundStream (Zeghidour et al. 2021), EnCodec (Défossez et al. 2022) and
DAC, made small for a CPU: a 7-tap stem, then per level three residual units of
dilated 7-tap convolutions (dilations 1, 3, 9: each level hears ~57 of its own steps)
and a strided convolution that divides the rate by the level's stride and doubles the
width; a 3-tap head gives the code. The decoder mirrors it with transposed
convolutions. One code frame covers ``prod(strides)`` samples (40 at the defaults:
200 frames a second at 8 kHz).

Rows are flat waveforms of any length, one length per batch: ``encode`` pads them with
zeros to whole frames, ``decode`` gives whole frames back (the caller cuts them to
the clip's length, :func:`frames_of` says how many there are). The code is flat,
channel-major: ``latent_dim`` blocks of ``frames`` values, so a Gaussian
bottleneck's mean and log-variance are its first and second halves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .registry import register_network


@dataclass
class WaveformConfig:
    latent_dim: int = 8  # code values per frame
    width: int = 16  # channels of the first level; each next level doubles them
    strides: tuple[int, ...] = (2, 4, 5)  # one code frame = prod(strides) samples
    dilations: tuple[int, ...] = (1, 3, 9)  # of the residual units at every level
    # Encoder outputs per code value: 2 for a Gaussian bottleneck (mean and log-variance).
    code_params: int = 1


def frames_of(n_samples: int, config: WaveformConfig) -> int:
    """Code frames of a waveform of ``n_samples`` samples (whole frames, padded)."""
    return max(1, math.ceil(n_samples / math.prod(config.strides)))


class _Unit(nn.Module):
    """``x + f(x)``: a dilated 7-tap convolution and a 1 x 1 one, ELU before each."""

    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ELU(), nn.Conv1d(width, width, 7, padding=3 * dilation, dilation=dilation),
            nn.ELU(), nn.Conv1d(width, width, 1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _down(w_in: int, w_out: int, stride: int) -> nn.Conv1d:
    # kernel 2s, padding ceil(s/2): exactly L / s frames out of L = m * s samples
    return nn.Conv1d(w_in, w_out, 2 * stride, stride=stride, padding=(stride + 1) // 2)


def _up(w_in: int, w_out: int, stride: int) -> nn.ConvTranspose1d:
    # the mirror: exactly m * s samples out of m frames (odd strides need one more)
    return nn.ConvTranspose1d(w_in, w_out, 2 * stride, stride=stride,
                              padding=(stride + 1) // 2, output_padding=stride % 2)  # fmt: skip


@register_network("waveform", config=WaveformConfig)
class WaveformAutoencoder(nn.Module):
    """Flat waveforms (n, samples) in, flat codes (n, latent_dim * frames), and
    flat waveforms (n, frames * prod(strides)) out."""

    def __init__(self, config: WaveformConfig):
        super().__init__()
        self.config = c = config
        if not c.strides or any(s < 1 for s in c.strides):
            raise ValueError(f"strides must be positive ints; got {c.strides!r}.")
        widths = [c.width * 2**i for i in range(len(c.strides) + 1)]
        encoder: list[nn.Module] = [nn.Conv1d(1, widths[0], 7, padding=3)]
        for i, stride in enumerate(c.strides):
            encoder += [_Unit(widths[i], d) for d in c.dilations]
            encoder += [nn.ELU(), _down(widths[i], widths[i + 1], stride)]
        encoder += [nn.ELU(), nn.Conv1d(widths[-1], c.latent_dim * c.code_params, 3,
                                        padding=1)]  # fmt: skip
        self.encoder = nn.Sequential(*encoder)
        decoder: list[nn.Module] = [nn.Conv1d(c.latent_dim, widths[-1], 7, padding=3)]
        for i in reversed(range(len(c.strides))):
            decoder += [nn.ELU(), _up(widths[i + 1], widths[i], c.strides[i])]
            decoder += [_Unit(widths[i], d) for d in c.dilations]
        # no activation bounds the output: samples are whatever the clips hold
        decoder += [nn.ELU(), nn.Conv1d(widths[0], 1, 7, padding=3)]
        self.decoder = nn.Sequential(*decoder)
        self.hop = math.prod(c.strides)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(len(x), 1, -1)
        frames = math.ceil(x.shape[-1] / self.hop) if x.shape[-1] else 1
        x = F.pad(x, (0, frames * self.hop - x.shape[-1]))
        # (n, code_params * C, frames) flat: the means' C blocks, then the log-variances'
        return self.encoder(x).flatten(1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = z.view(len(z), self.config.latent_dim, -1)
        return self.decoder(h).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))[:, : x.shape[-1]]
