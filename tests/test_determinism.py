"""Same seed, same data: the same codes on CPU, run after run and through a model file."""

import numpy as np
import pytest

import aekit


def tiny_text(**kw):
    return aekit.TextAutoencoder(latent_dim=4, hidden_dim=16, epochs=3, synthetic=20, **kw)


@pytest.mark.parametrize(
    "make, data",
    [
        (lambda: aekit.Autoencoder(3, epochs=5, noise=0.2, random_state=7), "numbers"),
        (lambda: aekit.Autoencoder(3, architecture="conv", epochs=2, random_state=7), "images"),
        (lambda: aekit.VariationalAutoencoder(2, epochs=5, random_state=7), "numbers"),
        (lambda: tiny_text(random_state=7), "texts"),
    ],
    ids=["denoising", "conv", "vae", "text"],
)
def test_same_seed_same_codes_and_through_a_file(make, data, tmp_path):
    rng = np.random.default_rng(0)
    X = {
        "numbers": rng.random((150, 10)).astype(np.float32),
        "images": rng.random((40, 8, 8)).astype(np.float32),
        "texts": ["hi all", "lol", "really need chipotle today", "brb"] * 5,
    }[data]
    first, second = make().fit(X), make().fit(X)
    codes = first.transform(X)
    np.testing.assert_array_equal(codes, second.transform(X))
    assert first.history_["train_loss"] == second.history_["train_loss"]
    first.save(tmp_path / "m.aek")
    np.testing.assert_array_equal(aekit.load(tmp_path / "m.aek").transform(X), codes)
