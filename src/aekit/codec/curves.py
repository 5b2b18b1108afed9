"""Comparing rate-quality curves of codecs: the Bjøntegaard delta rate, and the
picture of several codecs' curves side by side (the compression benchmarks')."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def plot_curves(panels: dict[str, dict[str, list[Any]]], out: Path, rate: str, xlabel: str,
                qualities: dict[str, str]) -> None:  # fmt: skip
    """One column per panel (a title and its codecs' points), one row per quality (the
    points' attribute and its label), the points' ``rate`` attribute across; a PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6 * len(panels), 4.5 * len(qualities)))
    axes = fig.subplots(len(qualities), len(panels), squeeze=False)
    for column, (title, codecs) in enumerate(panels.items()):
        for ax, (what, label) in zip(axes[:, column], qualities.items(), strict=True):
            for name, points in codecs.items():
                ax.plot([getattr(p, rate) for p in points], [getattr(p, what) for p in points],
                        "o-", ms=3, label=name)  # fmt: skip
            ax.set(title=title, xlabel=xlabel, ylabel=label)
            ax.grid(alpha=0.3)
            ax.legend()
    fig.savefig(out, dpi=100, bbox_inches="tight")
    print(f"wrote {out}")
