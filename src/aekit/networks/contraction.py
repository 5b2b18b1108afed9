"""The contractive penalty of a one-hidden-layer encoder, in closed form.

For z = W2 act(W1 x + b1) + b2 the Jacobian is J = W2 diag(s) W1 with
s = act'(W1 x + b1), so ||J||_F^2 = s^T M s with M = W1 W1^T o W2^T W2, and the
batch mean is sum(M o S^T S) / n: two H x H x D products per step whatever the
batch size, instead of a Jacobian per sample.
"""

from __future__ import annotations

import torch
from torch import nn


def _activation_slope(activation: nn.Module, a: torch.Tensor) -> torch.Tensor:
    # Elementwise derivative, still differentiable in a; torch.func.grad ignores an outer
    # no_grad, so validation (run under no_grad) gets the same penalty as training.
    return torch.func.grad(lambda t: activation(t).sum())(a)


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


def _parts(first: nn.Linear, activation: nn.Module, last: nn.Linear, x: torch.Tensor, n_code: int):
    a = first(x)
    h = last(activation(a))
    s = _activation_slope(activation, a)
    w1, w2 = first.weight, last.weight[:n_code]
    return h, s, _Gram.apply(w1) * (w2.T @ w2)


def encode_with_contraction(
    layers: nn.Sequential, x: torch.Tensor, n_code: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder output h of ``layers`` (Linear, activation, Linear) and the batch mean
    of ||dz/dx||_F^2 for z = h[:, :n_code], exactly."""
    h, s, mixing = _parts(*layers, x, n_code)
    return h, (mixing * _Gram.apply(s.T)).sum() / len(x)


def contraction(layers: nn.Sequential, x: torch.Tensor, n_code: int) -> torch.Tensor:
    """Per-sample ||dz/dx||_F^2 for z = h[:, :n_code] of ``layers``."""
    _, s, mixing = _parts(*layers, x, n_code)
    return ((s @ mixing) * s).sum(dim=1)
