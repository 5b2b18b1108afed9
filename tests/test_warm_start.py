"""warm_start: a fit that starts from the previous fit's network, or says why it cannot."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

import aekit

X = load_digits().data[:300] / 16


def _rebuilt(model, rows):
    return model.inverse_transform(model.transform(rows))


def test_warm_start_begins_where_the_previous_fit_ended():
    first = aekit.Autoencoder(latent_dim=4, epochs=3, random_state=0).fit(X)
    before = _rebuilt(first, X)
    # A learning rate too small to move any weight: what the refit ends with is what it
    # started from.
    still = dict(learning_rate=1e-12, epochs=1, random_state=1)
    warm = first.set_params(warm_start=True, **still).fit(X)
    np.testing.assert_allclose(_rebuilt(warm, X), before, atol=1e-6)
    assert len(warm.history_["epoch"]) == 1  # the history is this fit's
    cold = aekit.Autoencoder(latent_dim=4, **still).fit(X)
    assert np.abs(_rebuilt(cold, X) - before).mean() > 1e-2  # a fresh network differs


def test_warm_start_refuses_another_network_and_keeps_the_fit():
    model = aekit.Autoencoder(latent_dim=4, epochs=1, random_state=0).fit(X)
    codes = model.transform(X[:5])
    message = r"warm_start=True needs the network of the previous fit.*n_features: 64 -> 32"
    with pytest.raises(ValueError, match=message + r".*warm_start=False"):
        model.set_params(warm_start=True).fit(X[:, :32])
    np.testing.assert_array_equal(model.transform(X[:5]), codes)
    with pytest.raises(ValueError, match=r"latent_dim: 4 -> 6"):
        model.set_params(latent_dim=6).fit(X)


def test_warm_start_fine_tunes_a_codec_to_another_rate_weight():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (64, 16, 16, 1), dtype=np.uint8)
    codec = aekit.ImageAutoencoder(
        bottleneck="quantized", architecture="resconv", latent_shape=(2, 4, 4), latent_dim=32,
        hyperprior=2, rate_weight=0.01, epochs=2, random_state=0,
    ).fit(images)  # fmt: skip
    density = codec.network_.state_dict()
    codec.set_params(rate_weight=0.1, warm_start=True, learning_rate=1e-12, epochs=1)
    codec.fit(images)
    for name, value in codec.network_.state_dict().items():
        np.testing.assert_allclose(value.numpy(), density[name].numpy(), atol=1e-6, err_msg=name)
