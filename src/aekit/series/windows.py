"""Cutting a series into overlapping windows and putting per-window values back per step.

A series is ``(n_steps, n_channels)``. Windows start every ``stride`` steps, and one
more ends at the last step when the stride does not land there, so every step is
covered; :func:`stitch` averages, at each step, the values of every window that
covers it (a reconstruction, or a squared error for per-step scores).
"""

from __future__ import annotations

import numpy as np


def starts(
    n_steps: int, window: int, stride: int, rng: np.random.Generator | None = None
) -> np.ndarray:
    """First step of each window: every ``stride``, and the last window flush with the
    end; with ``rng``, each start moved on by a random 0 to stride - 1 steps."""
    if n_steps < window:
        raise ValueError(
            f"the series has {n_steps} steps, fewer than one window of {window}: use a "
            f"smaller window or a longer series."
        )
    first = np.arange(0, n_steps - window + 1, stride)
    if rng is not None:
        first = np.minimum(first + rng.integers(0, stride, len(first)), n_steps - window)
    if first[-1] != n_steps - window:
        first = np.append(first, n_steps - window)
    return first


def cut(
    series: np.ndarray, window: int, stride: int, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``(n_windows, window, n_channels)`` of ``series`` and their start steps
    (moved on at random with ``rng``: see :func:`starts`)."""
    at = starts(len(series), window, stride, rng)
    views = np.lib.stride_tricks.sliding_window_view(series, window, axis=0)  # (n, C, window)
    return views[at].transpose(0, 2, 1), at


def stitch(values: np.ndarray, at: np.ndarray, n_steps: int) -> np.ndarray:
    """Per-step mean of per-window ``values`` ``(n_windows, window, ...)`` that start at
    ``at``: ``(n_steps, ...)``, each step averaged over the windows that cover it."""
    window = values.shape[1]
    total = np.zeros((n_steps, *values.shape[2:]), dtype=np.float64)
    count = np.zeros(n_steps, dtype=np.float64)
    for start, value in zip(at, values, strict=True):
        total[start : start + window] += value
        count[start : start + window] += 1
    if np.any(count == 0):
        raise ValueError("some steps are covered by no window: the windows do not span the series.")
    return total / count.reshape(-1, *([1] * (values.ndim - 2)))
