"""Networks: the registry and the built-in architectures, which register themselves.

``dense`` (MLP), ``conv`` (strided convolutions for images), ``tcn`` (dilated 1-D
convolutions for windows of a time series), ``series-gru`` (recurrent, for the same
windows), ``gru`` (a sequence-to-sequence network for token ids) and ``waveform``
(strided 1-D convolutions from samples to a code per frame and back); see
:mod:`aekit.networks.registry` for the contract every network, built-in or the user's
own, follows.
"""

from . import (  # noqa: F401  (importing them registers them)
    conv,
    dense,
    entropy,
    resconv,
    sequence,
    series_gru,
    tcn,
    waveform,
)
from .layers import ACTIVATIONS
from .registry import (
    NETWORKS,
    UnknownNetwork,
    build_network,
    config_fields,
    network_spec,
    register_network,
    restore_network,
)

__all__ = [
    "ACTIVATIONS",
    "NETWORKS",
    "UnknownNetwork",
    "build_network",
    "config_fields",
    "network_spec",
    "register_network",
    "restore_network",
]
