"""The autoencoder family on Fashion-MNIST: one row per variant, with its defining figure.

Trains each variant on the 60k training images (latent 32, the same time budget each)
and measures on the 10k test images:

- test MSE (reconstruction of clean inputs);
- mean |z| (mean over samples of sum_j |z_j|), the sparse variants' figure;
- denoised-vs-clean MSE on test images with Gaussian noise of std 0.3 (clipped to
  [0, 1]), next to the noisy-vs-clean MSE: the denoising figure;
- mean ||dz/dx||_F^2 on 1,000 test images: the contractive figure;
- ELBO per image (nats) and active units (posterior-mean variance > 0.01): the VAE's.

Targets: denoised-vs-clean <= 0.2 x noisy-vs-clean; sparse (L1) mean |z| <= 0.5 x the
plain model's at <= 1.5 x its test MSE. It also times one training step of the default
dense network with and without the contractive penalty.

    python benchmarks/family.py [--max-time 60] [--only plain denoising ...]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from aekit import Autoencoder, VariationalAutoencoder
from aekit.data import load_fashion_mnist
from aekit.networks import build_network
from aekit.objective import Objective
from aekit.objective.bottleneck import SigmoidCode
from aekit.objective.penalties import Contractive
from aekit.objective.reconstruction import MSE

NOISE = 0.3
VARIANTS = {
    "plain": (Autoencoder, {}),
    "sparse-l1": (Autoencoder, {"sparsity": 1e-4}),
    "sparse-kl": (Autoencoder, {"sparsity": 1e-2, "sparsity_target": 0.05}),
    "denoising": (Autoencoder, {"noise": NOISE}),
    "contractive": (Autoencoder, {"contractive": 1e-3}),
    "vae": (VariationalAutoencoder, {}),
    "vae+free-bits": (VariationalAutoencoder, {"free_bits": 0.25}),
    "conv": (Autoencoder, {"architecture": "conv"}),
    "conv+denoising+sparse": (
        Autoencoder,
        {"architecture": "conv", "noise": NOISE, "sparsity": 1e-4},
    ),
}


def figures(model, X_test: np.ndarray, noisy: np.ndarray) -> dict[str, float]:
    Z = model.transform(X_test)
    rec = model.inverse_transform(Z).reshape(len(X_test), -1)
    denoised = model.inverse_transform(model.transform(noisy)).reshape(len(X_test), -1)
    objective = model._objective()
    x = torch.from_numpy(X_test[:1000]).to(next(model.network_.parameters()).device)
    jac = torch.cat([objective.contraction(model.network_, xb).detach() for xb in x.split(250)])
    out = {
        "test_mse": float(np.mean((rec - X_test) ** 2)),
        "mean_abs_z": float(np.abs(Z).sum(axis=1).mean()),
        "denoised_mse": float(np.mean((denoised - X_test) ** 2)),
        "jacobian": float(jac.mean()),
        "elbo": float("nan"),
        "active": float("nan"),
    }
    if isinstance(model, VariationalAutoencoder):
        out["elbo"] = model.score(X_test)
        out["active"] = int((Z.var(axis=0) > 0.01).sum())
    return out


def step_cost(n_steps: int = 40, n_features: int = 784) -> dict[str, float]:
    """Median seconds per training step, 784-512-32 network, batch 256, per penalty form."""
    torch.manual_seed(0)
    x = torch.rand(256 * 8, n_features)
    results = {}
    contractive = (Contractive(1e-3),)
    forms = {
        "plain": Objective(32, MSE(unit=True)),
        "contractive (closed form)": Objective(32, MSE(unit=True), penalties=contractive),
        # The sigmoid bottleneck has no closed form: the batched-autograd path.
        "contractive (autograd)": Objective(
            32, MSE(unit=True), SigmoidCode(), penalties=contractive
        ),
    }
    for name, objective in forms.items():
        net = build_network("dense", n_features=n_features, latent_dim=32)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        times = []
        for i in range(n_steps):
            xb = x[(i % 8) * 256 : (i % 8 + 1) * 256]
            start = time.perf_counter()
            loss = objective(net, xb, 0.5)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            times.append(time.perf_counter() - start)
        results[name] = float(np.median(times))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=float, default=60.0, help="seconds per variant")
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    X_train, _ = load_fashion_mnist("train")
    X_test, _ = load_fashion_mnist("test")
    rng = np.random.default_rng(0)
    noisy = np.clip(X_test + rng.normal(0, NOISE, X_test.shape), 0, 1).astype(np.float32)
    noisy_mse = float(np.mean((noisy - X_test) ** 2))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    print(f"noisy-vs-clean MSE at sigma={NOISE}: {noisy_mse:.5f}")
    header = (
        f"{'variant':24s}{'test MSE':>10s}{'mean |z|':>10s}{'denoised':>10s}"
        f"{'||J||^2':>10s}{'ELBO':>10s}{'active':>8s}{'epochs':>8s}{'time s':>8s}"
    )
    print(header)
    rows = {}
    for name in args.only:
        cls, params = VARIANTS[name]
        model = cls(latent_dim=32, max_time=args.max_time, random_state=0, device=args.device)
        model.set_params(**params)
        start = time.perf_counter()
        model.fit(X_train)
        fit_time = time.perf_counter() - start
        r = rows[name] = figures(model, X_test, noisy)
        print(
            f"{name:24s}{r['test_mse']:10.5f}{r['mean_abs_z']:10.3f}{r['denoised_mse']:10.5f}"
            f"{r['jacobian']:10.3g}{r['elbo']:10.1f}{r['active']:8.0f}"
            f"{len(model.history_['epoch']):8d}{fit_time:8.1f}",
            flush=True,
        )

    if "denoising" in rows:
        ratio = rows["denoising"]["denoised_mse"] / noisy_mse
        verdict = "met" if ratio <= 0.2 else "NOT met"
        print(f"denoising: denoised/noisy MSE = {ratio:.3f} (target <= 0.2): {verdict}")
    if "plain" in rows and "sparse-l1" in rows:
        z = rows["sparse-l1"]["mean_abs_z"] / rows["plain"]["mean_abs_z"]
        e = rows["sparse-l1"]["test_mse"] / rows["plain"]["test_mse"]
        verdict = "met" if z <= 0.5 and e <= 1.5 else "NOT met"
        print(
            f"sparse: mean |z| x{z:.3f}, test MSE x{e:.3f} of plain "
            f"(target <= 0.5 at <= 1.5): {verdict}"
        )
    if "plain" in rows and "contractive" in rows:
        j = rows["contractive"]["jacobian"] / rows["plain"]["jacobian"]
        print(f"contractive: ||J||^2 x{j:.4f} of plain")
    cost = step_cost()
    base = cost["plain"]
    print(
        "step time, dense 784-512-32, batch 256: "
        + ", ".join(f"{k} {v * 1e3:.1f} ms (x{v / base:.2f})" for k, v in cost.items())
    )


if __name__ == "__main__":
    main()
