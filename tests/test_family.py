"""The autoencoder family: each variant shows its defining property on small data."""

import numpy as np
import pytest
import torch

from aekit import Autoencoder, VariationalAutoencoder, load
from aekit.data import load_digits
from aekit.networks import build_network
from aekit.objective import Objective
from aekit.objective.bottleneck import Gaussian
from aekit.objective.corruption import corrupt
from aekit.objective.penalties import Contractive, PriorKL, jacobian_sq_norm
from aekit.objective.reconstruction import BCE, MSE

FAST = dict(latent_dim=8, epochs=40, batch_size=64, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits()
    return X[:1300], X[1300:]


@pytest.fixture(scope="module")
def plain(digits):
    return Autoencoder(**FAST).fit(digits[0])


def _mse(model, X, X_clean=None):
    rec = model.inverse_transform(model.transform(X))
    return float(np.mean((rec - (X if X_clean is None else X_clean)) ** 2))


def _mean_abs_code(model, X):
    return float(np.abs(model.transform(X)).sum(axis=1).mean())


# ---------------------------------------------------------------- sparse
def test_l1_sparsity_shrinks_the_code_at_similar_error(digits, plain):
    X_train, X_test = digits
    sparse = Autoencoder(sparsity=1e-2, **FAST).fit(X_train)
    assert _mean_abs_code(sparse, X_test) < 0.5 * _mean_abs_code(plain, X_test)
    assert _mse(sparse, X_test) < 1.5 * _mse(plain, X_test)


def test_kl_sparsity_target_sets_the_mean_activation(digits):
    X_train, X_test = digits
    model = Autoencoder(sparsity=0.1, sparsity_target=0.05, **FAST).fit(X_train)
    Z = model.transform(X_test)
    assert Z.min() >= 0 and Z.max() <= 1  # sigmoid code units
    assert np.all(np.abs(Z.mean(axis=0) - 0.05) < 0.015)  # measured: within 0.009
    assert model.inverse_transform(Z).shape == X_test.shape
    # Without the penalty's weight the same sigmoid units sit near 0.5: the KL did it.
    loose = Autoencoder(sparsity=1e-9, sparsity_target=0.05, **FAST).fit(X_train)
    assert np.all(loose.transform(X_test).mean(axis=0) > 0.3)


# ---------------------------------------------------------------- denoising
def test_denoising_beats_the_noisy_input_and_a_plain_model(digits, plain):
    X_train, X_test = digits
    noisy = np.clip(X_test + np.random.default_rng(0).normal(0, 0.3, X_test.shape), 0, 1)
    denoiser = Autoencoder(noise=0.3, **FAST).fit(X_train)
    noisy_err = float(np.mean((noisy - X_test) ** 2))
    denoised_err = _mse(denoiser, noisy, X_test)
    assert denoised_err < 0.6 * noisy_err
    assert denoised_err < _mse(plain, noisy, X_test)


def test_noise_is_for_training_only(digits):
    X_train, X_test = digits
    model = Autoencoder(noise=0.5, noise_type="masking", **FAST).fit(X_train)
    np.testing.assert_array_equal(model.transform(X_test), model.transform(X_test))
    clean_codes = model.network_.encode(torch.from_numpy(X_test)).detach().numpy()
    np.testing.assert_allclose(model.transform(X_test), clean_codes, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("noise_type", ["gaussian", "masking", "salt_pepper"])
def test_corruption_keeps_to_its_definition(noise_type):
    gen = torch.Generator().manual_seed(0)
    x = torch.full((400, 50), 0.5)
    out = corrupt(x, noise_type, 0.3, gen, 0.0, 1.0, clip=True)
    assert out.shape == x.shape and 0 <= out.min() and out.max() <= 1
    changed = (out != x).float().mean().item()
    if noise_type == "gaussian":
        assert changed > 0.99
        assert (out - x).std().item() == pytest.approx(0.3, rel=0.1)
    elif noise_type == "masking":
        assert changed == pytest.approx(0.3, abs=0.02)
        assert set(out.unique().tolist()) == {0.0, 0.5}
    else:
        assert changed == pytest.approx(0.3, abs=0.02)
        assert set(out.unique().tolist()) == {0.0, 0.5, 1.0}


def test_same_seed_same_denoising_model(digits):
    X_train, X_test = digits
    kw = {**FAST, "epochs": 3, "noise": 0.2, "noise_type": "salt_pepper"}
    a = Autoencoder(**kw).fit(X_train).transform(X_test)
    b = Autoencoder(**kw).fit(X_train).transform(X_test)
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- contractive
def test_contractive_flattens_the_encoder(digits, plain):
    X_train, X_test = digits
    model = Autoencoder(contractive=1e-2, **FAST).fit(X_train)
    x = torch.from_numpy(X_test)

    def jacobian(m):
        return m._objective().contraction(m.network_, x).mean().item()

    assert jacobian(model) < 0.1 * jacobian(plain)


@pytest.mark.parametrize("activation", ["silu", "relu", "tanh", "sigmoid", "gelu"])
def test_closed_form_jacobian_equals_autograd(activation):
    torch.manual_seed(0)
    net = build_network(
        "dense", n_features=7, latent_dim=3, hidden_dims=(11,), activation=activation
    )
    assert net.closed_form_contraction  # the network says so itself
    x = torch.randn(9, 7, dtype=torch.float64)
    net = net.double()
    exact = jacobian_sq_norm(net.encode, x)
    torch.testing.assert_close(net.contraction(x, 3), exact)
    # The batch-mean form that training uses agrees too, and carries gradients.
    _, mean = net.encode_with_contraction(x, 3)
    torch.testing.assert_close(mean, exact.mean())
    objective = Objective(latent_dim=3, reconstruction=MSE(), penalties=(Contractive(1.0),))
    assert not build_network("dense", n_features=7, hidden_dims=(4, 4)).closed_form_contraction
    torch.testing.assert_close(objective.contraction(net, x), exact)


def test_contractive_trains_through_autograd_on_conv_and_deep_dense(digits):
    X_train, X_test = digits
    x = torch.from_numpy(X_test[:100])
    for arch, hidden in [("conv", (4, 8)), ("dense", (32, 16))]:
        kw = {**FAST, "epochs": 2, "hidden_dims": hidden}
        model = Autoencoder(architecture=arch, contractive=1e-3, **kw).fit(X_train[:256])
        plain = Autoencoder(architecture=arch, **kw).fit(X_train[:256])
        assert not getattr(model.network_, "closed_form_contraction", False)  # autograd path

        def jacobian(m):
            return m._objective().contraction(m.network_, x).mean().item()

        # Measured: 0.42x (conv) and 0.30x (dense) of the plain model's.
        assert jacobian(model) < 0.6 * jacobian(plain), arch


# ---------------------------------------------------------------- variational
@pytest.fixture(scope="module")
def vae(digits):
    return VariationalAutoencoder(**FAST).fit(digits[0])


def test_vae_samples_have_the_data_shape_and_range(vae, digits):
    samples = vae.sample(16, random_state=0)
    assert samples.shape == (16, 64)
    assert samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, vae.sample(16, random_state=0))
    assert not np.array_equal(samples, vae.sample(16, random_state=1))


def test_vae_elbo_is_finite_and_improves_with_training(vae, digits):
    X_train, X_test = digits
    short = VariationalAutoencoder(**{**FAST, "epochs": 1}).fit(X_train)
    elbo = vae.score_samples(X_test)
    assert np.isfinite(elbo).all() and (elbo < 0).all()  # a log-likelihood bound, in nats
    assert vae.score(X_test) > short.score(X_test) + 1
    val = vae.history_["val_loss"]  # negative ELBO on held-out data, per epoch
    assert min(val) < val[0] - 1
    # Deterministic, and a sample's score does not depend on the batch it came in.
    np.testing.assert_allclose(elbo[:10], vae.score_samples(X_test[:10]), rtol=1e-5)


def test_vae_keeps_most_latent_units_active(vae, digits):
    means = vae.transform(digits[1])
    assert (means.var(axis=0) > 0.01).sum() > vae.latent_dim / 2


def test_vae_reconstruction_error_is_from_the_posterior_mean(vae, digits):
    X_test = digits[1]
    rec = vae.inverse_transform(vae.transform(X_test))
    expected = np.mean((rec - X_test) ** 2, axis=1)
    np.testing.assert_allclose(vae.reconstruction_error(X_test), expected, rtol=1e-4, atol=1e-7)


def test_vae_transform_is_the_posterior_mean(vae, digits):
    X_test = digits[1]
    h = vae.network_.encode(torch.from_numpy(X_test)).detach().numpy()
    assert h.shape == (len(X_test), 16)  # mean and log-variance
    np.testing.assert_allclose(vae.transform(X_test), h[:, :8], rtol=1e-5, atol=1e-6)


def test_kl_warmup_starts_with_no_kl(vae, digits):
    x = torch.from_numpy(digits[1][:64])
    net = vae.network_.train()

    def loss(progress, free_bits=0.0):
        # The Gaussian bottleneck brings its KL term (beta, warm-up, free bits) along.
        objective = Objective(8, BCE(), Gaussian(beta=1.0, kl_warmup=0.5, free_bits=free_bits))
        assert isinstance(objective.penalties[0], PriorKL)
        objective.generator = torch.Generator().manual_seed(0)
        return objective(net, x, progress).item()

    assert loss(0.0) < loss(0.25) < loss(0.5) == pytest.approx(loss(1.0))
    assert loss(1.0, free_bits=5.0) > loss(1.0)  # free bits: the KL is floored
    net.eval()


def test_vae_save_load_and_conv(tmp_path, vae, digits):
    X_test = digits[1]
    vae.save(tmp_path / "vae.aek")
    twin = load(tmp_path / "vae.aek")
    assert isinstance(twin, VariationalAutoencoder)
    np.testing.assert_array_equal(twin.transform(X_test), vae.transform(X_test))
    np.testing.assert_array_equal(twin.sample(4, random_state=3), vae.sample(4, random_state=3))
    assert twin.score(X_test) == vae.score(X_test)
    images = X_test.reshape(-1, 8, 8)
    conv = VariationalAutoencoder(architecture="conv", **{**FAST, "epochs": 2}).fit(images)
    assert conv.sample(3).shape == (3, 8, 8)


def test_vae_on_standardised_data(table_data):
    model = VariationalAutoencoder(**{**FAST, "latent_dim": 3}).fit(table_data)
    assert model.loss_ == "mse"
    assert model.sample(5).shape == (5, 8)
    # In standardised units the column means would score 1; 4-dim data through 3 units:
    # measured 0.33 (1.01 after one epoch).
    assert model.reconstruction_error(table_data).mean() < 0.6
    short = VariationalAutoencoder(**{**FAST, "latent_dim": 3, "epochs": 1}).fit(table_data)
    assert model.score(table_data) > short.score(table_data)


# ---------------------------------------------------------------- combinations
def test_settings_combine(digits):
    X_train, X_test = digits
    images = X_train.reshape(-1, 8, 8)
    model = Autoencoder(
        architecture="conv", image_shape=(8, 8), noise=0.3, sparsity=1e-4, **FAST
    ).fit(images)
    plain = Autoencoder(architecture="conv", image_shape=(8, 8), **FAST).fit(images)
    assert model.inverse_transform(model.transform(images[:5])).shape == (5, 8, 8)
    # Both settings act at once: it denoises better than a plain conv model (measured
    # 0.025 vs 0.030) and its code is smaller (mean |z| 9.9 vs 19.4).
    clean = X_test.reshape(-1, 8, 8)
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.3, clean.shape), 0, 1)
    assert _mse(model, noisy, clean) < 0.9 * _mse(plain, noisy, clean)
    assert _mean_abs_code(model, clean) < 0.75 * _mean_abs_code(plain, clean)
    both = VariationalAutoencoder(
        noise=0.2, noise_type="masking", contractive=1e-3, **{**FAST, "epochs": 3}
    ).fit(X_train)
    objective = both._objective()  # one objective holds all three settings
    assert objective.corruption.noise_type == "masking" and objective.corruption.noise == 0.2
    assert [type(p) for p in objective.penalties] == [PriorKL, Contractive]
    assert both.history_["train_loss"][-1] < both.history_["train_loss"][0]


