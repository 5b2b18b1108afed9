"""A learned density for integer codes, and a network around any other that has one.

``FactorizedDensity`` is the "entropy bottleneck" of Ballé et al. (2018, "Variational
image compression with a scale hyperprior", appendix 6.1): per channel, a small
monotone network gives a cumulative distribution c(x); the probability of a rounded
value k is c(k + 1/2) - c(k - 1/2), and of a noisy one (training) the same at the
noisy value, the density convolved with the unit box the noise stands for.

``Hyperprior`` (Ballé et al. 2018; the mean-scale form of Minnen et al. 2018) codes a
spatial code instead as Gaussians whose means and scales a small network predicts from
a coarser side code, itself under a ``FactorizedDensity``; the coder uses fixed tables
of those Gaussians (``gaussian_tables``), picked per value by ``gaussian_index``.

``EntropyCoded`` (registered as ``"entropy-coded"``) holds an estimator's own network
and the density of its code (either kind), so one module trains, checkpoints, moves
between devices and saves both; an estimator builds it for ``bottleneck="quantized"``.
"""

from __future__ import annotations

import functools
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
            out.append((int(lo) - _TABLE_RANGE, _with_escape(row[lo : hi + 1])))
        return out


def _with_escape(probs: np.ndarray) -> np.ndarray:
    """A table's probabilities, then its escape's (the mass outside, at least
    ``_TABLE_MASS``), summing to 1."""
    probs = np.append(probs, max(1.0 - probs.sum(), _TABLE_MASS))
    return probs / probs.sum()


def _normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.erfc(-x / math.sqrt(2))


