"""One formula for every variant: the loss of DESIGN.md, composed from the five axes.

    x --corrupt--> x~ --encoder--> h --bottleneck--> z --decoder--> x^
    loss = reconstruction(x^, x) + penalties(h, z, encoder)

An estimator builds an :class:`Objective` from its settings: a corruption, a bottleneck,
penalties and a reconstruction loss (the modules of ``aekit.objective`` beside this one,
or a modality's own loss); the network comes from the registry. The training loop calls the
objective as its loss; ``transform`` and the scores use ``encode``, ``output``,
``reconstruction_error`` and ``elbo``. Nothing here knows a modality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .bottleneck import Deterministic, Gaussian
from .corruption import Corruption
from .penalties import Contractive, Pass, PriorKL, gaussian_kl, jacobian_sq_norm

_ELBO_DRAWS = 4  # posterior draws per sample when scoring a VAE


@dataclass
class Objective:
    latent_dim: int
    reconstruction: Any  # MSE, BCE, a table or token loss: see aekit.objective.reconstruction
    bottleneck: Deterministic = field(default_factory=Deterministic)
    corruption: Corruption | None = None  # training only
    penalties: tuple[Any, ...] = ()  # applied in order, after the prior's KL term (below)
    generator: torch.Generator | None = None  # for noise and posterior draws

    def __post_init__(self) -> None:
        # A Gaussian bottleneck is a VAE: its KL term to the prior comes first, with the
        # bottleneck's weight, warm-up and free bits, whatever the modality.
        if isinstance(self.bottleneck, Gaussian):
            b = self.bottleneck
            self.penalties = (PriorKL(b.beta, b.kl_warmup, b.free_bits), *self.penalties)

    # ------------------------------------------------------------ pieces
    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return self.reconstruction.output(logits)

    def code(self, h: torch.Tensor) -> torch.Tensor:
        """What ``transform`` returns: the code, or the posterior mean of a VAE."""
        return self.bottleneck.code(h, self.latent_dim)

    def encode(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return self.code(network.encode(x))

    def reconstruct(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction from the code (posterior mean for a VAE), in network space."""
        return self.output(network.decode(self.encode(network, x)))

    def _closed_form(self, network: nn.Module) -> bool:
        return self.bottleneck.linear and getattr(network, "closed_form_contraction", False)

    def contraction(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Per-sample ||dz/dx||_F^2 of the code."""
        if self._closed_form(network):
            return network.contraction(x, self.latent_dim)
        return jacobian_sq_norm(lambda xb: self.encode(network, xb), x)

    # ------------------------------------------------------------ the loss
    def __call__(self, network: nn.Module, x: torch.Tensor, progress: float) -> torch.Tensor:
        """Training loss on the batch ``x``; in eval mode the full objective, uncorrupted."""
        training = network.training
        x = self.reconstruction.prepare(x)
        x_in = self.corruption(x, self.generator) if training and self.corruption else x
        contraction = None
        if any(isinstance(p, Contractive) for p in self.penalties) and self._closed_form(network):
            h, contraction = network.encode_with_contraction(x_in, self.latent_dim)
        else:
            h = network.encode(x_in)
        code = self.code(h)
        if training:
            code = self.bottleneck.training_code(h, self.latent_dim, self.generator)
        state = Pass(network, x_in, code, lambda xb: self.encode(network, xb),
                     progress, training, contraction)  # fmt: skip
        decode = self.reconstruction.logits
        if isinstance(self.bottleneck, Gaussian):
            z, mu, logvar = self.bottleneck.draw(h, self.latent_dim, self.generator)
            state.posterior = (mu, logvar)
            loss = self.reconstruction.nll(decode(network, z, x, self.generator), x).mean()
        else:
            loss = self.reconstruction.loss(decode(network, state.code, x, self.generator), x)
        for penalty in self.penalties:
            loss = loss + penalty(state)
        return loss

    # ------------------------------------------------------------ scores
    def reconstruction_error(self, network: nn.Module, x: torch.Tensor, **window: Any):
        """Per-sample reconstruction error in network space from the code (the
        posterior mean for a VAE); ``window`` / ``image_shape``: see ``MSE.error``."""
        x = self.reconstruction.prepare(x)
        logits = self.reconstruction.logits(network, self.encode(network, x), x)
        return self.reconstruction.error(logits, x, **window)

    def elbo(self, network: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Per-sample evidence lower bound (Gaussian bottleneck), in nats.

        The reconstruction term averages a few posterior draws; the draws are the same
        for every sample and every call, so the score of a sample never depends on the
        batch it came in or on a random seed.
        """
        x = self.reconstruction.prepare(x)
        mu, logvar = Gaussian.posterior(network.encode(x), self.latent_dim)
        gen = torch.Generator().manual_seed(0)
        draws = torch.randn(_ELBO_DRAWS, self.latent_dim, generator=gen).to(mu)
        std = torch.exp(0.5 * logvar)
        rec = self.reconstruction
        nll = torch.stack([rec.nll(rec.logits(network, mu + std * e, x), x) for e in draws])
        return -(nll.mean(0) + gaussian_kl(mu, logvar).sum(dim=1))
