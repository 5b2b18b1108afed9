"""Colour images as files: ``ImageAutoencoder(latent_dim=128, max_time=300)`` on the emoji.

Part 1, emoji (``../shared/data/emoji-google-64``, 3,786 RGBA PNGs of 64 x 64): a
seeded 90/10 split of the files, laid on white (RGB). Held-out PSNR and SSIM of
``ImageAutoencoder()`` (the conv network and the per-image log loss, ``loss="psnr"``),
of the same with ``loss="mse"``, with the residual ``resconv`` network, and of today's
two-layer conv network as ``Autoencoder(architecture="conv")`` trains it, each under
the same budget, next to PCA with 128 and 256 components on the same pixels. Targets:
PSNR >= PCA-256's; >= today's conv + 1 dB. Writes a grid of 16 held-out originals
over their reconstructions (by the first model listed).

Part 2, Fashion-MNIST (``--fashion``): the IDX images written out as a PNG folder;
``ImageAutoencoder(latent_dim=32, max_time=60)`` on it (the default, ``loss="mse"``
and resconv) against ``Autoencoder`` (dense and conv) on the IDX arrays under the same
budget, by test MSE and mean per-image PSNR. Targets: test MSE within 5 % of the dense
Autoencoder's (the same loss, ``loss="mse"``: the PNG folder loses nothing against the
arrays), and at least as good as today's conv network (``Autoencoder(architecture=
"conv")``).

    python benchmarks/images.py [--max-time 300] [--models default,mse,resconv,today]
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
from aekit.images.displays import png_bytes
from aekit.images.input import ImageSpec, sources, stack
from aekit.images.quality import psnr, ssim
from aekit.plotting.grids import sheet

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


# The emoji models: name -> (estimator class, its parameters). "today's conv" is the
# two-layer conv network as Autoencoder trained it before ImageAutoencoder (MSE,
# batches of 256); "ImageAutoencoder(loss='mse')" is the same network with the
# image defaults but the plain loss, to show what the loss alone is worth.
MODELS = {
    "default": ("ImageAutoencoder()", ImageAutoencoder, {}),
    "mse": ("ImageAutoencoder(loss='mse')", ImageAutoencoder, {"loss": "mse"}),
    "resconv": ("ImageAutoencoder(resconv)", ImageAutoencoder, {"architecture": "resconv"}),
    "today": ("Autoencoder(conv), today's", Autoencoder, {"architecture": "conv"}),
}


def fit_and_score(
    model: Autoencoder, train: np.ndarray, test: np.ndarray
) -> tuple[dict, np.ndarray]:
    """Fit on uint8 (n, H, W, C) pixels; held-out PSNR / SSIM of the 8-bit reconstructions."""
    start = time.perf_counter()
    model.fit(train)
    fit = time.perf_counter() - start
    rebuilt = model.reconstruct(test)  # uint8 pixels come back as uint8 from both
    p, s = quality(test, rebuilt)
    epochs = model.history_["epoch"][-1] if model.history_["epoch"] else 0
    seen = epochs * int(len(train) * (1 - model.validation_fraction))  # samples trained on
    rate = seen / max(model.training_time_, 1e-9)
    figures = {"psnr": p, "ssim": s, "fit_s": fit, "epochs": epochs, "samples_per_s": rate}
    return figures, rebuilt


def emoji(args: argparse.Namespace) -> dict:
    train_files, test_files = split_files(Path(args.data), limit=args.limit)
    print(f"emoji: {len(train_files)} to fit, {len(test_files)} held out; torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads, "
          f"device {args.device}")  # fmt: skip
    # The pixels every model sees, read once by ImageAutoencoder's rule (on white, RGB).
    items = sources(train_files)
    spec, _ = ImageSpec.fit(items, None, "auto", "crop", "white")
    train, test = stack(items, spec), stack(sources(test_files), spec)
    common = dict(latent_dim=args.latent_dim, max_time=args.max_time, random_state=0,
                  device=args.device)  # fmt: skip
    rows, pictures = {}, {}
    for key in args.models.split(","):
        name, cls, params = MODELS[key]
        rows[name], pictures[name] = fit_and_score(cls(**common, **params), train, test)
    for k in (128, 256):
        p, s = pca_quality(train, test, k)
        rows[f"PCA {k}"] = {"psnr": p, "ssim": s}
    print(f"{'model':28s} {'PSNR dB':>8s} {'SSIM':>6s} {'epochs':>6s} {'samples/s':>9s}")
    for name, r in rows.items():
        extra = f" {r['epochs']:6d} {r['samples_per_s']:9.0f}" if "epochs" in r else ""
        print(f"{name:28s} {r['psnr']:8.2f} {r['ssim']:6.3f}{extra}")
    ours = MODELS["default"][0]
    if ours in rows:
        met = rows[ours]["psnr"] >= rows["PCA 256"]["psnr"]
        print(f"target {ours} PSNR >= PCA-256: {'met' if met else 'NOT met'}")
        for key in ("today", "mse"):
            if MODELS[key][0] in rows:
                gain = rows[ours]["psnr"] - rows[MODELS[key][0]]["psnr"]
                print(f"target {ours} >= {MODELS[key][0]} + 1 dB: "
                      f"{'met' if gain >= 1 else 'NOT met'} ({gain:+.2f} dB)")  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    first = next(iter(pictures.values()), None)
    if first is not None:
        both = np.concatenate([sheet(test[:16], 16), sheet(first[:16], 16)])
        (out / "emoji_heldout.png").write_bytes(png_bytes(both))
        print(f"grid of 16 held-out originals over reconstructions ({next(iter(pictures))}): "
              f"{out / 'emoji_heldout.png'}")  # fmt: skip
    return rows


def mse_and_psnr(errors: np.ndarray) -> tuple[float, float]:
    """Mean squared error and mean per-image PSNR (dB) from per-image MSEs on [0, 1]."""
    errors = np.asarray(errors, dtype=np.float64)
    return float(errors.mean()), float(np.mean(10 * np.log10(1 / np.maximum(errors, 1e-10))))


# Fashion-MNIST's ImageAutoencoder rows: the default (loss "psnr"), the same with the
# loss the MSE target measures, and the residual network.
FASHION_IMAGE = {
    "conv": {},
    "conv, loss='mse'": {"loss": "mse"},
    "resconv": {"architecture": "resconv"},
}


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
        errors = np.mean((ae.inverse_transform(ae.transform(X_test)) - X_test) ** 2, axis=1)
        rows[f"Autoencoder {arch}, IDX arrays"] = mse_and_psnr(errors)
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for name, X in (("train", X_train), ("test", X_test)):
            folder = Path(tmp) / name
            folder.mkdir()
            for i, row in enumerate(np.rint(X * 255).astype(np.uint8).reshape(-1, 28, 28)):
                Image.fromarray(row).save(folder / f"{i:05d}.png")
            folders[name] = str(folder)
        for name, params in FASHION_IMAGE.items():
            model = ImageAutoencoder(**common, **params).fit(folders["train"])
            rows[f"ImageAutoencoder {name}, PNG folder"] = mse_and_psnr(
                model.reconstruction_error(folders["test"])
            )
    for name, (mse, db) in rows.items():
        print(f"fashion-mnist latent 32, {args.fashion_time:g}s: {name:44s} "
              f"test MSE {mse:.5f}  mean PSNR {db:.2f} dB")  # fmt: skip
    dense, today = rows["Autoencoder dense, IDX arrays"][0], rows["Autoencoder conv, IDX arrays"][0]
    for name in FASHION_IMAGE:
        ours = rows[f"ImageAutoencoder {name}, PNG folder"][0]
        print(f"ImageAutoencoder {name}: within 5 % of Autoencoder dense on IDX: "
              f"{'met' if ours <= 1.05 * dense else 'NOT met'} "
              f"({100 * (ours / dense - 1):+.1f} %); "
              f"at least as good as today's conv: {'met' if ours <= today else 'NOT met'} "
              f"({100 * (ours / today - 1):+.1f} % MSE)")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(EMOJI))
    parser.add_argument("--max-time", type=float, default=300.0)
    parser.add_argument("--latent-dim", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="use this many images at most")
    parser.add_argument("--models", default="default,mse,resconv,today",
                        help=f"emoji models to fit, of {', '.join(MODELS)}; the first is "
                        "drawn in the grid")  # fmt: skip
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
