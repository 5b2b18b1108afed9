"""Throughput of ``Autoencoder.fit`` against a bare PyTorch loop on the same network.

Network dense 784-512-256-32 (ReLU) with a mirrored decoder, sigmoid output, MSE loss,
batch 256, Adam at 1e-3, no validation, on Fashion-MNIST's 60k training images. Each
round times one whole ``fit`` and one whole bare loop (rotating which goes first)
and the script prints the median ratio of samples per second (aekit / bare).

The bare loop is what one writes by hand: tensor indexing with a shuffled permutation,
``torch.optim.Adam`` with its defaults. A second bare loop with ``fused=True`` is
timed too, to show how much of the difference is the optimiser kernel.

A second part prints the throughput table: training samples/s of the dense and the
conv model (32-64 channel stride-2 convolutions, ReLU, code 32) and ``transform``
samples/s of both, each next to a bare PyTorch loop on the same network measured in
the same run, as ratios (medians over ``--table-rounds``; the conv rows train on the
first ``--conv-samples`` images to keep the run short on a CPU).

    python benchmarks/throughput.py [--epochs 1] [--rounds 15] [--table-rounds 3]
    python benchmarks/throughput.py --rounds 0 --device cuda --precision bf16   # GPU table
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


def bare_conv_network() -> nn.Module:
    """aekit's default conv network for 28x28 images, written out by hand (ReLU)."""
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 32, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 32),
        nn.Linear(32, 64 * 7 * 7),
        nn.Unflatten(1, (64, 7, 7)),
        nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1),
        nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1),
        nn.Flatten(),
        nn.Sigmoid(),
    )


CODE_LAYER = {"dense": 5, "conv": 7}  # layers of the bare networks up to the code


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bare_fit(
    X_np: np.ndarray,
    epochs: int,
    fused: bool | None = None,
    kind: str = "dense",
    device: str = "cpu",
    precision: str = "fp32",
) -> float:
    start = time.perf_counter()
    torch.manual_seed(0)
    X = torch.from_numpy(X_np).to(device)
    model = (bare_network() if kind == "dense" else bare_conv_network()).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    bf16 = precision == "bf16"
    for _ in range(epochs):
        perm = torch.randperm(len(X), device=device)
        for i in range(0, len(X), 256):
            xb = X[perm[i : i + 256]]
            with torch.autocast(X.device.type, dtype=torch.bfloat16, enabled=bf16):
                loss = nn.functional.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    _sync(device)
    return time.perf_counter() - start


def aekit_model(
    epochs: int, kind: str = "dense", device: str = "cpu", precision: str = "fp32"
) -> Autoencoder:
    return Autoencoder(
        latent_dim=32,
        architecture=kind,
        hidden_dims=(512, 256) if kind == "dense" else (32, 64),
        image_shape=None if kind == "dense" else (28, 28),
        activation="relu",  # the bare network's; aekit's default is SiLU
        batch_size=256,
        learning_rate=1e-3,
        epochs=epochs,
        validation_fraction=0.0,
        loss="mse",
        random_state=0,
        device=device,
        precision=precision,
    )


def aekit_fit(X_np: np.ndarray, epochs: int, kind: str = "dense", **on: str) -> float:
    start = time.perf_counter()
    aekit_model(epochs, kind, **on).fit(X_np)
    _sync(on.get("device", "cpu"))
    return time.perf_counter() - start


def bare_transform(model: nn.Module, X_np: np.ndarray, kind: str, device: str = "cpu") -> float:
    """Seconds to encode ``X_np`` with the bare network's encoder, 4096 rows at a time
    (from host memory to codes in host memory, as ``transform`` does)."""
    encoder = model[: CODE_LAYER[kind]].to(device).eval()
    start = time.perf_counter()
    with torch.inference_mode():
        codes = [
            encoder(torch.from_numpy(X_np[i : i + 4096]).to(device)).cpu()
            for i in range(0, len(X_np), 4096)
        ]
        torch.cat(codes).numpy()
    return time.perf_counter() - start


def aekit_transform(model: Autoencoder, X_np: np.ndarray) -> float:
    start = time.perf_counter()
    model.transform(X_np)
    return time.perf_counter() - start


def table(
    X: np.ndarray, rounds: int, conv_samples: int, device: str = "cpu", precision: str = "fp32"
) -> None:
    """Training and transform samples/s, aekit next to the bare loop, as ratios."""
    on = {"device": device, "precision": precision}
    print(f"table on {device}, {precision}")
    rows = []
    for kind in ("dense", "conv"):
        data = X if kind == "dense" else X[:conv_samples]
        fits = [(aekit_fit(data, 1, kind, **on), bare_fit(data, 1, kind=kind, **on))
                for _ in range(rounds)]  # fmt: skip
        rows.append((f"{kind} fit", len(data), fits))
        fitted = aekit_model(1, kind, **on).fit(X[:2048])
        bare = bare_network() if kind == "dense" else bare_conv_network()
        codes = [(aekit_transform(fitted, X), bare_transform(bare, X, kind, device))
                 for _ in range(rounds)]  # fmt: skip
        rows.append((f"{kind} transform", len(X), codes))
    print(f"{'':18s}{'aekit samples/s':>16s}{'bare samples/s':>16s}{'ratio':>8s}")
    for name, n, times in rows:
        ours = statistics.median(n / a for a, _ in times)
        bare = statistics.median(n / b for _, b in times)
        print(f"{name:18s}{ours:16,.0f}{bare:16,.0f}{ours / bare:8.3f}")


RUNNERS = [
    ("aekit", aekit_fit),
    ("bare", bare_fit),
    ("bare-fused", lambda X, epochs: bare_fit(X, epochs, fused=True)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--table-rounds", type=int, default=3)
    parser.add_argument("--conv-samples", type=int, default=10_000)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the table's runs)")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    args = parser.parse_args()
    X, _ = load_fashion_mnist("train")
    n = len(X) * args.epochs
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(X)} samples x "
        f"{args.epochs} epochs per fit"
    )
    on = {"device": args.device, "precision": args.precision}
    aekit_fit(X[:2048], 1, **on)  # warm-up: first-call costs belong to neither side
    bare_fit(X[:2048], 1, **on)
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
    if ratios:
        print(
            f"median throughput ratio aekit / bare PyTorch loop: {statistics.median(ratios):.3f} "
            f"(target >= 1.0)"
        )
        print(f"median ratio aekit / bare loop, fused Adam: {statistics.median(fused_ratios):.3f}")
    if args.table_rounds > 0:
        table(X, args.table_rounds, args.conv_samples, args.device, args.precision)


if __name__ == "__main__":
    main()
