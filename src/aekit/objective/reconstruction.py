"""The reconstruction-loss axis for values: squared error, its log per sample, and
binary cross-entropy.

A reconstruction loss says how the decoder is read (``logits``, ``output``), the
training loss of a batch, the per-sample negative log-likelihood a variational model
needs, and the per-sample error that scores use. The token loss (text) lives in
:mod:`aekit.text.sequences`, the mixed-table loss in :mod:`aekit.arrays.tables`; all follow
:class:`MSE`'s methods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class MSE:
    """Mean squared error; with ``unit`` (data in [0, 1]) the output goes through a sigmoid.

    As a likelihood: a unit-variance Gaussian.
    """

    unit: bool = False
    name = "mse"

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """The batch as the loss compares against it (tokens are trimmed, values kept)."""
        return x

    def logits(
        self, network: nn.Module, code: torch.Tensor, x: torch.Tensor, generator=None
    ) -> torch.Tensor:
        """The decoder's pre-activation output for ``code`` (``x``: the target batch)."""
        return network.decode(code)

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.unit else logits

    def loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The batch's training loss (a scalar)."""
        return F.mse_loss(self.output(logits), x)

    def nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Per-sample negative log-likelihood, in nats."""
        sq = (self.output(logits) - x).square().sum(dim=1)
        return 0.5 * sq + 0.5 * x.shape[1] * math.log(2 * math.pi)

    def error(
        self,
        logits: torch.Tensor,
        x: torch.Tensor,
        window: int = 1,
        image_shape: tuple[int, int, int] | None = None,
    ) -> torch.Tensor:
        """Per-sample mean squared error of the output; ``window > 1`` averages the
        residual over ``window x window`` neighbourhoods of the ``(C, H, W)`` images
        before squaring it."""
        residual = self.output(logits) - x
        if window > 1:
            residual = F.avg_pool2d(residual.view(-1, *image_shape), window, stride=1)
        return residual.square().flatten(1).mean(dim=1)


@dataclass
class BCE(MSE):
    """Binary cross-entropy on a sigmoid output (data in [0, 1]); as a likelihood, Bernoulli.

    Scores (``error``) stay squared errors of the output, comparable with MSE models.
    """

    unit: bool = True
    name = "bce"

    def loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, x)

    def nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)


@dataclass
class LogMSE(MSE):
    """The mean over samples of each one's log mean squared error: the loss whose
    minimum is the highest mean PSNR. Under plain MSE the worst-rebuilt images carry
    the gradient; here each counts by its error relative to its own, so the many easy
    ones come out sharp as well. Not a likelihood: a VAE needs ``mse`` or ``bce``.
    """

    floor: float = 1e-5  # an error below this (50 dB on [0, 1] data) stops pulling
    name = "psnr"

    def loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return torch.log(self.error(logits, x) + self.floor).mean()
