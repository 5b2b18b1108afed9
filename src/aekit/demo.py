"""``aekit demo``: the whole idea in one run on scikit-learn's bundled digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from .data import load_digits
from .modality import modality_for_model
from .plotting.grids import plot_reconstructions
from .report import write_report

_OUTPUTS = ("model.aek", "reconstructions.png", "report.html")


def _fresh_dir(base: str = "aekit-demo") -> Path:
    """``aekit-demo``, or ``aekit-demo-2``, ... : the first that does not exist yet."""
    candidate, i = Path(base), 1
    while candidate.exists():
        i += 1
        candidate = Path(f"{base}-{i}")
    return candidate


def run_demo(
    output_dir: str | None = None,
    *,
    latent_dim: int = 8,
    max_time: float | None = 30.0,
    seed: int = 0,
    force: bool = False,
    verbose: bool = False,
) -> dict[str, float]:
    """Train on digits, compare with PCA at the same dimension, write a model, a PNG
    and an HTML report."""
    out = _fresh_dir() if output_dir is None else Path(output_dir)
    clashes = [out / name for name in _OUTPUTS if (out / name).exists()]
    if clashes and not force:
        raise ValueError(f"{clashes[0]} already exists; pass --force or choose another -o.")
    out.mkdir(parents=True, exist_ok=True)

    X, y = load_digits()
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )
    # The model `aekit train --model dense` makes, from the plug-in that serves it.
    settings = dict(latent_dim=latent_dim, batch_size=64, max_time=max_time,
                    random_state=seed, verbose=verbose)  # fmt: skip
    ae = modality_for_model("dense").estimator("dense", settings).fit(X_train)
    pca = PCA(n_components=latent_dim, random_state=seed).fit(X_train)
    ae_rec = ae.inverse_transform(ae.transform(X_test))
    pca_rec = pca.inverse_transform(pca.transform(X_test))
    ae_mse = float(np.mean((ae_rec - X_test) ** 2))
    pca_mse = float(np.mean((pca_rec - X_test) ** 2))

    ae.save(out / "model.aek")
    plot_reconstructions(
        out / "reconstructions.png",
        {"original": X_test[:12], "autoencoder": ae_rec[:12], "PCA": pca_rec[:12]},
    )
    write_report(out / "report.html", ae, X_test, y_test, data_name="digits (test split)")
    epochs = len(ae.history_["epoch"])
    print(f"digits: {len(X_train)} training and {len(X_test)} test images of 8x8 pixels")
    print(
        f"autoencoder, {latent_dim}-dim code: test MSE {ae_mse:.5f}  "
        f"({epochs} epochs, {ae.training_time_:.1f}s)"
    )
    print(f"PCA, {latent_dim} components:      test MSE {pca_mse:.5f}")
    print(f"the autoencoder's error is {ae_mse / pca_mse:.0%} of PCA's")
    written = ", ".join(str(out / name) for name in _OUTPUTS)
    print(f"wrote {written}")
    return {"autoencoder_mse": ae_mse, "pca_mse": pca_mse}
