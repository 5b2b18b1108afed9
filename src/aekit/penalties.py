"""The penalty axis: terms added to the reconstruction loss.

Each takes the code (or what it is made from) and returns a scalar for the batch,
except :func:`gaussian_kl`, which returns per-sample, per-unit values because free
bits and warm-up act on those.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .networks.dense import DenseAutoencoder

_EPS = 1e-6


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


def _activation_slope(activation: nn.Module, a: torch.Tensor) -> torch.Tensor:
    # Elementwise derivative, still differentiable in a; torch.func.grad ignores an outer
    # no_grad, so validation (run under no_grad) gets the same penalty as training.
    return torch.func.grad(lambda t: activation(t).sum())(a)


def has_closed_form(network: nn.Module) -> bool:
    """True for a dense encoder of one hidden layer: x -> act(W1 x + b1) -> W2 . + b2."""
    return isinstance(network, DenseAutoencoder) and len(network.encoder) == 3


class _Gram(torch.autograd.Function):
    """W W^T whose backward is one product, (G + G^T) W, instead of autograd's two."""

    @staticmethod
    def forward(ctx, w: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(w)
        return w @ w.T

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (w,) = ctx.saved_tensors
        return (grad + grad.T) @ w


def _closed_form_parts(network: nn.Module, x: torch.Tensor, n_code: int):
    first, activation, last = network.encoder
    a = first(x)
    h = last(activation(a))
    s = _activation_slope(activation, a)
    w1, w2 = first.weight, last.weight[:n_code]
    return h, s, _Gram.apply(w1) * (w2.T @ w2)


def encode_with_contraction(
    network: nn.Module, x: torch.Tensor, n_code: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder output h and the batch mean of ||dz/dx||_F^2 for z = h[:, :n_code], exactly.

    Needs :func:`has_closed_form`. For z = W2 act(W1 x + b1) + b2, J = W2 diag(s) W1 with
    s = act'(W1 x + b1), so ||J||_F^2 = s^T M s with M = W1 W1^T o W2^T W2, and the
    batch mean is sum(M o S^T S) / n: two H x H x D products per step whatever the
    batch size, instead of a Jacobian per sample.
    """
    h, s, mixing = _closed_form_parts(network, x, n_code)
    return h, (mixing * _Gram.apply(s.T)).sum() / len(x)


def jacobian_sq_norm(code: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Per-sample ||d code / dx||_F^2 by batched reverse-mode autograd (any network)."""

    def one(xi: torch.Tensor) -> torch.Tensor:
        return code(xi.unsqueeze(0)).squeeze(0)

    jac = torch.func.vmap(torch.func.jacrev(one))(x)
    return jac.flatten(1).square().sum(dim=1)


def contraction_closed_form(network: nn.Module, x: torch.Tensor, n_code: int) -> torch.Tensor:
    """Per-sample ||dz/dx||_F^2 for z = h[:, :n_code]; needs :func:`has_closed_form`."""
    _, s, mixing = _closed_form_parts(network, x, n_code)
    return ((s @ mixing) * s).sum(dim=1)
