"""A codec network's integer codes to a stream and back.

The network is an :class:`~aekit.networks.entropy.EntropyCoded`: under a factorised
density each code value has its own table; under a hyperprior the side code is
written first (a table per value), then the code under the Gaussian tables that the
side code predicts, which the reader can predict in turn once it has the side code.

Streams of format 3 decide every probability in exact arithmetic (:mod:`.exact`): the
learned tables are the ones the model holds (``tables``, fixed once for its weights
and saved with it), the hyper-decoder runs as an integer network, and the Gaussian
tables are counts; so a stream reads back on any machine. Formats 1 and 2 picked
tables with float arithmetic and are read the way they were written.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ..networks.entropy import FactorizedDensity, Hyperprior, gaussian_index
from ..networks.entropy import gaussian_tables as float_gaussian_tables
from .bitstream import Packer, Tables, Unpacker, columns
from .exact import gaussian_tables, hyper_index


def learned_tables(network: nn.Module) -> list[tuple[int, np.ndarray]]:
    """The tables of ``network``'s learned density (the side code's under a
    hyperprior), float64: computed on this machine, so a model keeps the ones it was
    given (see ``ImageAutoencoder``) rather than computing them anew."""
    density = network.density if network.hyper is None else network.hyper.density
    return _tables(density)


def write(network: nn.Module, codes: np.ndarray, model_id: bytes, tables: Tables) -> bytes:
    """The stream of integer ``codes`` (n, channels * positions) of ``network``, its
    learned density's ``tables`` as :func:`learned_tables` made them."""
    n, (channels, positions) = len(codes), _grid(network)
    packer = Packer()
    if network.hyper is None:
        grouped = codes.reshape(n, channels, positions)
        packer.put(grouped, columns(grouped.shape), tables)
    else:
        hyper = _on_cpu(network.hyper)
        with torch.no_grad():
            side = hyper.side(torch.from_numpy(codes).float()).numpy().astype(np.int64)
        shift, index = hyper_index(hyper, side)
        packer.put(side, columns(side.shape), tables)
        packer.put(codes - shift, index, gaussian_tables())
    return packer.finish(model_id, n, channels, positions)


def read(network: nn.Module, data: bytes, model_id: bytes, tables: Tables) -> np.ndarray:
    """The integer codes (n, channels * positions), int64, :func:`write` put in ``data``."""
    channels, positions = _grid(network)
    reader = Unpacker(data, model_id, channels, positions)
    if reader.version < 3:  # tables picked in floats, as they were written
        tables = learned_tables(network)
    if network.hyper is None:
        codes = reader.take(columns((reader.n, channels, positions)), tables)
    else:
        hyper = _on_cpu(network.hyper)
        n_side = math.prod(hyper.side_shape)
        side = reader.take(columns((reader.n, n_side)), tables)
        if reader.version < 3:
            shift, index = _float_index(hyper, side)
            codes = reader.take(index, float_gaussian_tables()) + shift
        else:
            shift, index = hyper_index(hyper, side)
            codes = reader.take(index, gaussian_tables()) + shift
    reader.finish()
    return codes.reshape(reader.n, channels * positions)


def _grid(network: nn.Module) -> tuple[int, int]:
    return network.config.channels, network.config.positions


def _on_cpu(module: nn.Module) -> nn.Module:
    return copy.deepcopy(module).to("cpu", torch.float32).eval()


def _tables(density: FactorizedDensity) -> list[tuple[int, np.ndarray]]:
    return copy.deepcopy(density).to("cpu", torch.float64).tables()


def _float_index(hyper: Hyperprior, side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with torch.no_grad():
        mean, scale = hyper.predict(torch.from_numpy(side).float())
    return gaussian_index(mean.numpy(), scale.numpy())
