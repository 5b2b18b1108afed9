"""One formula for every variant: the loss of DESIGN.md, filled in from the settings.

    x --corrupt--> x~ --encoder--> h --bottleneck--> z --decoder--> x^
    loss = reconstruction(x^, x) + penalties(h, z, encoder)

An estimator builds an :class:`Objective` from its parameters; the training loop
calls it as its loss, and ``transform`` / ``score_samples`` use its ``code``,
``reconstruct`` and ``elbo``. No variant has its own loop or its own estimator code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .corruption import corrupt
from .penalties import (
    contraction_closed_form,
    encode_with_contraction,
    gaussian_kl,
    has_closed_form,
    jacobian_sq_norm,
    kl_sparsity,
    l1_activity,
)
from .tables import table_loss
from .text.sequences import n_tokens, teacher_inputs, token_nll, trim

# Bottleneck -> encoder outputs per code unit.
BOTTLENECKS = {"deterministic": 1, "sigmoid": 1, "gaussian": 2}
_ELBO_DRAWS = 4  # posterior draws per sample when scoring a VAE
_LOGVAR_RANGE = (-20.0, 10.0)  # keeps exp(logvar) finite early in training


@dataclass
class Objective:
    latent_dim: int
    # "mse", "bce" (data in [0, 1]), "table" (mixed columns, see tables.py) or "tokens"
    # (token ids, cross-entropy; the decoder is fed the previous tokens: teacher forcing)
    loss: str
    unit: bool  # data in [0, 1]: the output goes through a sigmoid
    bottleneck: str = "deterministic"  # "sigmoid" for the KL sparsity target, "gaussian": VAE
    # corruption (training only)
    noise: float = 0.0
    noise_type: str = "gaussian"
    noise_low: torch.Tensor | float = 0.0  # the data range in network space
    noise_high: torch.Tensor | float = 1.0
    # penalties
    sparsity: float = 0.0  # weight of L1 on the code, or of the KL target when one is set
    sparsity_target: float | None = None
    contractive: float = 0.0
    beta: float = 1.0  # weight of the KL to the prior (gaussian bottleneck)
    kl_warmup: float = 0.0  # share of the run over which beta ramps up from 0
    free_bits: float = 0.0  # nats per code unit the KL is not pushed below (training)
    word_dropout: float = 0.0  # tokens: share of the decoder's inputs hidden (training)
    generator: torch.Generator | None = None  # for noise and posterior draws
    # mixed tables: positions of numeric values and of each categorical one-hot group
    numeric: list[int] | None = None
    groups: list[tuple[int, int]] | None = None

    # ------------------------------------------------------------ pieces
    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.unit else logits

    def code(self, h: torch.Tensor) -> torch.Tensor:
        """What ``transform`` returns: the code, or the posterior mean of a VAE."""
        if self.bottleneck == "sigmoid":
            return torch.sigmoid(h)
        return h[:, : self.latent_dim]

    def encode(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return self.code(network.encode(x))

    def reconstruct(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction from the code (posterior mean for a VAE), in network space."""
        return self.output(network.decode(self.encode(network, x)))

    def _logits(self, network: nn.Module, code: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.loss != "tokens":
            return network.decode(code)
        dropout = self.word_dropout if network.training else 0.0
        return network.decode(code, teacher_inputs(x, dropout, self.generator))

    def _posterior(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = h.split(self.latent_dim, dim=1)
        return mu, logvar.clamp(*_LOGVAR_RANGE)

    def _nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Per-sample negative log-likelihood: Bernoulli (bce), categorical per token
        (tokens) or unit-variance Gaussian."""
        if self.loss == "tokens":
            return token_nll(logits, x)
        if self.loss == "bce":
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
        sq = (self.output(logits) - x).square().sum(dim=1)
        return 0.5 * sq + 0.5 * x.shape[1] * math.log(2 * math.pi)

    def _contraction(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return jacobian_sq_norm(lambda xb: self.encode(network, xb), x)

    def _closed_form(self, network: nn.Module) -> bool:
        return self.bottleneck != "sigmoid" and has_closed_form(network)

    def contraction(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Per-sample ||dz/dx||_F^2 of the code."""
        if self._closed_form(network):
            return contraction_closed_form(network, x, self.latent_dim)
        return self._contraction(network, x)

    # ------------------------------------------------------------ the loss
    def __call__(self, network: nn.Module, x: torch.Tensor, progress: float) -> torch.Tensor:
        """Training loss on the batch ``x``; in eval mode the full objective, uncorrupted."""
        training = network.training
        if self.loss == "tokens":
            x = trim(x)
        x_in = x
        if training and self.noise > 0:
            x_in = corrupt(
                x,
                self.noise_type,
                self.noise,
                self.generator,
                self.noise_low,
                self.noise_high,
                clip=self.unit,
            )
        contraction = None
        if self.contractive > 0 and self._closed_form(network):
            h, contraction = encode_with_contraction(network, x_in, self.latent_dim)
        else:
            h = network.encode(x_in)
            if self.contractive > 0:
                contraction = self._contraction(network, x_in).mean()
        code = self.code(h)

        if self.bottleneck == "gaussian":
            mu, logvar = self._posterior(h)
            eps = torch.randn(mu.shape, generator=self.generator, device=mu.device, dtype=mu.dtype)
            nll = self._nll(self._logits(network, mu + torch.exp(0.5 * logvar) * eps, x), x)
            kl = gaussian_kl(mu, logvar)
            if training:
                warm = min(1.0, progress / self.kl_warmup) if self.kl_warmup > 0 else 1.0
                beta = self.beta * warm
                kl_term = kl.mean(dim=0).clamp(min=self.free_bits).sum()
            else:
                beta, kl_term = self.beta, kl.sum(dim=1).mean()
            loss = nll.mean() + beta * kl_term
        else:
            logits = self._logits(network, code, x)
            if self.loss == "tokens":  # per token, so long texts weigh more
                loss = token_nll(logits, x).sum() / n_tokens(x).sum()
            elif self.loss == "table":
                loss = table_loss(logits, x, self.numeric, self.groups).mean()
            elif self.loss == "bce":
                loss = F.binary_cross_entropy_with_logits(logits, x)
            else:
                loss = F.mse_loss(self.output(logits), x)

        if self.sparsity > 0:
            if self.sparsity_target is None:
                loss = loss + self.sparsity * l1_activity(code)
            else:
                loss = loss + self.sparsity * kl_sparsity(code, self.sparsity_target)
        if contraction is not None:
            loss = loss + self.contractive * contraction
        return loss

    # ------------------------------------------------------------ scores
    def reconstruction_error(
        self,
        network: nn.Module,
        x: torch.Tensor,
        window: int = 1,
        image_shape: tuple[int, int, int] | None = None,
    ) -> torch.Tensor:
        """Per-sample mean squared reconstruction error in network space (for mixed
        tables: squared error and cross-entropy averaged over columns).

        ``window > 1`` averages the residual over ``window x window`` neighbourhoods of
        the ``(C, H, W)`` images before squaring it.
        """
        if self.loss == "table":
            logits = network.decode(self.encode(network, x))
            return table_loss(logits, x, self.numeric, self.groups)
        if self.loss == "tokens":  # cross-entropy per token, teacher-forced
            x = trim(x)
            return token_nll(self._logits(network, self.encode(network, x), x), x) / n_tokens(x)
        residual = self.reconstruct(network, x) - x
        if window > 1:
            residual = F.avg_pool2d(residual.view(-1, *image_shape), window, stride=1)
        return residual.square().flatten(1).mean(dim=1)

    def elbo(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Per-sample evidence lower bound (gaussian bottleneck), in nats.

        The reconstruction term averages a few posterior draws; the draws are the same
        for every sample and every call, so the score of a sample never depends on the
        batch it came in or on a random seed.
        """
        if self.loss == "tokens":
            x = trim(x)
        mu, logvar = self._posterior(network.encode(x))
        gen = torch.Generator().manual_seed(0)
        draws = torch.randn(_ELBO_DRAWS, self.latent_dim, generator=gen).to(mu)
        std = torch.exp(0.5 * logvar)
        nll = [self._nll(self._logits(network, mu + std * e, x), x) for e in draws]
        nll = torch.stack(nll).mean(0)
        return -(nll + gaussian_kl(mu, logvar).sum(dim=1))
