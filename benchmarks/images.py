"""Colour images as files: ``ImageAutoencoder(latent_dim=128, max_time=300)`` on the emoji.

Part 1, emoji (``../shared/data/emoji-google-64``, 3,786 RGBA PNGs of 64 x 64): a
seeded 90/10 split of the files, laid on white (RGB). Held-out PSNR and SSIM of the
ImageAutoencoder with each network (``conv``, the default, and the residual ``resconv``)
next to PCA with 128 and 256 components on the same pixels. Targets: PSNR >= PCA-256's;
resconv >= conv + 1 dB. Writes a grid of 16 held-out originals over their
reconstructions (by the first network listed).

Part 2, Fashion-MNIST (``--fashion``): the IDX images written out as a PNG folder;
``ImageAutoencoder(latent_dim=32, max_time=60)`` (conv and resconv) on it against
``Autoencoder`` (dense and conv) on the IDX arrays under the same budget. Targets: test
MSE within 5 % of the dense Autoencoder's; resconv at least as good as conv.

    python benchmarks/images.py [--max-time 300] [--architectures conv,resconv]
        [--fashion | --fashion-only] [--out images-bench] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from aekit import Autoencoder, ImageAutoencoder
from aekit.images.pictures import grid, png_bytes
from aekit.images.quality import psnr, ssim

EMOJI = Path(__file__).resolve().parents[2] / "shared" / "data" / "emoji-google-64"


def split_files(folder: Path, seed: int = 0, limit: int | None = None) -> tuple[list, list]:
    files = sorted(str(p) for p in folder.glob("*.png"))
    order = np.random.RandomState(seed).permutation(len(files))
    files = [files[i] for i in order[:limit]]
    n_test = max(1, len(files) // 10)
    return files[n_test:], files[:n_test]


def quality(original: np.ndarray, rebuilt: np.ndarray) -> tuple[float, float]:
    return float(np.mean(psnr(original, rebuilt))), float(np.mean(ssim(original, rebuilt)))


def pca_quality(train: np.ndarray, test: np.ndarray, k: int) -> tuple[float, float]:
    flat = train.reshape(len(train), -1) / 255.0
    pca = PCA(n_components=min(k, *flat.shape), random_state=0).fit(flat)
    rebuilt = pca.inverse_transform(pca.transform(test.reshape(len(test), -1) / 255.0))
    return quality(
        test, np.clip(np.rint(rebuilt * 255), 0, 255).astype(np.uint8).reshape(test.shape)
    )


def fit_and_score(model: ImageAutoencoder, train: list, test: list) -> tuple[dict, np.ndarray]:
    start = time.perf_counter()
    model.fit(train)
    fit = time.perf_counter() - start
    original = model.pixels(test)
    rebuilt = model.reconstruct(original)
    p, s = quality(original, rebuilt)
    epochs = model.history_["epoch"][-1] if model.history_["epoch"] else 0
    seen = epochs * int(len(train) * (1 - model.validation_fraction))  # samples trained on
    rate = seen / max(model.training_time_, 1e-9)
    figures = {"psnr": p, "ssim": s, "fit_s": fit, "epochs": epochs, "samples_per_s": rate}
    return figures, rebuilt


def emoji(args: argparse.Namespace) -> dict:
    train, test = split_files(Path(args.data), limit=args.limit)
    print(f"emoji: {len(train)} to fit, {len(test)} held out; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {args.device}")  # fmt: skip
    common = dict(latent_dim=args.latent_dim, max_time=args.max_time, random_state=0,
                  device=args.device)  # fmt: skip
    rows, rebuilt = {}, None
    for arch in args.architectures.split(","):
        model = ImageAutoencoder(architecture=arch, **common)
        rows[arch], out = fit_and_score(model, train, test)
        rebuilt = out if rebuilt is None else rebuilt  # the first one's pictures
        original, pixels = model.pixels(test), model.pixels(train)
    for k in (128, 256):
        p, s = pca_quality(pixels, original, k)
        rows[f"PCA {k}"] = {"psnr": p, "ssim": s}
    print(f"{'model':22s} {'PSNR dB':>8s} {'SSIM':>6s} {'epochs':>6s} {'samples/s':>9s}")
    for name, r in rows.items():
        extra = f" {r['epochs']:6d} {r['samples_per_s']:9.0f}" if "epochs" in r else ""
        print(f"{name:22s} {r['psnr']:8.2f} {r['ssim']:6.3f}{extra}")
    default = ImageAutoencoder().architecture
    if default in rows:
        met = rows[default]["psnr"] >= rows["PCA 256"]["psnr"]
        verdict = "met" if met else "NOT met"
        print(f"target ImageAutoencoder() ({default}) PSNR >= PCA-256: {verdict}")
    if {"resconv", "conv"} <= set(rows):
        gain = rows["resconv"]["psnr"] - rows["conv"]["psnr"]
        print(f"target resconv >= two-layer conv + 1 dB: {'met' if gain >= 1 else 'NOT met'} "
              f"({gain:+.2f} dB)")  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sheet = np.concatenate([grid(original[:16], 16), grid(rebuilt[:16], 16)])
    (out / "emoji_heldout.png").write_bytes(png_bytes(sheet))
    print(f"grid of 16 held-out originals over reconstructions: {out / 'emoji_heldout.png'}")
    return rows


def fashion(args: argparse.Namespace) -> dict:
    from PIL import Image

    from aekit.data import load_fashion_mnist

    X_train, _ = load_fashion_mnist("train")
    X_test, _ = load_fashion_mnist("test")
    X_train, X_test = X_train[: args.limit], X_test[: args.limit]
    common = dict(latent_dim=32, max_time=args.fashion_time, random_state=0, device=args.device)
    rows = {}
    for arch in ("dense", "conv"):
        ae = Autoencoder(architecture=arch, **common).fit(X_train)
        rows[f"Autoencoder {arch}, IDX arrays"] = float(
            np.mean((ae.inverse_transform(ae.transform(X_test)) - X_test) ** 2)
        )
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for name, X in (("train", X_train), ("test", X_test)):
            folder = Path(tmp) / name
            folder.mkdir()
            for i, row in enumerate(np.rint(X * 255).astype(np.uint8).reshape(-1, 28, 28)):
                Image.fromarray(row).save(folder / f"{i:05d}.png")
            folders[name] = str(folder)
        for arch in ("resconv", "conv"):
            model = ImageAutoencoder(architecture=arch, **common).fit(folders["train"])
            rows[f"ImageAutoencoder {arch}, PNG folder"] = float(
                np.mean(model.reconstruction_error(folders["test"]))
            )
    for name, value in rows.items():
        print(f"fashion-mnist latent 32, {args.fashion_time:g}s: {name:36s} test MSE {value:.5f}")
    best = rows["Autoencoder dense, IDX arrays"]
    for arch in ("conv", "resconv"):
        ours = rows[f"ImageAutoencoder {arch}, PNG folder"]
        print(
            f"ImageAutoencoder {arch} within 5 % of Autoencoder on IDX: "
            f"{'met' if ours <= 1.05 * best else 'NOT met'} ({100 * (ours / best - 1):+.1f} %)"
        )
    gap = rows["ImageAutoencoder resconv, PNG folder"] / rows["ImageAutoencoder conv, PNG folder"]
    print(f"resconv at least as good as conv: {'met' if gap <= 1 else 'NOT met'} "
          f"({100 * (gap - 1):+.1f} % MSE)")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(EMOJI))
    parser.add_argument("--max-time", type=float, default=300.0)
    parser.add_argument("--latent-dim", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="use this many images at most")
    parser.add_argument("--architectures", default="conv,resconv",
                        help="networks to fit, the first drawn in the grid")  # fmt: skip
    parser.add_argument("--fashion", action="store_true", help="run part 2 too")
    parser.add_argument("--fashion-only", action="store_true")
    parser.add_argument("--fashion-time", type=float, default=60.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="images-bench")
    args = parser.parse_args(argv)
    if not args.fashion_only:
        emoji(args)
    if args.fashion or args.fashion_only:
        fashion(args)


if __name__ == "__main__":
    main()
