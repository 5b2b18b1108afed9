"""A learned density for integer codes, and a network around any other that has one.

``FactorizedDensity`` is the "entropy bottleneck" of Ballé et al. (2018, "Variational
image compression with a scale hyperprior", appendix 6.1): per channel, a small
monotone network gives a cumulative distribution c(x); the probability of a rounded
value k is c(k + 1/2) - c(k - 1/2), and of a noisy one (training) the same at the
noisy value, the density convolved with the unit box the noise stands for.

``EntropyCoded`` (registered as ``"entropy-coded"``) holds an estimator's own network
and the density of its code, so one module trains, checkpoints, moves between devices
and saves both; an estimator builds it for ``bottleneck="quantized"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .registry import build_network, register_network

_MIN_LIKELIHOOD = 1e-9  # a floor, so one unlikely value costs ~30 bits, not infinity
_TABLE_RANGE = 1024  # coding tables look this far either side of 0 for their support
_TABLE_MASS = 1e-7  # values less likely than this are escaped rather than tabled


class FactorizedDensity(nn.Module):
    """One learned univariate distribution per channel, for values of shape (n, C, S)."""

    def __init__(
        self, channels: int, filters: tuple[int, ...] = (3, 3, 3), init_scale: float = 10.0
    ):
        super().__init__()
        dims = (1, *filters, 1)
        scale = init_scale ** (1 / (len(dims) - 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(dims) - 1):
            # softplus(init) = 1 / (scale * width): the CDF starts as a wide ramp.
            init = math.log(math.expm1(1 / scale / dims[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, dims[i + 1], dims[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(channels, dims[i + 1], 1) - 0.5))
            if i < len(dims) - 2:
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)))

    def _cdf_logits(self, x: torch.Tensor) -> torch.Tensor:
        """logit c(x) per channel for ``x`` of shape (C, 1, N): monotone in x."""
        for i, (matrix, bias) in enumerate(zip(self.matrices, self.biases, strict=True)):
            x = torch.matmul(F.softplus(matrix), x) + bias
            if i < len(self.factors):
                x = x + torch.tanh(self.factors[i]) * torch.tanh(x)
        return x

    def likelihood(self, z: torch.Tensor) -> torch.Tensor:
        """P(z) = c(z + 1/2) - c(z - 1/2) for ``z`` of shape (n, C, S), same shape."""
        n, channels, positions = z.shape
        x = z.transpose(0, 1).reshape(channels, 1, -1)
        lower, upper = self._cdf_logits(x - 0.5), self._cdf_logits(x + 0.5)
        # Subtract in the tail where the sigmoids are far from 1: no cancellation.
        sign = -torch.sign(lower + upper).detach()
        p = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        p = p.clamp_min(_MIN_LIKELIHOOD)
        return p.reshape(channels, n, positions).transpose(0, 1)

    def bits(self, z: torch.Tensor) -> torch.Tensor:
        """Bits of each sample's values: -sum log2 P(z), shape (n,)."""
        return -torch.log2(self.likelihood(z)).sum(dim=(1, 2))

    @torch.no_grad()
    def tables(self) -> list[tuple[int, np.ndarray]]:
        """Per channel, the first tabled integer and the probabilities of it and the
        next ones, then of an escape (any value outside): float64, summing to 1."""
        first = self.matrices[0]
        grid = torch.arange(-_TABLE_RANGE, _TABLE_RANGE + 1).to(first)
        channels = len(first)
        pmf = self.likelihood(grid.expand(channels, -1).unsqueeze(0))[0].double().cpu().numpy()
        out = []
        for row in pmf:
            kept = np.flatnonzero(row > _TABLE_MASS)
            lo, hi = (kept[0], kept[-1]) if len(kept) else (_TABLE_RANGE, _TABLE_RANGE)
            probs = row[lo : hi + 1]
            escape = max(1.0 - probs.sum(), _TABLE_MASS)
            probs = np.append(probs, escape)
            out.append((int(lo) - _TABLE_RANGE, probs / probs.sum()))
        return out


@dataclass
class EntropyCodedConfig:
    network: str  # the registered network that encodes and decodes
    network_config: dict[str, Any] = field(default_factory=dict)  # its config fields
    channels: int = 1  # code channels, each with its own density
    positions: int = 1  # values per channel (h * w of a spatial code; 1 for a dense one)
    filters: tuple[int, ...] = (3, 3, 3)  # hidden widths of each channel's CDF network


@register_network("entropy-coded", config=EntropyCodedConfig)
class EntropyCoded(nn.Module):
    """A registered network with a learned density of its code (channel-major:
    the code's ``channels * positions`` values are C blocks of S)."""

    def __init__(self, config: EntropyCodedConfig):
        super().__init__()
        self.config = config
        self.inner = build_network(config.network, **config.network_config)
        self.density = FactorizedDensity(config.channels, tuple(config.filters))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.encode(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.inner.decode(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def init_output_bias(self, value: torch.Tensor) -> None:
        if hasattr(self.inner, "init_output_bias"):
            self.inner.init_output_bias(value)

    def _grouped(self, z: torch.Tensor) -> torch.Tensor:
        return z.reshape(len(z), self.config.channels, self.config.positions)

    def bits(self, z: torch.Tensor) -> torch.Tensor:
        """Bits of each code of ``z`` (n, channels * positions) under the density: (n,)."""
        return self.density.bits(self._grouped(z))
