"""Picture quality, per image: PSNR and SSIM (Wang et al. 2004, the usual constants)."""

from __future__ import annotations

import numpy as np


def _unit(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return images.astype(np.float64) / scale


def psnr(original: np.ndarray, rebuilt: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio of each image in dB (peak 1 for [0, 1], 255 for uint8);
    inf for a perfect copy."""
    a, b = _unit(original), _unit(rebuilt)
    mse = np.square(a - b).reshape(len(a), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        return 10 * np.log10(1.0 / mse)


def ssim(original: np.ndarray, rebuilt: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """Structural similarity of each ``(n, H, W[, C])`` image: local means, variances and
    covariance under a Gaussian window (sigma 1.5, 11 x 11), averaged over pixels and
    channels."""
    from scipy.ndimage import gaussian_filter

    a, b = _unit(original), _unit(rebuilt)
    if a.ndim == 3:
        a, b = a[..., None], b[..., None]
    c1, c2 = 0.01**2, 0.03**2
    window = (0, sigma, sigma, 0)  # over height and width only

    def blur(x: np.ndarray) -> np.ndarray:
        return gaussian_filter(x, window, truncate=3.5, mode="reflect")

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return index.reshape(len(a), -1).mean(axis=1)