def gaussian_likelihood(y: torch.Tensor, mean: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """P(y) of N(mean, scale) convolved with the unit box: the probability of the
    integer ``y`` (or of a noisy one, training). Taken on the lower tail, where float
    subtraction keeps its digits."""
    d = (y - mean).abs()
    p = _normal_cdf((0.5 - d) / scale) - _normal_cdf((-0.5 - d) / scale)
    return p.clamp_min(_MIN_LIKELIHOOD)


# The coder's Gaussians: 64 scales from 0.11 to 256, log-spaced (CompressAI's table),
# each at the mean's fraction in eighths; a value is coded under the table nearest to
# its predicted mean and the first scale at or above its predicted scale.
SCALES = np.exp(np.linspace(math.log(0.11), math.log(256.0), 64))
_FRACTIONS = 8


def gaussian_probabilities(exact: bool = False) -> list[tuple[int, np.ndarray]]:
    """The probabilities of every (mean fraction, scale), fraction-major, in the form of
    :meth:`FactorizedDensity.tables`. ``exact``: each table's reach from 8 x its scale
    rounded to 6 places first, since exp(log(256)) may land on either side of 256 (what
    format 3 streams use; format 2 used the plain ceiling)."""
    from scipy.special import ndtr

    out = []
    for fraction in np.arange(_FRACTIONS) / _FRACTIONS:
        for scale in SCALES:
            reach = math.ceil(round(8 * scale, 6) if exact else 8 * scale) + 1
            d = np.abs(np.arange(-reach, reach + 2) - fraction)
            out.append((-reach, _with_escape(ndtr((0.5 - d) / scale) - ndtr((-0.5 - d) / scale))))
    return out


@functools.cache
def gaussian_tables() -> list[tuple[int, np.ndarray]]:
    """The float tables format 2 streams were coded under (see :mod:`aekit.codec.exact`
    for format 3's)."""
    return gaussian_probabilities()


def gaussian_index(mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole-number shift of each value and the index of its table in
    :func:`gaussian_tables`: the value minus the shift is coded under that table."""
    eighths = np.rint(np.asarray(mean, np.float64) * _FRACTIONS).astype(np.int64)
    shift, fraction = np.divmod(eighths, _FRACTIONS)
    level = np.minimum(np.searchsorted(SCALES, scale), len(SCALES) - 1)
    return shift, fraction * len(SCALES) + level


class Hyperprior(nn.Module):
    """The mean-scale hyperprior (Ballé et al. 2018; Minnen et al. 2018): a small
    convolutional network sums up a spatial code ``y`` (C, h, w) in a coarser integer
    code ``z`` (side information, under a factorised density), from which another
    predicts a mean and a scale for each value of ``y``, so an image's own structure
    (where it is empty, where busy) sets the probabilities its code is coded under."""

    def __init__(self, latent_shape: tuple[int, int, int], channels: int, width: int):
        super().__init__()
        c, h, w = latent_shape
        self.latent_shape = tuple(latent_shape)
        size = ((h + 1) // 2, (w + 1) // 2)  # Conv2d(3, stride=2, padding=1)'s output
        self.side_shape = (channels, *size)
        padding = (h - 2 * size[0] + 1, w - 2 * size[1] + 1)  # back to odd sizes exactly
        self.analysis = nn.Sequential(
            nn.Conv2d(c, width, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, channels, 3, padding=1),
        )  # fmt: skip
        self.synthesis = nn.Sequential(
            nn.ConvTranspose2d(channels, width, 3, stride=2, padding=1, output_padding=padding),
            nn.LeakyReLU(0.2), nn.Conv2d(width, width, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * c, 3, padding=1),
        )  # fmt: skip
        self.density = FactorizedDensity(math.prod(self.side_shape))

    def side(self, y: torch.Tensor) -> torch.Tensor:
        """The side code of ``y`` (n, C * h * w): noisy while training, else integers,
        shape (n, values)."""
        z = self.analysis(y.view(-1, *self.latent_shape)).flatten(1)
        if self.training:
            return z + torch.rand_like(z) - 0.5
        return torch.round(z)

    def predict(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and scale of each value of ``y`` from the side code, each (n, C * h * w)."""
        mean, raw = self.synthesis(z.view(-1, *self.side_shape)).flatten(2).chunk(2, dim=1)
        return mean.flatten(1), (SCALES[0] + F.softplus(raw)).flatten(1)

    def bits(self, y: torch.Tensor) -> torch.Tensor:
        """Bits of each code: its side code's and its own given the side code, (n,)."""
        z = self.side(y)
        mean, scale = self.predict(z)
        own = -torch.log2(gaussian_likelihood(y, mean, scale)).sum(dim=1)
        return own + self.density.bits(z.unsqueeze(2))


@dataclass
class EntropyCodedConfig:
    network: str  # the registered network that encodes and decodes
    network_config: dict[str, Any] = field(default_factory=dict)  # its config fields
    channels: int = 1  # code channels, each with its own density
    # values per channel (h * w of a spatial code; 1 for a dense one; 0: as many as the
    # input makes, for a code of one frame per stretch of a waveform of any length)
    positions: int = 1
    filters: tuple[int, ...] = (3, 3, 3)  # hidden widths of each channel's CDF network
    # A hyperprior over a spatial code of this (C, h, w) instead of the factorised
    # density: the channels of its side code on the half-size grid, its networks' width.
    latent_shape: tuple[int, int, int] | None = None
    hyper_channels: int = 0  # 0: no hyperprior
    hyper_width: int = 64


@register_network("entropy-coded", config=EntropyCodedConfig)
class EntropyCoded(nn.Module):
    """A registered network with a learned density of its code (channel-major:
    the code's ``channels * positions`` values are C blocks of S), factorised or
    under a hyperprior."""

    def __init__(self, config: EntropyCodedConfig):
        super().__init__()
        self.config = config
        self.inner = build_network(config.network, **config.network_config)
        self.hyper = None
        if config.hyper_channels:
            if config.latent_shape is None:
                raise ValueError("a hyperprior needs a spatial code: give latent_shape (C, h, w).")
            shape = tuple(int(s) for s in config.latent_shape)
            self.hyper = Hyperprior(shape, config.hyper_channels, config.hyper_width)
        else:
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
        return z.reshape(len(z), self.config.channels, self.config.positions or -1)

    def bits(self, z: torch.Tensor) -> torch.Tensor:
        """Bits of each code of ``z`` (n, channels * positions) under the density: (n,)."""
        if self.hyper is not None:
            return self.hyper.bits(z)
        return self.density.bits(self._grouped(z))
