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

:func:`write_frames` / :func:`read_frames` hold items whose codes have a length of their
own (a clip's code has a frame per stretch of samples): the container's count is then
the frames of all items, and before the codes come the number of items, each item's
frames and its ``extras`` (a clip's length and level), as small integers.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ..networks.entropy import FactorizedDensity, Hyperprior, gaussian_index
from ..networks.entropy import gaussian_tables as float_gaussian_tables
from .bitstream import Packer, StreamError, Tables, Unpacker, columns
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


def write_frames(network: nn.Module, codes: list[np.ndarray], extras: np.ndarray,
                 model_id: bytes, tables: Tables) -> bytes:  # fmt: skip
    """The stream of items of frames: ``codes`` a list of integer arrays (channels,
    frames_i), each coded under its channel's table of ``network``'s factorised
    density, and ``extras`` (n, k) small integers per item (a clip's length and level)."""
    channels = network.config.channels
    extras = np.asarray(extras, np.int64).reshape(len(codes), -1)
    frames = np.array([c.shape[1] for c in codes], np.int64)
    if any(c.shape[0] != channels for c in codes) or (frames < 1).any():
        raise ValueError(f"each item's code must be ({channels}, frames >= 1).")
    packer = Packer()
    for small in ([len(codes), extras.shape[1]], frames, extras.ravel()):  # as read back
        _put_small(packer, small)
    joined = np.concatenate(codes, axis=1)[None]  # (1, channels, all frames)
    packer.put(joined, columns(joined.shape), tables)
    return packer.finish(model_id, int(frames.sum()), channels, 1)


def read_frames(network: nn.Module, data: bytes, model_id: bytes,
                tables: Tables) -> tuple[list[np.ndarray], np.ndarray]:  # fmt: skip
    """The codes (a list of int64 (channels, frames_i)) and extras (n, k) that
    :func:`write_frames` put in ``data``."""
    channels = network.config.channels
    reader = Unpacker(data, model_id, channels, 1)
    n, k = _take_small(reader, 2)
    if not 1 <= n <= reader.n or not 0 <= k <= 16:  # every item has a frame or more
        raise StreamError(f"the stream is damaged: it says it holds {n} items of {k} extras "
                          f"in {reader.n} frames.")  # fmt: skip
    frames = _take_small(reader, n)
    extras = _take_small(reader, n * k).reshape(n, k)
    if (frames < 1).any() or frames.sum() != reader.n:
        raise StreamError("the stream is damaged: its items' frames do not add up to its count.")
    joined = reader.take(columns((1, channels, reader.n)), tables)[0]
    reader.finish()
    return np.split(joined, np.cumsum(frames)[:-1], axis=1), extras


# Small integers of a few per item (counts, lengths, levels): zigzagged to >= 0, then
# each as its bit length (uniform over 0-40) and its bits below the leading one (a fair
# coin each), as Elias's gamma code does: 12 bits for 100, where int32 would take 32.
_LENGTHS = (0, np.append(np.full(41, 1 / 41), 1e-9))
_BIT = (0, np.array([0.5, 0.5, 1e-9]))


def small_bits(value: int) -> float:
    """The bits :func:`_put_small` spends on one ``value``."""
    zigzag = -2 * value - 1 if value < 0 else 2 * value
    return math.log2(len(_LENGTHS[1]) - 1) + max(int(zigzag).bit_length() - 1, 0)


def _put_small(packer: Packer, values: np.ndarray) -> None:
    v = np.asarray(values, np.int64)
    v = np.where(v < 0, -2 * v - 1, 2 * v)  # zigzag
    lengths = np.array([int(x).bit_length() for x in v], np.int64)
    bits = [(int(x) >> i) & 1 for x, b in zip(v, lengths, strict=True) for i in range(b - 1)]
    packer.put(lengths, np.zeros(len(v), np.int64), [_LENGTHS])
    packer.put(np.array(bits, np.int64), np.zeros(len(bits), np.int64), [_BIT])


def _take_small(reader: Unpacker, n: int) -> np.ndarray:
    lengths = reader.take(np.zeros(int(n), np.int64), [_LENGTHS])
    if (lengths > 40).any():
        raise StreamError("the stream is damaged: an item's header is out of range.")
    bits = reader.take(np.zeros(int(np.maximum(lengths - 1, 0).sum()), np.int64), [_BIT])
    out, at = [], 0
    for b in lengths.tolist():
        value = (1 << (b - 1)) if b else 0
        for i in range(b - 1):
            value |= int(bits[at + i]) << i
        out.append(value)
        at += max(b - 1, 0)
    v = np.array(out, np.int64)
    return np.where(v % 2 == 1, -(v + 1) // 2, v // 2)


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
