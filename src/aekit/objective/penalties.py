"""The penalty axis: terms added to the reconstruction loss, each a small object.

A penalty is called with the batch's :class:`Pass` (what the pipeline made of it)
and returns a scalar. :class:`PriorKL` is the variational one (its warm-up and free
bits act on the per-unit KL); :class:`Rate` prices a quantised code in bits;
:class:`Contractive` may use a closed form that the
network offers itself (see :mod:`aekit.networks.registry`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

_EPS = 1e-6


@dataclass
class Pass:
    """One batch through the pipeline, as the penalties see it."""

    network: nn.Module
    x_in: torch.Tensor  # the (corrupted) input
    code: torch.Tensor  # z: transform's (a VAE's posterior mean); noisy training a quantised one
    encode: Callable[[torch.Tensor], torch.Tensor]  # x -> code, for autograd Jacobians
    progress: float  # 0 -> 1 over the run
    training: bool
    contraction: torch.Tensor | None = None  # batch mean, when the network gave it
    posterior: tuple[torch.Tensor, torch.Tensor] | None = None  # mean, log-variance


def l1_activity(z: torch.Tensor) -> torch.Tensor:
    """Mean over samples of sum_j |z_j| (the Keras-blog sparse autoencoder)."""
    return z.abs().sum(dim=1).mean()


def kl_sparsity(units: torch.Tensor, target: float) -> torch.Tensor:
    """Sum over units of KL(target || mean activation): ``units`` lie in (0, 1)."""
    rho = units.mean(dim=0).clamp(_EPS, 1 - _EPS)
    return (
        target * torch.log(target / rho) + (1 - target) * torch.log((1 - target) / (1 - rho))
    ).sum()


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) per sample and unit, shape (n, latent_dim)."""
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar)


def jacobian_sq_norm(code: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Per-sample ||d code / dx||_F^2 by batched reverse-mode autograd (any network)."""

    def one(xi: torch.Tensor) -> torch.Tensor:
        return code(xi.unsqueeze(0)).squeeze(0)

    jac = torch.func.vmap(torch.func.jacrev(one))(x)
    return jac.flatten(1).square().sum(dim=1)


@dataclass
class L1Activity:
    """Sparse autoencoder: ``weight * mean_i sum_j |z_ij|``."""

    weight: float

    def __call__(self, p: Pass) -> torch.Tensor:
        return self.weight * l1_activity(p.code)


@dataclass
class KLSparsity:
    """Sparse autoencoder, KL form: sigmoid code units pulled to mean activation ``target``."""

    weight: float
    target: float

    def __call__(self, p: Pass) -> torch.Tensor:
        return self.weight * kl_sparsity(p.code, self.target)


@dataclass
class Contractive:
    """Contractive autoencoder: ``weight * mean_i ||dz_i/dx_i||_F^2``."""

    weight: float

    def __call__(self, p: Pass) -> torch.Tensor:
        value = p.contraction
        if value is None:
            value = jacobian_sq_norm(p.encode, p.x_in).mean()
        return self.weight * value


@dataclass
class PriorKL:
    """Variational autoencoder: ``beta * KL(q(z|x) || N(0, I))``.

    While training, beta ramps up from 0 over the first ``warmup`` of the run and the
    batch-mean KL of each unit is not pushed below ``free_bits`` nats; evaluation
    (validation, scores) uses the plain KL.
    """

    beta: float = 1.0
    warmup: float = 0.0
    free_bits: float = 0.0

    def __call__(self, p: Pass) -> torch.Tensor:
        kl = gaussian_kl(*p.posterior)
        if not p.training:
            return self.beta * kl.sum(dim=1).mean()
        warm = min(1.0, p.progress / self.warmup) if self.warmup > 0 else 1.0
        return self.beta * warm * kl.mean(dim=0).clamp(min=self.free_bits).sum()


@dataclass
class Rate:
    """Compression: ``weight * rate``, the rate being the bits of the code under the
    network's learned density (``network.bits``, see :mod:`aekit.networks.entropy`) per
    ``pixels`` (bits per pixel of an image; ``pixels`` = a segment's milliseconds gives
    kbps of sound).

    With a ``target`` rate the term is ``weight * (rate / target - 1) ** 2`` instead: a
    rate held near the target, at which the distortion's pull to more bits balances
    the term's (a controller of the weight, the Lagrange multiplier, overshoots: the
    rate follows it only as the network learns)."""

    weight: float
    pixels: float  # per sample: the rate's unit
    target: float | None = None

    def __call__(self, p: Pass) -> torch.Tensor:
        rate = p.network.bits(p.code).mean() / self.pixels
        if self.target is None:
            return self.weight * rate
        return self.weight * (rate / self.target - 1).square()
