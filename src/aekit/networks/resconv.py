"""Residual convolutional encoder and decoder: the small form of a latent-diffusion VAE's.

The encoder halves height and width level by level, from the image down to a bottom
grid (at most 8 pixels on the short side, or the grid of ``latent_shape``); each level
below the finest holds residual blocks (GroupNorm, SiLU, 3x3 convolution, twice, added
to the input). Stride-2 convolutions go down, transposed ones come back up with the
output padding that restores odd sizes exactly. At the bottom the code is dense
(``latent_dim`` values from a linear layer) or spatial (``latent_shape`` =
``(channels, h, w)`` from a 1x1 convolution), which a codec can quantise per position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .layers import make_activation
from .registry import register_network

_BOTTOM = 8  # the default plan halves while the short side is above this


@dataclass
class ResConvConfig:
    image_shape: tuple[int, int, int]  # (channels, height, width)
    latent_dim: int = 128  # values in the code (channels * h * w of latent_shape)
    # Channels per resolution, finest first: its length is the number of levels.
    # None: 32, 64, 128, 128, ... for as many levels as the image size asks.
    hidden_dims: tuple[int, ...] | None = None
    latent_shape: tuple[int, int, int] | None = None  # (channels, h, w): a spatial code
    blocks: int = 1  # residual blocks per level (the finest level has none: its cost)
    # Pixels folded into channels before the first convolution (space to depth) and
    # unfolded after the last: 2 makes a 64x64 network cost about what a 32x32 one
    # does. None: 2 for images of 32 pixels and more on the short side, else 1.
    patch: int | None = None
    activation: str = "silu"
    # Encoder outputs per code value: 2 for a Gaussian bottleneck (mean and log-variance).
    code_params: int = 1


def _halve(size: int) -> int:
    # Output size of Conv2d(kernel=3, stride=2, padding=1).
    return (size + 1) // 2


def patch_of(config: ResConvConfig) -> int:
    _, h, w = config.image_shape
    if config.patch is not None:
        if h % config.patch or w % config.patch:
            raise ValueError(f"patch={config.patch} must divide the {h}x{w} image size.")
        return config.patch
    return 2 if min(h, w) >= 32 and h % 2 == 0 and w % 2 == 0 else 1


def level_sizes(config: ResConvConfig) -> list[tuple[int, int]]:
    """``(h, w)`` of every level, finest first (after the patch fold); a ValueError
    when the image cannot be brought down to the grid asked for."""
    _, h, w = config.image_shape
    p = patch_of(config)
    h, w = h // p, w // p
    sizes = [(h, w)]
    if config.latent_shape is not None:
        target = tuple(config.latent_shape[1:])
        while sizes[-1] != target and min(sizes[-1]) > 1 and all(
            s > t for s, t in zip(sizes[-1], target, strict=True)
        ):
            sizes.append((_halve(sizes[-1][0]), _halve(sizes[-1][1])))
        if sizes[-1] != target:
            reachable = ", ".join(f"{a}x{b}" for a, b in sizes)
            raise ValueError(
                f"latent_shape {tuple(config.latent_shape)}: halving {h}x{w} images gives "
                f"{reachable}, never {target[0]}x{target[1]}; pick one of those grids."
            )
    elif config.hidden_dims is not None:
        need = 2 ** (len(config.hidden_dims) - 1)
        if min(h, w) < need:
            raise ValueError(
                f"{h}x{w} images are too small for {len(config.hidden_dims)} levels "
                f"(hidden_dims={tuple(config.hidden_dims)}): each halving needs two pixels, "
                f"so the smallest image it takes is {need}x{need}. Give fewer hidden_dims "
                "or a larger image_size."
            )
        for _ in config.hidden_dims[1:]:
            sizes.append((_halve(sizes[-1][0]), _halve(sizes[-1][1])))
    else:
        while min(sizes[-1]) > _BOTTOM:
            sizes.append((_halve(sizes[-1][0]), _halve(sizes[-1][1])))
    if config.hidden_dims is not None and len(config.hidden_dims) != len(sizes):
        raise ValueError(
            f"hidden_dims={tuple(config.hidden_dims)} gives {len(config.hidden_dims)} levels "
            f"but latent_shape {tuple(config.latent_shape)} needs {len(sizes)} "
            f"({', '.join(f'{a}x{b}' for a, b in sizes)})."
        )
    return sizes


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(channels, 8), channels)


class ResBlock(nn.Module):
    def __init__(self, channels: int, activation: str):
        super().__init__()
        self.body = nn.Sequential(
            _norm(channels),
            make_activation(activation),
            nn.Conv2d(channels, channels, 3, padding=1),
            _norm(channels),
            make_activation(activation),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
        nn.init.zeros_(self.body[-1].weight)  # each block starts as the identity
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@register_network("resconv", config=ResConvConfig)
class ResConvAutoencoder(nn.Module):
    """Flat rows in, flat rows out, like every network here; images are reshaped inside."""

    def __init__(self, config: ResConvConfig):
        super().__init__()
        self.config = config
        c, _, _ = config.image_shape
        sizes = level_sizes(config)
        self._patch = patch_of(config)
        c = c * self._patch**2
        widths = tuple(config.hidden_dims or [min(32 * 2**i, 128) for i in range(len(sizes))])
        bottom = (widths[-1], *sizes[-1])
        self._bottom = bottom

        def blocks(level: int) -> list[nn.Module]:
            count = 0 if level == 0 and len(sizes) > 1 else config.blocks
            return [ResBlock(widths[level], config.activation) for _ in range(count)]

        enc: list[nn.Module] = [nn.Conv2d(c, widths[0], 3, padding=1)]
        for i in range(len(sizes)):
            enc += blocks(i)
            if i + 1 < len(sizes):
                enc.append(nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1))
        enc += [_norm(widths[-1]), make_activation(config.activation)]
        code = config.code_params
        if config.latent_shape is None:
            enc += [nn.Flatten(), nn.Linear(math.prod(bottom), config.latent_dim * code)]
            self.decoder_input = nn.Linear(config.latent_dim, math.prod(bottom))
        else:
            enc += [nn.Conv2d(widths[-1], config.latent_shape[0] * code, 1), nn.Flatten()]
            self.decoder_input = nn.Conv2d(config.latent_shape[0], widths[-1], 3, padding=1)
        self.encoder = nn.Sequential(*enc)

        dec: list[nn.Module] = []
        for i in range(len(sizes) - 1, -1, -1):
            dec += blocks(i)
            if i > 0:
                (h_out, w_out), (h_in, w_in) = sizes[i - 1], sizes[i]
                padding = (h_out - 2 * h_in + 1, w_out - 2 * w_in + 1)
                dec += [
                    _norm(widths[i]),
                    make_activation(config.activation),
                    nn.ConvTranspose2d(
                        widths[i], widths[i - 1], 3, stride=2, padding=1, output_padding=padding
                    ),
                ]
        dec += [_norm(widths[0]), make_activation(config.activation),
                nn.Conv2d(widths[0], c, 3, padding=1)]  # fmt: skip
        self.decoder = nn.Sequential(*dec)

    @torch.no_grad()
    def init_output_bias(self, value: torch.Tensor) -> None:
        """Start the decoder near ``value`` (flat, n_features): its mean per channel."""
        per_channel = value.view(self.config.image_shape[0], -1).mean(dim=1)
        # After the unfold, output channel k is image channel k // patch**2.
        self.decoder[-1].bias.copy_(per_channel.repeat_interleave(self._patch**2))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(-1, *self.config.image_shape)
        return self.encoder(F.pixel_unshuffle(x, self._patch) if self._patch > 1 else x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if self.config.latent_shape is None:
            inner = self.decoder_input(z).view(-1, *self._bottom)
        else:
            inner = self.decoder_input(z.view(-1, *self.config.latent_shape))
        out = self.decoder(inner)
        return (F.pixel_shuffle(out, self._patch) if self._patch > 1 else out).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
