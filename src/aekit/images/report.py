"""The report's part for images: MSE, PSNR and SSIM next to PCA at the same width,
originals over reconstructions in colour, the worst-reconstructed images, the latent
map, samples of a variational model and a detector's scores."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..modality import autoencoder_of
from ..plotting.grids import sheet
from ..report.page import figure
from ..report.parts import PROBE, Parts, curves, latent, pca, probe
from .quality import psnr, ssim
from .rate_distortion import Point, jpeg_curve, measure, webp_curve


def _show(image: np.ndarray) -> Any:
    def draw(ax: Any) -> None:
        ax.imshow(image[:, :, 0] if image.shape[2] == 1 else image, cmap="gray", vmin=0,
                  vmax=255, interpolation="nearest")  # fmt: skip
        ax.set_axis_off()

    return draw


def _pairs(original: np.ndarray, rebuilt: np.ndarray, columns: int = 12) -> np.ndarray:
    """Originals in the top row of each pair of rows, reconstructions under them."""
    rows = []
    for start in range(0, len(original), columns):
        a, b = original[start : start + columns], rebuilt[start : start + columns]
        rows += [sheet(a, columns), sheet(b, columns)[2:]]
    return np.concatenate(rows)


def _rate_distortion(original: np.ndarray, codec: Point) -> Any:
    """The codec's point next to JPEG's and WebP's curves on the same images."""
    curves = {"JPEG": jpeg_curve(original), "WebP (method 6)": webp_curve(original)}

    def draw(ax: Any) -> None:
        for name, points in curves.items():
            ax.plot([p.bpp for p in points], [p.psnr for p in points], "o-", ms=3, label=name)
        ax.plot([codec.bpp], [codec.psnr], "k*", ms=12,
                label=f"this codec (rate_weight {codec.setting:g})")  # fmt: skip
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel("PSNR (dB, mean per image)")
        ax.grid(alpha=0.3)
        ax.legend()

    return figure(draw, "Rate and distortion: this codec's real bits (compress) against "
                  "JPEG and WebP at qualities 5-95 on the same images, saved as sheets of "
                  "10 x 10 so they share their headers.")  # fmt: skip


def report_parts(estimator: Any, images: Any, labels: Any) -> Parts:
    """An ImageAutoencoder (or a detector around one) on ``images``."""
    model = autoencoder_of(estimator)
    k = int(model.latent_dim)
    original = model.pixels(images)
    codes = model.transform(original)
    rebuilt = model.inverse_transform(codes)
    flat = original.reshape(len(original), -1).astype(np.float64) / 255
    pca_codes, pca_flat = pca(flat, k)
    pca_rebuilt = np.clip(np.rint(pca_flat * 255), 0, 255).astype(np.uint8).reshape(original.shape)
    parts = Parts(baseline=f"PCA, {k} components (fitted on these images)")
    errors = np.square(rebuilt / 255.0 - original / 255.0).reshape(len(original), -1).mean(1)
    pca_errors = np.square(pca_rebuilt / 255.0 - flat.reshape(original.shape)).mean()
    parts.metrics += [
        ("MSE (pixels in [0, 1])", float(errors.mean()), float(pca_errors)),
        ("PSNR (dB, mean per image)", float(np.mean(psnr(original, rebuilt))),
         float(np.mean(psnr(original, pca_rebuilt)))),
        ("SSIM (mean per image)", float(np.mean(ssim(original, rebuilt))),
         float(np.mean(ssim(original, pca_rebuilt)))),
    ]  # fmt: skip
    if model.has_prior:
        parts.metrics.append(
            ("ELBO per image (nats, higher is better)", model.score(original), None)
        )
    if model.bottleneck == "quantized":
        stream = model.compress(original)
        point = measure(model.rate_weight, len(stream), original, model.decompress(stream))
        parts.metrics.append(("bits per pixel (compress)", point.bpp, None))
    detector = hasattr(estimator, "offset_")
    if detector:
        flagged = float(np.mean(estimator.predict(images) == -1))
        parts.metrics.append(("share flagged as outliers", flagged, None))
    parts.metrics.append((PROBE, probe(codes, labels), probe(pca_codes, labels)))

    n = min(24, len(original))
    parts.figures.append(curves(estimator))
    parts.figures.append(figure(_show(_pairs(original[:n], rebuilt[:n])),
                                "Originals (upper rows) over their reconstructions.",
                                size=(8, 3.5)))  # fmt: skip
    worst = np.argsort(errors)[::-1][: min(12, len(original))]
    parts.figures.append(figure(
        _show(_pairs(original[worst], rebuilt[worst])),
        "The worst-reconstructed images (highest MSE first), over their reconstructions.",
        size=(8, 2),
    ))  # fmt: skip
    parts.figures.append(latent(codes, labels))
    if model.bottleneck == "quantized":
        parts.figures.append(_rate_distortion(original, point))
    if model.has_prior:
        drawn = model.sample(36, random_state=0)
        parts.figures.append(figure(_show(sheet(drawn, 6)), "36 images decoded from draws of "
                                    "the prior N(0, I).", size=(5, 5)))  # fmt: skip
    if detector:
        from ..plotting import AnomalyScoreDisplay

        known = labels if labels is not None and set(np.unique(labels)) <= {1, -1} else None
        parts.figures.append(figure(
            lambda ax: AnomalyScoreDisplay.from_estimator(estimator, original, known, ax=ax),
            "Reconstruction errors and the detector's threshold.",
        ))  # fmt: skip
    return parts
