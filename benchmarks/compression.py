"""Are autoencoders good at compression? Real bits: aekit codecs against JPEG and WebP.

For each ``--rate-weights`` value there is an ``ImageAutoencoder(bottleneck="quantized",
rate_weight=w, hyperprior=8, ...)``: the first is fitted on Fashion-MNIST train from
scratch for ``--base-time`` seconds, each other starts from it (``warm_start``, the usual
practice of learned codecs) and is fine-tuned to its own weight for ``--max-time``
seconds. Each is measured on ``--n-test`` test images: bits per pixel of its real stream
(``compress``), mean per-image PSNR and SSIM of ``decompress``. Next to it on the same
images: JPEG (Pillow, quality 5-95) and WebP (Pillow, method 6, quality 5-95), on sheets
of 10 x 10 images so that headers are shared, and PCA whose scores are rounded to a step
and written by the same range coder (tables: the training scores' histogram) as a plain
baseline. BD-rate (Bjøntegaard, over the PSNR range two curves share) of the codecs
against JPEG and against WebP. Then outside its domain: the same codecs on the emoji
(``../shared/data/emoji-google-64``, on white, grey, brought to 28 x 28), with JPEG and
WebP on those. Then the time to compress and decompress all 10,000 test images with the
middle codec. Both settings go into one PNG (``--out``): PSNR above, SSIM below.

Targets: in its domain BD-rate <= -60 % against JPEG and <= -30 % against WebP;
compress + decompress of the 10,000 test images in under 30 s on 2 cores.

    python benchmarks/compression.py [--max-time 300] [--base-time 600]
        [--rate-weights 0.002,0.001,0.004,0.008] [--n-train 60000] [--n-test 1000]
        [--params JSON] [--out compression.png]
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from aekit import ImageAutoencoder
from aekit.codec.bitstream import pack, unpack
from aekit.codec.curves import plot_curves
from aekit.data import load_fashion_mnist
from aekit.images.rate_distortion import Point, bd_rate, jpeg_curve, measure, webp_curve

EMOJI = Path(__file__).resolve().parents[2] / "shared" / "data" / "emoji-google-64"
# A spatial code, 16 channels on the 7 x 7 grid of the residual network, under a
# hyperprior with an 8-channel side code on 4 x 4 (300 s, rate_weight 0.002: 0.921 bpp
# -> 29.70 dB against 0.955 -> 29.04 with a factorised density; a (32, 7, 7) code under
# the same hyperprior 1.008 -> 29.06). Batches of 16: four times the steps of 64 in the
# same time, at much the same images per second on 2 cores (300 s: 0.828 bpp -> 29.89 dB;
# 64: 0.921 -> 29.70; 32: 0.870 -> 30.06).
CODEC = dict(bottleneck="quantized", architecture="resconv", latent_shape=(16, 7, 7),
             latent_dim=16 * 7 * 7, hyperprior=8, batch_size=16)  # fmt: skip
PCA_STEPS = (0.4, 0.2, 0.1, 0.05, 0.025)  # quantisation steps of the PCA scores
PCA_COMPONENTS = 128
AXES = {"psnr": "PSNR (dB, mean per image)", "ssim": "SSIM (mean per image)"}  # the picture's rows


def fashion(split: str, n: int) -> np.ndarray:
    """The first ``n`` images of a split as uint8 (n, 28, 28, 1), the bytes of the files."""
    rows = load_fashion_mnist(split)[0][:n]
    return np.rint(rows * 255).astype(np.uint8).reshape(-1, 28, 28, 1)


def codec_point(codec: ImageAutoencoder, images: np.ndarray) -> Point:
    stream = codec.compress(images)
    return measure(codec.rate_weight, len(stream), images, codec.decompress(stream))


def pca_curve(train: np.ndarray, test: np.ndarray, steps=PCA_STEPS) -> list[Point]:
    """PCA scores rounded to ``step`` and range-coded under per-component histograms of
    the training scores (add-one smoothed, with an escape)."""
    flat = train.reshape(len(train), -1) / 255.0
    pca = PCA(PCA_COMPONENTS, random_state=0).fit(flat)
    train_scores = pca.transform(flat)
    test_scores = pca.transform(test.reshape(len(test), -1) / 255.0)
    points = []
    for step in steps:
        seen = np.rint(train_scores / step).astype(np.int64)
        tables = []
        for column in seen.T:
            lo, hi = column.min(), column.max()
            counts = np.bincount(column - lo, minlength=hi - lo + 1) + 1.0
            tables.append((int(lo), np.append(counts, 1.0) / (counts.sum() + 1)))
        codes = np.rint(test_scores / step).astype(np.int64)[:, :, None]
        stream = pack(codes, tables, b"pca-base")
        back = unpack(stream, tables, b"pca-base", 1)[:, :, 0] * step
        rebuilt = np.clip(np.rint(pca.inverse_transform(back) * 255), 0, 255)
        rebuilt = rebuilt.astype(np.uint8).reshape(test.shape)
        points.append(measure(step, len(stream), test, rebuilt))
    return points


def show(name: str, points: list[Point]) -> None:
    for p in points:
        print(f"  {name:22s} {p.setting:>8g} {p.bpp:7.3f} bpp {p.psnr:6.2f} dB  SSIM {p.ssim:.3f}")


def bd_rates(codecs: list[Point], curves: dict[str, list[Point]]) -> dict[str, float]:
    out = {}
    for name, points in curves.items():
        try:
            out[name] = bd_rate(points, codecs)
        except ValueError as exc:  # no shared PSNR range: say so, keep going
            print(f"  BD-rate against {name}: {exc}")
            out[name] = float("nan")
    return out


def plot(panels: dict[str, dict[str, list[Point]]], out: Path) -> None:
    plot_curves(panels, out, "bpp", "bits per pixel", AXES)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=float, default=300.0,
                        help="seconds of each fine-tune")  # fmt: skip
    parser.add_argument("--base-time", type=float,
                        help="seconds of the first codec (default: 2 x --max-time)")  # fmt: skip
    parser.add_argument("--rate-weights", default="0.002,0.001,0.004,0.008",
                        help="the first is trained from scratch, the others from it")  # fmt: skip
    parser.add_argument("--n-train", type=int, default=60_000)
    parser.add_argument("--n-test", type=int, default=1_000)
    parser.add_argument("--n-timed", type=int, default=10_000, help="images compress is timed on")
    parser.add_argument("--n-emoji", type=int, default=1_000)
    parser.add_argument("--emoji", type=Path, default=EMOJI, help="folder of the emoji PNGs")
    parser.add_argument("--params", default="{}", help="extra ImageAutoencoder params (JSON)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("compression.png"))
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    train, test = fashion("train", args.n_train), fashion("test", max(args.n_test, args.n_timed))
    timed, test = test[: args.n_timed], test[: args.n_test]
    params = {**CODEC, "max_time": args.max_time, "random_state": 0, "device": args.device,
              **json.loads(args.params)}  # fmt: skip
    codecs = []
    for weight in (float(w) for w in args.rate_weights.split(",")):
        start = time.perf_counter()
        if codecs:  # a fine-tune of the first codec to this rate weight
            codec = copy.deepcopy(codecs[0]).set_params(
                rate_weight=weight, max_time=args.max_time, warm_start=True
            )
        else:
            base = 2 * args.max_time if args.base_time is None else args.base_time
            codec = ImageAutoencoder(**{**params, "max_time": base}, rate_weight=weight)
        codec.fit(train)
        print(f"rate_weight {weight:g}: fit {time.perf_counter() - start:.0f}s, "
              f"{len(codec.history_['epoch'])} epochs")  # fmt: skip
        codecs.append(codec)
    codecs.sort(key=lambda c: c.rate_weight)  # the curve's order

    print(f"Fashion-MNIST test, {len(test)} images ({params})")
    inside = {"aekit": [codec_point(c, test) for c in codecs], "JPEG": jpeg_curve(test),
              "WebP": webp_curve(test), f"PCA-{PCA_COMPONENTS} + range coder":
              pca_curve(train[:10_000], test)}  # fmt: skip
    for name, points in inside.items():
        show(name, points)
    in_bd = bd_rates(inside["aekit"], {"JPEG": inside["JPEG"], "WebP": inside["WebP"]})

    emoji_files = sorted(str(p) for p in args.emoji.glob("*.png"))[: args.n_emoji]
    outside, out_bd = {}, {}
    if emoji_files:
        emoji = codecs[0].pixels(emoji_files)  # on white, grey, 28 x 28: the codec's rule
        print(f"emoji (outside the domain), {len(emoji)} images, grey 28 x 28 on white")
        outside = {"aekit (fit on Fashion)": [codec_point(c, emoji) for c in codecs],
                   "JPEG": jpeg_curve(emoji), "WebP": webp_curve(emoji)}  # fmt: skip
        for name, points in outside.items():
            show(name, points)
        out_bd = bd_rates(outside["aekit (fit on Fashion)"],
                          {"JPEG": outside["JPEG"], "WebP": outside["WebP"]})  # fmt: skip
    else:
        print(f"no emoji under {args.emoji}: the outside-the-domain part is left out")

    middle = codecs[len(codecs) // 2]
    start = time.perf_counter()
    stream = middle.compress(timed)
    packed = time.perf_counter() - start
    back = middle.decompress(stream)
    both = time.perf_counter() - start
    assert len(back) == len(timed)
    print(f"compress + decompress of {len(timed)} test images: {both:.1f}s "
          f"(compress {packed:.1f}s), {8 * len(stream) / timed[..., 0].size:.3f} bpp")  # fmt: skip

    for where, rates in (("in its domain", in_bd), ("outside it (emoji)", out_bd)):
        for name, value in rates.items():
            print(f"BD-rate of aekit against {name}, {where}: {value:+.1f} %")
    targets = {
        "BD-rate vs JPEG <= -60 %": in_bd["JPEG"] <= -60,
        "BD-rate vs WebP <= -30 %": in_bd["WebP"] <= -30,
        f"compress + decompress of {len(timed)} images < 30 s": both < 30,
    }
    for name, met in targets.items():
        print(f"target {name}: {'met' if met else 'NOT met'}")
    panels = {"Fashion-MNIST test (in its domain)": inside}
    if outside:
        panels["emoji, grey 28 x 28 (outside it)"] = outside
    plot(panels, args.out)
    return {"bd_jpeg": in_bd["JPEG"], "bd_webp": in_bd["WebP"], "seconds": both,
            **{f"outside_{k}": v for k, v in out_bd.items()}}  # fmt: skip


if __name__ == "__main__":
    main()
