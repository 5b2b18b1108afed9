"""Comparing rate-quality curves of codecs: the Bjøntegaard delta rate."""

from __future__ import annotations

import numpy as np


def bd_rate(anchor: list[tuple[float, float]], test: list[tuple[float, float]],
            quality: str = "quality", unit: str = "") -> float:  # fmt: skip
    """Bjøntegaard delta rate of ``test`` against ``anchor``, each a list of (rate,
    quality) points, in percent: the mean difference in rate for the same quality over
    the quality range both curves cover (log-rate interpolated piecewise-cubically in
    quality, as in JVET's common test conditions); negative means ``test`` needs fewer
    bits. Each curve needs two points or more. ``quality`` and ``unit`` name the
    quality in errors ("PSNR", " dB")."""
    from scipy.interpolate import PchipInterpolator

    curves = []
    for name, points in (("anchor", anchor), ("test", test)):
        by_quality = {}
        for rate, level in points:
            by_quality.setdefault(level, rate)
        if len(by_quality) < 2:
            raise ValueError(f"bd_rate needs two points of different {quality} on each curve; "
                             f"the {name} has {len(by_quality)}.")  # fmt: skip
        levels = np.array(sorted(by_quality))
        rates = np.array([by_quality[q] for q in levels])
        curves.append((levels, np.log(rates)))
    lo = max(curves[0][0][0], curves[1][0][0])
    hi = min(curves[0][0][-1], curves[1][0][-1])
    if lo >= hi:
        raise ValueError(
            f"the curves share no {quality} range (anchor {curves[0][0][0]:.2f}-"
            f"{curves[0][0][-1]:.2f}{unit}, test {curves[1][0][0]:.2f}-"
            f"{curves[1][0][-1]:.2f}{unit})."
        )
    mean_log = [PchipInterpolator(q, r).integrate(lo, hi) / (hi - lo) for q, r in curves]
    return float((np.exp(mean_log[1] - mean_log[0]) - 1) * 100)