# ---------------------------------------------------------------- bad settings
@pytest.mark.parametrize(
    "params, match",
    [
        ({"sparsity": -1.0}, "sparsity"),
        ({"contractive": -1e-3}, "contractive"),
        ({"noise": -0.1}, "noise"),
        ({"noise": 1.0, "noise_type": "masking"}, "masking"),
        ({"noise": 1.5, "noise_type": "salt_pepper"}, "salt_pepper"),
        ({"noise_type": "speckle"}, "noise_type"),
        ({"sparsity_target": 0.05}, "sparsity_target needs sparsity"),
        ({"sparsity": 1e-3, "sparsity_target": 1.0}, "sparsity_target"),
    ],
)
def test_bad_family_settings_are_value_errors(digits, params, match):
    with pytest.raises(ValueError, match=match):
        Autoencoder(**params).fit(digits[0])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"beta": -1.0}, "beta"),
        ({"kl_warmup": 1.5}, "kl_warmup"),
        ({"free_bits": -0.5}, "free_bits"),
        ({"noise": 1.0, "noise_type": "masking"}, "masking"),
    ],
)
def test_bad_vae_settings_are_value_errors(digits, params, match):
    with pytest.raises(ValueError, match=match):
        VariationalAutoencoder(**params).fit(digits[0])


def test_a_plain_autoencoder_cannot_sample(plain):
    with pytest.raises(ValueError, match="VariationalAutoencoder"):
        plain.sample(4)


@pytest.mark.parametrize("n", [0, -3, 2.5, "4", True])
def test_bad_sample_counts(vae, n):
    with pytest.raises(ValueError, match="n_samples"):
        vae.sample(n)
