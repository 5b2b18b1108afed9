"""How a :class:`~aekit.SeriesAutoencoder` scores windows and time steps.

Two terms, each ``(n_windows, length)``: the squared reconstruction error of each step
of a window and channel over its spread on the fit windows (window edges and noisy
channels are rebuilt worse everywhere, not only where something is wrong), averaged
over channels; and the distance of the window's code to the nearest fit code
(:mod:`aekit.series.nearest`), repeated over the window's steps. ``"combined"`` scoring
sums them, each over its 99th percentile on the fit data.
"""

from __future__ import annotations

import numpy as np

from .nearest import nearest

SCORINGS = ("combined", "error", "code_distance")


def error_spread(squared: np.ndarray) -> np.ndarray:
    """Mean squared error of each step of a window and channel, (length, C), over the
    fit windows' ``squared`` errors (n, length, C); floored at 1 % of its mean."""
    spread = squared.mean(axis=0)
    return np.maximum(spread, 1e-2 * spread.mean() + 1e-12)


def error_term(squared: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Each step's squared error over its spread, averaged over channels: (n, length)."""
    return (squared / spread).mean(axis=2)


def distance_term(
    codes: np.ndarray,
    fit_codes: np.ndarray,
    length: int,
    exclusion: np.ndarray | None = None,
    zone: int = 0,
) -> np.ndarray:
    """Each code's distance to the nearest of ``fit_codes``, over its window's ``length``
    steps: (n, length). ``exclusion`` and ``zone``: see :func:`nearest`."""
    distance = nearest(codes, fit_codes, exclusion, zone)
    return np.repeat(distance[:, None], length, axis=1)


def scales(terms: dict[str, np.ndarray]) -> dict[str, float]:
    """Each term's 99th percentile on the fit data, which "combined" divides it by."""
    return {name: max(float(np.percentile(v, 99)), 1e-12) for name, v in terms.items()}


def combine(terms: dict[str, np.ndarray], scoring: str, term_scales: dict[str, float]):
    """The score of each step by ``scoring``: one term, or the sum of both over scales."""
    if scoring != "combined":
        return terms[scoring]
    return sum(v / term_scales[name] for name, v in terms.items())
