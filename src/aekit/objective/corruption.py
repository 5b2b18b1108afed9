"""The corruption axis: what a denoising autoencoder does to its input while training.

Corruption happens in the network's space (data in [0, 1] as it is, other data
standardised), during training only; ``transform`` always sees the data as given.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

NOISE_TYPES = ("gaussian", "masking", "salt_pepper")


def check_noise(noise: float, noise_type: str) -> None:
    """Reject a noise level that makes no sense for its type."""
    if noise_type == "masking" and noise >= 1:
        raise ValueError(
            f"noise={noise} with noise_type='masking' would zero every input; "
            "give the fraction to zero, in [0, 1)."
        )
    if noise_type == "salt_pepper" and noise > 1:
        raise ValueError(
            f"noise={noise} with noise_type='salt_pepper' is a fraction of inputs to flip; "
            "it must lie in [0, 1]."
        )


def corrupt(
    x: torch.Tensor,
    noise_type: str,
    noise: float,
    generator: torch.Generator | None,
    low: torch.Tensor | float,
    high: torch.Tensor | float,
    clip: bool,
) -> torch.Tensor:
    """Return a corrupted copy of the batch ``x``.

    ``gaussian``: add noise of standard deviation ``noise`` (clipped to ``[low, high]``
    when ``clip``); ``masking``: set a ``noise`` fraction of the values to 0;
    ``salt_pepper``: set a ``noise`` fraction to ``low`` or ``high``, half each.
    ``low`` and ``high`` are the data's range (per feature, or one value).
    """
    kw = {"generator": generator, "device": x.device, "dtype": x.dtype}
    if noise_type == "gaussian":
        noisy = x + noise * torch.randn(x.shape, **kw)
        return torch.clamp(noisy, low, high) if clip else noisy
    hit = torch.rand(x.shape, **kw) < noise
    if noise_type == "masking":
        return x.masked_fill(hit, 0.0)
    salt = torch.rand(x.shape, **kw) < 0.5
    return torch.where(hit, torch.where(salt, high, low), x)


@dataclass
class Corruption:
    """One setting of the axis: :func:`corrupt` with its type, level and the data range."""

    noise_type: str
    noise: float
    low: torch.Tensor | float = 0.0  # the data's range in network space
    high: torch.Tensor | float = 1.0
    clip: bool = False  # data in [0, 1]: gaussian noise stays in the range

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return corrupt(x, self.noise_type, self.noise, generator, self.low, self.high, self.clip)
