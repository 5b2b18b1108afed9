"""Dense (MLP) encoder and decoder; the decoder mirrors the encoder."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .contraction import contraction as closed_form_contraction
from .contraction import encode_with_contraction
from .layers import make_activation
from .registry import register_network


@dataclass
class DenseConfig:
    n_features: int  # width of the (flattened) input
    latent_dim: int = 32  # width of the code
    # Encoder widths; the decoder runs them backwards. One wide layer trains best per
    # second of compute on image-like data: with a 60 s budget on Fashion-MNIST, (512,)
    # beat (512, 256) and (1024, 256) (benchmarks/fashion_mnist_quality.py).
    hidden_dims: tuple[int, ...] = (512,)
    activation: str = "silu"
    # Encoder outputs per code unit: 2 for a Gaussian bottleneck (mean and log-variance).
    code_params: int = 1


def _mlp(widths: list[int], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=False)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(widths) - 2:  # the code and the output stay linear
            layers.append(make_activation(activation))
    return nn.Sequential(*layers)


@register_network("dense", config=DenseConfig)
class DenseAutoencoder(nn.Module):
    """x (n, n_features) -> h (n, latent_dim * code_params); code (n, latent_dim) -> output.

    The output is pre-activation; the estimator's bottleneck turns h into the code.
    """

    def __init__(self, config: DenseConfig):
        super().__init__()
        self.config = config
        widths = [config.n_features, *config.hidden_dims]
        self.encoder = _mlp([*widths, config.latent_dim * config.code_params], config.activation)
        self.decoder = _mlp([config.latent_dim, *widths[::-1]], config.activation)

    @property
    def closed_form_contraction(self) -> bool:
        """Whether the encoder is x -> act(W1 x + b1) -> W2 . + b2, whose contractive
        penalty :mod:`aekit.networks.contraction` computes exactly."""
        return len(self.encoder) == 3

    @torch.no_grad()
    def init_output_bias(self, value: torch.Tensor) -> None:
        """Start the decoder at ``value`` (n_features,), the pre-activation mean output."""
        self.decoder[-1].bias.copy_(value)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def encode_with_contraction(
        self, x: torch.Tensor, n_code: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``encode(x)`` and the batch mean of ||dz/dx||_F^2 of its first ``n_code``
        units, in closed form (needs ``closed_form_contraction``)."""
        return encode_with_contraction(self.encoder, x, n_code)

    def contraction(self, x: torch.Tensor, n_code: int) -> torch.Tensor:
        """Per-sample ||dz/dx||_F^2 of the first ``n_code`` units, in closed form."""
        return closed_form_contraction(self.encoder, x, n_code)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))
