"""A codec network's integer codes to a stream and back.

The network is an :class:`~aekit.networks.entropy.EntropyCoded`: under a factorised
density each code value has its own table; under a hyperprior the side code is
written first (a table per value), then the code under the Gaussian tables that the
side code predicts, which the reader can predict in turn once it has the side code.
Everything that decides a probability runs on the CPU (the tables in float64), so a
stream reads back exactly wherever the model was trained; should another machine's
floats pick other tables, the values' CRC-32 in the stream says so.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ..networks.entropy import FactorizedDensity, Hyperprior, gaussian_index, gaussian_tables
from .bitstream import Packer, Unpacker, columns


def write(network: nn.Module, codes: np.ndarray, model_id: bytes) -> bytes:
    """The stream of integer ``codes`` (n, channels * positions) of ``network``."""
    n, (channels, positions) = len(codes), _grid(network)
    packer = Packer()
    if network.hyper is None:
        grouped = codes.reshape(n, channels, positions)
        packer.put(grouped, columns(grouped.shape), _tables(network.density))
    else:
        hyper = _on_cpu(network.hyper)
        with torch.no_grad():
            side = hyper.side(torch.from_numpy(codes).float())
            shift, index = _predict(hyper, side)
        side = side.numpy().astype(np.int64)
        packer.put(side, columns(side.shape), _tables(hyper.density))
        packer.put(codes - shift, index, gaussian_tables())
    return packer.finish(model_id, n, channels, positions)


def read(network: nn.Module, data: bytes, model_id: bytes) -> np.ndarray:
    """The integer codes (n, channels * positions), int64, :func:`write` put in ``data``."""
    channels, positions = _grid(network)
    reader = Unpacker(data, model_id, channels, positions)
    if network.hyper is None:
        codes = reader.take(columns((reader.n, channels, positions)), _tables(network.density))
    else:
        hyper = _on_cpu(network.hyper)
        n_side = math.prod(hyper.side_shape)
        side = reader.take(columns((reader.n, n_side)), _tables(hyper.density))
        with torch.no_grad():
            shift, index = _predict(hyper, torch.from_numpy(side).float())
        codes = reader.take(index, gaussian_tables()) + shift
    reader.finish()
    return codes.reshape(reader.n, channels * positions)


def _grid(network: nn.Module) -> tuple[int, int]:
    return network.config.channels, network.config.positions


def _on_cpu(module: nn.Module) -> nn.Module:
    return copy.deepcopy(module).to("cpu", torch.float32).eval()


def _tables(density: FactorizedDensity) -> list[tuple[int, np.ndarray]]:
    return copy.deepcopy(density).to("cpu", torch.float64).tables()


def _predict(hyper: Hyperprior, side: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    mean, scale = hyper.predict(side)
    return gaussian_index(mean.numpy(), scale.numpy())
