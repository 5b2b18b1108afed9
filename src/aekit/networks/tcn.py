"""Temporal convolution network for windows of a time series (any number of channels).

Rows are flat windows, channel-major: ``(channels, length)`` values each. Every level
of the encoder is a residual block of dilated 1-D convolutions (dilations 1, 2, 4:
a receptive field of 15 steps at the level's own rate) followed by a stride-2
convolution that halves the length; a dense layer maps the last level to the code.
The decoder mirrors it with transposed convolutions whose ``output_padding`` restores
odd lengths exactly. Convolutions are not causal: an autoencoder sees its whole window.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .layers import make_activation, window_length
from .registry import register_network


@dataclass
class TCNConfig:
    n_features: int  # values per row: channels * length
    channels: int = 1  # series channels; length is n_features // channels
    latent_dim: int = 16  # width of the code
    hidden_dims: tuple[int, ...] = (32, 64)  # channels per level; each halves the length
    dilations: tuple[int, ...] = (1, 2, 4)  # of the residual convolutions at every level
    activation: str = "silu"
    # Encoder outputs per code unit: 2 for a Gaussian bottleneck (mean and log-variance).
    code_params: int = 1


class _Residual(nn.Module):
    """``x + f(x)``, f a stack of kernel-3 convolutions of growing dilation."""

    def __init__(self, width: int, dilations: tuple[int, ...], activation: str):
        super().__init__()
        layers: list[nn.Module] = []
        for d in dilations:
            layers += [
                make_activation(activation),
                nn.Conv1d(width, width, 3, padding=d, dilation=d),
            ]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@register_network("tcn", config=TCNConfig)
class TemporalConvAutoencoder(nn.Module):
    """Flat windows (n, channels * length) in and out; reshaped inside."""

    def __init__(self, config: TCNConfig):
        super().__init__()
        self.config = c = config
        length = window_length("tcn", c.n_features, c.channels)
        widths = [c.hidden_dims[0] if c.hidden_dims else c.channels, *c.hidden_dims]
        lengths = [length]
        for _ in c.hidden_dims:
            lengths.append((lengths[-1] + 1) // 2)  # Conv1d(kernel 3, stride 2, padding 1)
        self._inner_shape = (widths[-1], lengths[-1])
        flat = widths[-1] * lengths[-1]

        enc: list[nn.Module] = [nn.Conv1d(c.channels, widths[0], 1)]
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            enc += [_Residual(w_in, c.dilations, c.activation),
                    nn.Conv1d(w_in, w_out, 3, stride=2, padding=1)]  # fmt: skip
        self.encoder = nn.Sequential(
            *enc, make_activation(c.activation), nn.Flatten(),
            nn.Linear(flat, c.latent_dim * c.code_params),
        )  # fmt: skip

        self.decoder_input = nn.Linear(c.latent_dim, flat)
        dec: list[nn.Module] = []
        for i in range(len(c.hidden_dims), 0, -1):
            padding = lengths[i - 1] - 2 * lengths[i] + 1
            dec += [nn.ConvTranspose1d(widths[i], widths[i - 1], 3, stride=2, padding=1,
                                       output_padding=padding),
                    _Residual(widths[i - 1], c.dilations, c.activation)]  # fmt: skip
        # The head reads the residual stream as it is: no activation bounds the output.
        self.decoder_stages = nn.Sequential(*dec, nn.Conv1d(widths[0], c.channels, 1))

    @torch.no_grad()
    def init_output_bias(self, value: torch.Tensor) -> None:
        """Start the decoder near ``value`` (flat, n_features): its mean per channel."""
        self.decoder_stages[-1].bias.copy_(value.view(self.config.channels, -1).mean(dim=1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.view(len(x), self.config.channels, -1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = self.decoder_input(z).view(len(z), *self._inner_shape)
        return self.decoder_stages(h).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
