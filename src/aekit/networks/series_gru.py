"""Recurrent autoencoder for windows of a time series: a GRU reads the window, a GRU
writes it back.

Rows are flat windows, channel-major: ``(channels, length)`` values each. The
encoder is a bidirectional GRU; its last states (both directions, top layer) map to
the code. The decoder starts its GRU from the code and is fed the code at every step
(the "repeat vector" design of LSTM autoencoders for sensor streams), so it writes
all steps in one pass, without feeding back its own output: training and inference
run the same computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .layers import window_length
from .registry import register_network


@dataclass
class SeriesGRUConfig:
    n_features: int  # values per row: channels * length
    channels: int = 1  # series channels; length is n_features // channels
    latent_dim: int = 16  # width of the code
    hidden_dims: tuple[int, ...] = (64,)  # one GRU layer per entry, as wide as the widest
    # Encoder outputs per code unit: 2 for a Gaussian bottleneck (mean and log-variance).
    code_params: int = 1


@register_network("series-gru", config=SeriesGRUConfig)
class SeriesGRUAutoencoder(nn.Module):
    """Flat windows (n, channels * length) in and out; reshaped inside."""

    def __init__(self, config: SeriesGRUConfig):
        super().__init__()
        self.config = c = config
        self.length = window_length("series-gru", c.n_features, c.channels)
        width, layers = max(c.hidden_dims or (64,)), max(1, len(c.hidden_dims))
        self.encoder_gru = nn.GRU(c.channels, width, layers, batch_first=True, bidirectional=True)
        self.to_code = nn.Linear(2 * width, c.latent_dim * c.code_params)
        self.to_state = nn.Linear(c.latent_dim, layers * width)
        self.decoder_gru = nn.GRU(c.latent_dim, width, layers, batch_first=True)
        self.head = nn.Linear(width, c.channels)
        self._layers, self._width = layers, width

    @torch.no_grad()
    def init_output_bias(self, value: torch.Tensor) -> None:
        """Start the decoder near ``value`` (flat, n_features): its mean per channel."""
        self.head.bias.copy_(value.view(self.config.channels, -1).mean(dim=1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        steps = x.view(len(x), self.config.channels, -1).transpose(1, 2)  # (n, length, C)
        _, last = self.encoder_gru(steps)  # (layers * 2, n, width)
        return self.to_code(torch.cat([last[-2], last[-1]], dim=1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        state = torch.tanh(self.to_state(z)).view(len(z), self._layers, self._width)
        inputs = z.unsqueeze(1).expand(-1, self.length, -1)
        out, _ = self.decoder_gru(inputs, state.transpose(0, 1).contiguous())
        return self.head(out).transpose(1, 2).flatten(1)  # channel-major, as the input

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
