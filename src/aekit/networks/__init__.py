"""Network registry: one architecture name -> one (config, module) pair.

Every network maps flat rows (n, n_features) to codes and back (the sequence network:
token ids to codes, and codes plus the previous tokens to next-token logits), and offers
``encode`` (the encoder output h: ``latent_dim * code_params`` values, which the
estimator's bottleneck turns into the code) and ``decode`` (code -> pre-activation
output); dense and conv also ``forward`` (decode after encode, for ``code_params=1``)
and ``init_output_bias``, the sequence network ``generate``.

Estimators never construct networks directly; they go through :func:`build_network`,
and model files store the name plus the config dict, so loading rebuilds the same
module without unpickling anything.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import nn

from .conv import ConvAutoencoder, ConvConfig
from .dense import DenseAutoencoder, DenseConfig
from .layers import ACTIVATIONS
from .sequence import SequenceAutoencoder, SequenceConfig

NETWORKS: dict[str, tuple[type, type[nn.Module]]] = {
    "dense": (DenseConfig, DenseAutoencoder),
    "conv": (ConvConfig, ConvAutoencoder),
    "gru": (SequenceConfig, SequenceAutoencoder),
}


def build_network(name: str, **config: Any) -> nn.Module:
    """Build the network registered as ``name`` from keyword config values."""
    config_cls, module_cls = NETWORKS[name]
    fields = {f.name for f in dataclasses.fields(config_cls)}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items() if k in fields}
    return module_cls(config_cls(**kwargs))


def network_spec(module: nn.Module) -> dict[str, Any]:
    """JSON-ready description of ``module``: enough for :func:`build_network` to rebuild it."""
    for name, (_, module_cls) in NETWORKS.items():
        if type(module) is module_cls:
            return {"name": name, "config": dataclasses.asdict(module.config)}
    raise TypeError(f"{type(module).__name__} is not a registered aekit network")


def restore_network(spec: dict[str, Any], tensors: dict[str, Any], device: str) -> nn.Module:
    """Rebuild a saved network: ``spec`` from :func:`network_spec`, weights under the
    ``network.`` prefix of ``tensors``, on ``device`` (CPU when that device is absent)."""
    from ..training import resolve_device

    network = build_network(spec["name"], **spec["config"])
    prefix = "network."
    network.load_state_dict(
        {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    )
    try:
        resolved = resolve_device(device)
    except ValueError:  # trained on a GPU, loaded where there is none
        resolved = "cpu"
    return network.to(resolved).eval()


__all__ = ["ACTIVATIONS", "NETWORKS", "build_network", "network_spec", "restore_network"]
