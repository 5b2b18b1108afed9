"""Good defaults: ``Autoencoder(latent_dim=32, max_time=60, random_state=0)`` on Fashion-MNIST.

Trains on the 60k training images (rows in [0, 1]) with nothing but a 60-second budget
and prints the test MSE next to PCA with 32 and 100 components. Target: test MSE
<= 0.0075 and below PCA-100.

    python benchmarks/fashion_mnist_quality.py [--max-time 60]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.decomposition import PCA

from aekit import Autoencoder
from aekit.data import load_fashion_mnist


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a - b) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=float, default=60.0)
    args = parser.parse_args()
    X_train, _ = load_fashion_mnist("train")
    X_test, _ = load_fashion_mnist("test")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    start = time.perf_counter()
    ae = Autoencoder(latent_dim=32, max_time=args.max_time, random_state=0).fit(X_train)
    fit_time = time.perf_counter() - start
    ae_mse = mse(ae.inverse_transform(ae.transform(X_test)), X_test)
    print(
        f"autoencoder latent 32: test MSE {ae_mse:.5f}   fit {fit_time:.1f}s "
        f"({len(ae.history_['epoch'])} epochs)"
    )
    results = {}
    for k in (32, 100):
        pca = PCA(n_components=k, random_state=0).fit(X_train)
        results[k] = mse(pca.inverse_transform(pca.transform(X_test)), X_test)
        print(f"PCA {k:3d} components:  test MSE {results[k]:.5f}")
    ok = ae_mse <= 0.0075 and ae_mse < results[100]
    print(f"target test MSE <= 0.0075 and below PCA-100: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
