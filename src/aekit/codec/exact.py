"""What decides a probability, in arithmetic that gives the same integers on every machine.

A stream reads back only if the reader picks each value's table exactly as the writer
did. Float arithmetic does not promise that: another CPU's SIMD kernels, another thread
count, oneDNN's paths or a GPU add in other orders and round otherwise, and a value near
a table's boundary goes the other way (CompressAI issues #279, #309, #340). Streams of
format 3 therefore decide their tables from integers only:

- the hyper-decoder runs as an integer network (Ballé, Johnston & Minnen, "Integer
  networks for data compression with latent-variable models", ICLR 2019): weights
  rounded to fixed point, activations integers of 2^-12 clamped to +-4096, each layer's
  sums brought back by a floor division by a power of two. The integers are held in
  float64, which holds each one exactly below 2^53; every sum here stays below that
  (:func:`_check_bound`), so any order of summation gives the same numbers: BLAS,
  threads, SIMD width and oneDNN cannot change them;
- each value's mean (to an eighth) and scale table come from integer comparisons
  against thresholds fixed once (:data:`SCALE_STEPS`);
- the Gaussian tables are counts (:func:`gaussian_tables`): probabilities rounded to
  integers of 2^-20 that lie far from a rounding boundary compared with any libm's
  last-bit error (a test holds the margin); the learned density's tables are computed
  once for a model's weights and saved with it (``ImageAutoencoder``).

The synthesis transform (codes to pixels) stays float: see ``docs/reliability.md`` for
how far its pixels may differ between machines.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..networks.entropy import _FRACTIONS, SCALES, Hyperprior, gaussian_probabilities

FRACTION = 12  # activations are integers of 2^-FRACTION
_LIMIT = 2.0 ** (FRACTION + 12)  # |activation| <= 4096
_WEIGHT_BITS = 15  # weights are rounded to integers below 2^15 in size
_SLOPE_BITS = 16  # a leaky ReLU's slope as an integer of 2^-16
_EXACT = 2.0**53  # float64 holds every integer below this exactly
COUNT_BITS = 20  # a Gaussian table's probabilities are integers of 2^-COUNT_BITS
_EIGHTH = 2.0**FRACTION // _FRACTIONS
_CHUNK = 32  # samples at a time


def _fixed(weight: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``weight`` as integers of 2^-shift, the shift as large as keeps them below 2^15."""
    w = weight.detach().to("cpu", torch.float64)
    top = float(w.abs().max())
    shift = min(24, _WEIGHT_BITS - math.frexp(top)[1]) if top > 0 else 0
    return torch.round(w * 2.0**shift), shift


def _check_bound(layer: nn.Module, weight: torch.Tensor, bias: torch.Tensor) -> None:
    # the products one output sums: a convolution's inputs x kernel; at most the same
    # for a transposed one (whose weight is (in, out, kh, kw))
    inputs = weight[0] if isinstance(layer, nn.Conv2d) else weight[:, 0]
    terms = inputs.numel()
    if terms * float(weight.abs().max()) * _LIMIT + float(bias.abs().max()) >= _EXACT:
        raise ValueError(f"{layer} is too large to run in exact integers ({terms} terms a sum).")


def _integer_layers(layers: nn.Sequential) -> list[Any]:
    """Each layer as what :func:`_run` needs: a convolution's integer weights, bias and
    shift, or a leaky ReLU's integer slope."""
    out = []
    for layer in layers:
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
            weight, shift = _fixed(layer.weight)
            bias = layer.bias if layer.bias is not None else torch.zeros(weight.shape[0])
            bias = torch.round(bias.detach().to("cpu", torch.float64) * 2.0 ** (shift + FRACTION))
            _check_bound(layer, weight, bias)
            out.append((layer, weight, bias, shift))
        elif isinstance(layer, nn.LeakyReLU | nn.ReLU):
            out.append((layer, round(getattr(layer, "negative_slope", 0.0) * 2**_SLOPE_BITS)))
        else:
            raise ValueError(f"no exact integer form for {type(layer).__name__}.")
    return out


def _run(step: tuple, x: torch.Tensor) -> torch.Tensor:
    layer, *integers = step
    if isinstance(layer, nn.Conv2d):
        weight, bias, shift = integers
        y = F.conv2d(x, weight, bias, layer.stride, layer.padding, layer.dilation, layer.groups)
        return torch.floor(y * 2.0**-shift).clamp(-_LIMIT, _LIMIT)
    if isinstance(layer, nn.ConvTranspose2d):
        weight, bias, shift = integers
        y = F.conv_transpose2d(x, weight, bias, layer.stride, layer.padding,
                               layer.output_padding, layer.groups, layer.dilation)  # fmt: skip
        return torch.floor(y * 2.0**-shift).clamp(-_LIMIT, _LIMIT)
    (slope,) = integers
    return torch.where(x >= 0, x, torch.floor(x * slope * 2.0**-_SLOPE_BITS))


def integer_forward(layers: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """``layers`` (convolutions and leaky ReLUs) on ``x``, integers of 2^-FRACTION held
    in float64; the same integers on every machine."""
    steps = _integer_layers(layers)
    x = x.to("cpu", torch.float64).clamp(-_LIMIT, _LIMIT)
    out = []
    with torch.no_grad():
        for chunk in x.split(_CHUNK):  # float64 convolutions run ~2x faster in cache
            for step in steps:
                chunk = _run(step, chunk)
            out.append(chunk)
    return torch.cat(out) if out else x


def _scale_steps() -> np.ndarray:
    # scale = SCALES[0] + softplus(raw) lies above SCALES[k] exactly when raw lies above
    # softplus^-1(SCALES[k] - SCALES[0]): the scales' thresholds on the raw output.
    raw = np.log(np.expm1(SCALES[1:] - SCALES[0]))
    return np.floor(raw * 2.0**FRACTION)


SCALE_STEPS = _scale_steps()  # integers of 2^-FRACTION; a test holds their margin


def hyper_index(hyper: Hyperprior, side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole-number shift of each code value and the index of its table in
    :func:`gaussian_tables`, from the integer side code ``side`` (n, values), in exact
    integer arithmetic: what :func:`~aekit.networks.entropy.gaussian_index` does with
    the float prediction."""
    z = torch.from_numpy(np.asarray(side, np.float64)).view(-1, *hyper.side_shape)
    out = integer_forward(hyper.synthesis, z * 2.0**FRACTION).flatten(2)
    mean, raw = (part.flatten(1).numpy() for part in out.chunk(2, dim=1))
    eighths = np.floor((mean + _EIGHTH / 2) / _EIGHTH).astype(np.int64)  # nearest eighth
    shift, fraction = np.divmod(eighths, _FRACTIONS)
    level = np.minimum(np.searchsorted(SCALE_STEPS, raw, side="left") + 1, len(SCALES) - 1)
    return shift, fraction * len(SCALES) + level


def counted(probs: np.ndarray, bits: int = COUNT_BITS) -> np.ndarray:
    """``probs`` rounded to integers of 2^-bits (at least one each), normalised: floats
    that are the same on every machine that computes ``probs`` to within its margin."""
    counts = np.maximum(np.rint(np.asarray(probs, np.float64) * 2.0**bits), 1.0)
    return counts / counts.sum()


@functools.cache
def gaussian_tables() -> list[tuple[int, np.ndarray]]:
    """The coder's Gaussian tables as counts, in the order and form of
    :func:`~aekit.networks.entropy.gaussian_tables` (which format 2 used)."""
    return [(first, counted(probs)) for first, probs in gaussian_probabilities(exact=True)]
