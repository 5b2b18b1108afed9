"""The bottleneck axis: how the encoder output h becomes the code z.

``Deterministic``: z = h (the standard autoencoder). ``SigmoidCode``: z = sigmoid(h),
units in (0, 1) for the KL sparsity target. ``Gaussian``: h holds a posterior mean
and log-variance per unit; training draws z by the reparameterisation trick and the
code ``transform`` returns is the mean (the variational autoencoder; its KL term to the
prior comes with it). ``Quantized``:
z = round(h), integers an entropy coder can write; training adds uniform noise in
(-1/2, 1/2) instead, which keeps gradients and costs what rounding costs on average
(Ballé et al. 2017), and the rate penalty prices z under a learned density.
"""

from __future__ import annotations

import torch

_LOGVAR_RANGE = (-20.0, 10.0)  # keeps exp(logvar) finite early in training
_CODE_LIMIT = 2.0**20  # quantised values stay well inside int32 and float32's integers


class Deterministic:
    name = "deterministic"
    code_params = 1  # encoder outputs per code unit
    linear = True  # z is h itself: a closed-form contraction of h is one of z

    def code(self, h: torch.Tensor, latent_dim: int) -> torch.Tensor:
        """What ``transform`` returns: the first of the ``code_params`` equal parts of h
        (h is latent_dim values per sample, or per frame of a network whose code grows
        with its input, such as the waveform network's)."""
        return h[:, : h.shape[1] // self.code_params]

    def training_code(
        self, h: torch.Tensor, latent_dim: int, generator: torch.Generator | None
    ) -> torch.Tensor:
        """The code the decoder and the penalties see while training."""
        return self.code(h, latent_dim)


class SigmoidCode(Deterministic):
    name = "sigmoid"
    linear = False

    def code(self, h: torch.Tensor, latent_dim: int) -> torch.Tensor:
        return torch.sigmoid(h)


class Gaussian(Deterministic):
    """The variational bottleneck. It carries its prior's settings (the KL term's weight
    ``beta``, its ``kl_warmup`` and ``free_bits``): an :class:`~aekit.objective.Objective`
    with this bottleneck adds that term itself, for every modality alike."""

    name = "gaussian"
    code_params = 2  # mean and log-variance

    def __init__(self, beta: float = 1.0, kl_warmup: float = 0.0, free_bits: float = 0.0):
        self.beta, self.kl_warmup, self.free_bits = beta, kl_warmup, free_bits

    @staticmethod
    def posterior(h: torch.Tensor, latent_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = h.chunk(2, dim=1)  # halves: per frame too (see Deterministic.code)
        return mu, logvar.clamp(*_LOGVAR_RANGE)

    def draw(
        self, h: torch.Tensor, latent_dim: int, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A code drawn from the posterior (reparameterised), its mean and log-variance."""
        mu, logvar = self.posterior(h, latent_dim)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps, mu, logvar


class Quantized(Deterministic):
    name = "quantized"
    linear = False

    def code(self, h: torch.Tensor, latent_dim: int) -> torch.Tensor:
        return torch.round(h).clamp(-_CODE_LIMIT, _CODE_LIMIT)

    def training_code(
        self, h: torch.Tensor, latent_dim: int, generator: torch.Generator | None
    ) -> torch.Tensor:
        noise = torch.rand(h.shape, generator=generator, device=h.device, dtype=h.dtype)
        return h + (noise - 0.5)


BOTTLENECKS = {cls.name: cls for cls in (Deterministic, SigmoidCode, Gaussian, Quantized)}
