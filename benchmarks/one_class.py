"""One-class Fashion-MNIST: detect the other nine classes by reconstruction.

For each class: fit on that class's training images only, score all 10k test images,
and measure ROC AUC with the class as "normal" and the other classes as anomalies.
Compares, in the same run, ``aekit.AnomalyDetector`` (defaults: on images the residual
is averaged over 3x3 neighbourhoods before squaring) with a PCA reconstruction-error
detector of the same dimension, scored both per pixel and with the same 3x3 window,
and, when PyOD is installed, PyOD's ``AutoEncoder``. Target: aekit's mean AUC >= 0.93
and above the others.

    python benchmarks/one_class.py [--max-time 20] [--latent-dim 32] [--window auto]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

from aekit import AnomalyDetector, Autoencoder
from aekit.data import load_fashion_mnist

CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip


def aekit_scores(X: np.ndarray, X_test: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    model = Autoencoder(
        latent_dim=args.latent_dim,
        architecture=args.architecture,
        noise=args.noise,
        max_time=args.max_time,
        random_state=args.seed,
    )
    window = args.window if args.window == "auto" else int(args.window)
    return AnomalyDetector(model, pixel_window=window).fit(X).score_samples(X_test)


def pca_scores(X: np.ndarray, X_test: np.ndarray, args: argparse.Namespace, window=1):
    pca = PCA(n_components=args.latent_dim, random_state=0).fit(X)
    residual = (X_test - pca.inverse_transform(pca.transform(X_test))).reshape(-1, 28, 28)
    windows = np.lib.stride_tricks.sliding_window_view(residual, (window, window), axis=(1, 2))
    return -np.mean(windows.mean(axis=(-2, -1)) ** 2, axis=(1, 2))


def pca_window_scores(X: np.ndarray, X_test: np.ndarray, args: argparse.Namespace):
    return pca_scores(X, X_test, args, window=3)


def pyod_scores(X: np.ndarray, X_test: np.ndarray, args: argparse.Namespace) -> np.ndarray:
    from pyod.models.auto_encoder import AutoEncoder

    # The same size as aekit's default network: 784 -> 512 -> latent -> 512 -> 784.
    detector = AutoEncoder(hidden_neuron_list=[512, args.latent_dim, 512], epoch_num=10)
    detector.fit(X)
    return -detector.decision_function(X_test)  # PyOD: higher is more abnormal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=float, default=20.0, help="seconds per class")
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--architecture", default="dense", choices=["dense", "conv"])
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--window", default="auto", help="AnomalyDetector window: auto or N")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X_train, y_train = load_fashion_mnist("train")
    X_test, y_test = load_fashion_mnist("test")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {vars(args)}")
    detectors = {
        "aekit": aekit_scores,
        f"PCA-{args.latent_dim}": pca_scores,
        f"PCA-{args.latent_dim} 3x3": pca_window_scores,
    }
    try:
        import pyod  # noqa: F401

        detectors["PyOD AutoEncoder"] = pyod_scores
    except ImportError:
        print("PyOD is not installed: its column is left out")
    print(f"{'class':12s}" + "".join(f"{name:>18s}" for name in detectors) + f"{'aekit s':>9s}")
    aucs: dict[str, list[float]] = {name: [] for name in detectors}
    for c, label in enumerate(CLASSES):
        row, seconds = f"{label:12s}", 0.0
        for name, scores in detectors.items():
            start = time.perf_counter()
            s = scores(X_train[y_train == c], X_test, args)
            if name == "aekit":
                seconds = time.perf_counter() - start
            aucs[name].append(roc_auc_score(y_test == c, s))
            row += f"{aucs[name][-1]:18.4f}"
        print(row + f"{seconds:9.1f}", flush=True)
    means = {name: float(np.mean(v)) for name, v in aucs.items()}
    print(f"{'mean':12s}" + "".join(f"{m:18.4f}" for m in means.values()))
    others = [m for name, m in means.items() if name != "aekit"]
    ok = means["aekit"] >= 0.93 and all(means["aekit"] > m for m in others)
    print(f"target mean AUC >= 0.93 and above the others: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
