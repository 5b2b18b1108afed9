"""The network registry: one architecture name -> one (config dataclass, module) pair.

Built-in networks and the user's own register the same way, with
:func:`register_network` in the network's own module (torchvision's ``register_model``
is the model); this module imports no network. A model file stores a network as its
name plus its config dict, so loading rebuilds it where that registration has been
imported, without unpickling anything.

A network's contract: ``encode(x)`` gives the encoder output ``h`` of
``latent_dim * code_params`` values per sample (the estimator's bottleneck turns it
into the code), ``decode(z)`` the pre-activation output. Optional:
``init_output_bias(value)`` to start the decoder at the mean output, and
``contraction(x, n_code)`` / ``encode_with_contraction(x, n_code)`` when it knows its
contractive penalty in closed form (``closed_form_contraction`` says whether it does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from torch import nn

from ..training.devices import resolve_device

NETWORKS: dict[str, tuple[type, type[nn.Module]]] = {}


class UnknownNetwork(LookupError):
    """No network of that name is registered in this process."""


def register_network(name: str, *, config: type) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Class decorator: make a ``torch.nn.Module`` an architecture named ``name``.

    ``config`` is a dataclass whose fields the module's ``__init__(config)`` reads;
    estimators fill the fields they know (``n_features`` or ``image_shape``,
    ``latent_dim``, ``code_params``, ``hidden_dims``, ``activation``) and leave the rest
    at their defaults. Another class under a taken name is an error; registering the
    same class again (a notebook cell run twice) replaces it.
    """
    if not dataclasses.is_dataclass(config):
        raise TypeError(f"config for network {name!r} must be a dataclass; got {config!r}.")

    def decorate(module_cls: type[nn.Module]) -> type[nn.Module]:
        taken = NETWORKS.get(name)
        if taken is not None and _origin(taken[1]) != _origin(module_cls):
            raise ValueError(
                f"a network named {name!r} is already registered ({_origin(taken[1])}); "
                "choose another name."
            )
        NETWORKS[name] = (config, module_cls)
        return module_cls

    return decorate


def _origin(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def config_fields(name: str) -> set[str]:
    """The config fields of the network registered as ``name``."""
    return {f.name for f in dataclasses.fields(_lookup(name)[0])}


def build_network(name: str, **config: Any) -> nn.Module:
    """Build the network registered as ``name`` from keyword config values (those the
    config does not have are ignored)."""
    config_cls, module_cls = _lookup(name)
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items() if k in fields}
    missing = [
        f.name
        for f in fields.values()
        if f.name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(
            f"network {name!r} needs {', '.join(missing)} in its config, which this "
            "estimator does not fill; give the field a default or use another architecture."
        )
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


def _lookup(name: str) -> tuple[type, type[nn.Module]]:
    try:
        return NETWORKS[name]
    except KeyError:
        raise UnknownNetwork(
            f"no network named {name!r} is registered here (registered: "
            f"{', '.join(sorted(NETWORKS))}). Import the module that defines it, where "
            f"@aekit.register_network({name!r}, config=...) registers it, before loading."
        ) from None
