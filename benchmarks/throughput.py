"""Throughput of ``Autoencoder.fit`` against a bare PyTorch loop on the same network.

Network dense 784-512-256-32 (ReLU) with a mirrored decoder, sigmoid output, MSE loss,
batch 256, Adam at 1e-3, no validation, on Fashion-MNIST's 60k training images. Each
round times one whole ``fit`` and one whole bare loop (rotating which goes first)
and the script prints the median ratio of samples per second (aekit / bare).

The bare loop is what one writes by hand: tensor indexing with a shuffled permutation,
``torch.optim.Adam`` with its defaults. A second bare loop with ``fused=True`` is
timed too, to show how much of the difference is the optimiser kernel.

    python benchmarks/throughput.py [--epochs 1] [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn

from aekit import Autoencoder
from aekit.data import load_fashion_mnist


def bare_network() -> nn.Module:
    return nn.Sequential(
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(512, 256),
        nn.ReLU(),
        nn.Linear(256, 32),
        nn.Linear(32, 256),
        nn.ReLU(),
        nn.Linear(256, 512),
        nn.ReLU(),
        nn.Linear(512, 784),
        nn.Sigmoid(),
    )


def bare_fit(X_np: np.ndarray, epochs: int, fused: bool | None = None) -> float:
    start = time.perf_counter()
    torch.manual_seed(0)
    X = torch.from_numpy(X_np)
    model = bare_network()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    for _ in range(epochs):
        perm = torch.randperm(len(X))
        for i in range(0, len(X), 256):
            xb = X[perm[i : i + 256]]
            loss = nn.functional.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return time.perf_counter() - start


def aekit_fit(X_np: np.ndarray, epochs: int) -> float:
    start = time.perf_counter()
    Autoencoder(
        latent_dim=32,
        hidden_dims=(512, 256),
        activation="relu",  # the bare network's; aekit's default is SiLU
        batch_size=256,
        learning_rate=1e-3,
        epochs=epochs,
        validation_fraction=0.0,
        loss="mse",
        random_state=0,
        device="cpu",
    ).fit(X_np)
    return time.perf_counter() - start


RUNNERS = [
    ("aekit", aekit_fit),
    ("bare", bare_fit),
    ("bare-fused", lambda X, epochs: bare_fit(X, epochs, fused=True)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    X, _ = load_fashion_mnist("train")
    n = len(X) * args.epochs
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(X)} samples x "
        f"{args.epochs} epochs per fit"
    )
    aekit_fit(X[:2048], 1)  # warm-up: first-call costs belong to neither side
    bare_fit(X[:2048], 1)
    ratios, fused_ratios, rows = [], [], []
    for r in range(args.rounds):
        # Rotate who goes first: position in a round must not favour anyone.
        order = RUNNERS[r % 3 :] + RUNNERS[: r % 3]
        times = {name: fn(X, args.epochs) for name, fn in order}
        ratios.append(times["bare"] / times["aekit"])
        fused_ratios.append(times["bare-fused"] / times["aekit"])
        rows.append(times)
        print(
            f"round {r + 1}: aekit {n / times['aekit']:8.0f} samples/s   "
            f"bare {n / times['bare']:8.0f}   bare+fused Adam {n / times['bare-fused']:8.0f}   "
            f"ratio {ratios[-1]:.3f}",
            flush=True,
        )
    print(
        f"median throughput ratio aekit / bare PyTorch loop: {statistics.median(ratios):.3f} "
        f"(target >= 1.0)"
    )
    print(f"median ratio aekit / bare loop with fused Adam: {statistics.median(fused_ratios):.3f}")


if __name__ == "__main__":
    main()
