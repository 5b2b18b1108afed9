"""Convolutional encoder and decoder for images of any size.

Each encoder stage halves height and width with a stride-2 convolution; the decoder
runs the stages backwards with transposed convolutions whose ``output_padding`` is
chosen per stage so the output has exactly the input's size (odd sizes included).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .layers import make_activation
from .registry import register_network


@dataclass
class ConvConfig:
    image_shape: tuple[int, int, int]  # (channels, height, width)
    latent_dim: int = 32  # width of the code
    hidden_dims: tuple[int, ...] = (32, 64)  # channels per stride-2 stage
    activation: str = "silu"
    # Encoder outputs per code unit: 2 for a Gaussian bottleneck (mean and log-variance).
    code_params: int = 1


def _halve(size: int) -> int:
    # Output size of Conv2d(kernel=3, stride=2, padding=1).
    return (size + 1) // 2


@register_network("conv", config=ConvConfig)
class ConvAutoencoder(nn.Module):
    """Flat rows in, flat rows out: images are reshaped inside, so the loop never sees them."""

    def __init__(self, config: ConvConfig):
        super().__init__()
        self.config = config
        c, h, w = config.image_shape
        channels = [c, *config.hidden_dims]
        sizes = [(h, w)]
        for _ in config.hidden_dims:
            sizes.append((_halve(sizes[-1][0]), _halve(sizes[-1][1])))
        flat = channels[-1] * sizes[-1][0] * sizes[-1][1]
        self._inner_shape = (channels[-1], *sizes[-1])

        enc: list[nn.Module] = []
        for c_in, c_out in zip(channels[:-1], channels[1:], strict=False):
            enc += [
                nn.Conv2d(c_in, c_out, 3, stride=2, padding=1),
                make_activation(config.activation),
            ]
        self.encoder = nn.Sequential(
            *enc, nn.Flatten(), nn.Linear(flat, config.latent_dim * config.code_params)
        )

        self.decoder_input = nn.Linear(config.latent_dim, flat)
        stages: list[nn.Module] = []
        for i in range(len(config.hidden_dims), 0, -1):
            (h_out, w_out), (h_in, w_in) = sizes[i - 1], sizes[i]
            padding = (h_out - 2 * h_in + 1, w_out - 2 * w_in + 1)
            stages += [
                make_activation(config.activation),
                nn.ConvTranspose2d(
                    channels[i], channels[i - 1], 3, stride=2, padding=1, output_padding=padding
                ),
            ]
        self.decoder_stages = nn.Sequential(*stages)

    @torch.no_grad()
    def init_output_bias(self, value: torch.Tensor) -> None:
        """Start the decoder near ``value`` (flat, n_features): per channel when convolutional."""
        last = self.decoder_stages[-1] if len(self.decoder_stages) else self.decoder_input
        if isinstance(last, nn.Linear):
            last.bias.copy_(value)
        else:
            last.bias.copy_(value.view(self.config.image_shape[0], -1).mean(dim=1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.view(-1, *self.config.image_shape))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        inner = self.decoder_input(z).view(-1, *self._inner_shape)
        return self.decoder_stages(inner).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
