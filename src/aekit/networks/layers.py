"""Small building blocks shared by the networks."""

from __future__ import annotations

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def make_activation(name: str) -> nn.Module:
    return ACTIVATIONS[name]()


def window_length(network: str, n_features: int, channels: int) -> int:
    """Steps per window of a series network whose rows hold ``channels`` x length values
    (channel-major); a ValueError naming ``network`` when they do not split."""
    if channels < 1 or n_features % channels:
        raise ValueError(
            f"a {network} network's rows hold channels x length values: {n_features} values "
            f"do not split into {channels} channels."
        )
    return n_features // channels
