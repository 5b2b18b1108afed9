"""Behaviour of aekit.Autoencoder: shapes, scales, sklearn integration, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline

from aekit import Autoencoder

FAST = dict(hidden_dims=(64,), epochs=200, batch_size=32, random_state=0, device="cpu")


def test_fit_transform_inverse_shapes(unit_data):
    ae = Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    Z = ae.transform(unit_data)
    assert Z.shape == (200, 3)
    assert Z.dtype == np.float32
    X_hat = ae.inverse_transform(Z)
    assert X_hat.shape == unit_data.shape
    assert 0.0 <= X_hat.min() and X_hat.max() <= 1.0  # sigmoid output for [0, 1] data
    assert ae.n_features_in_ == 20
    assert np.allclose(ae.fit_transform(unit_data), Z)


def test_learns_better_than_the_mean(unit_data):
    ae = Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    mse = -ae.score(unit_data)
    baseline = np.mean((unit_data - unit_data.mean(0)) ** 2)
    assert mse < 0.2 * baseline
    assert ae.history_["train_loss"][-1] < ae.history_["train_loss"][0]


def test_standardised_data_comes_back_in_original_units(table_data):
    ae = Autoencoder(latent_dim=4, **FAST).fit(table_data)
    assert ae.scaling_.mode == "standard"
    X_hat = ae.inverse_transform(ae.transform(table_data))
    assert X_hat.dtype == np.float64
    # Column scales differ by 1000x; each column must come back at its own scale.
    ratio = X_hat.std(0) / table_data.std(0)
    assert np.all((ratio > 0.5) & (ratio < 1.5))
    # 8 features with 4-dimensional structure: a 4-dim code reconstructs them well.
    err = np.mean((X_hat - table_data) ** 2, axis=0) / table_data.var(0)
    assert err.mean() < 0.2


def test_score_samples_is_negative_per_sample_error(unit_data):
    ae = Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    s = ae.score_samples(unit_data)
    manual = -np.mean((ae.inverse_transform(ae.transform(unit_data)) - unit_data) ** 2, axis=1)
    assert s.shape == (200,)
    np.testing.assert_allclose(s, manual, rtol=1e-4, atol=1e-7)
    assert ae.score(unit_data) == pytest.approx(s.mean())


def test_validation_and_history(unit_data):
    ae = Autoencoder(latent_dim=3, validation_fraction=0.2, **FAST).fit(unit_data)
    h = ae.history_
    assert set(h) == {"epoch", "train_loss", "val_loss", "learning_rate", "time"}
    assert len(h["epoch"]) == len(h["val_loss"]) >= 1
    assert np.all(np.isfinite(h["val_loss"]))
    no_val = Autoencoder(latent_dim=3, validation_fraction=0.0, **FAST).fit(unit_data)
    assert np.all(np.isnan(no_val.history_["val_loss"]))
    assert len(no_val.history_["epoch"]) == 200


def test_early_stopping_stops_and_keeps_best(unit_data):
    params = {**FAST, "epochs": 500}
    ae = Autoencoder(latent_dim=3, patience=3, learning_rate=0.05, **params).fit(unit_data)
    h = ae.history_
    assert len(h["epoch"]) < 500
    best = int(np.argmin(h["val_loss"]))
    assert len(h["epoch"]) - 1 - best <= 3


def test_max_time_stops_cleanly():
    X = np.random.default_rng(0).random((4000, 50)).astype(np.float32)
    ae = Autoencoder(latent_dim=4, epochs=10_000, max_time=1.0, random_state=0).fit(X)
    assert ae.training_time_ < 3.0
    assert len(ae.history_["epoch"]) < 10_000
    assert ae.transform(X[:5]).shape == (5, 4)


def test_same_seed_same_model(unit_data):
    a = Autoencoder(latent_dim=3, **FAST).fit(unit_data).transform(unit_data)
    b = Autoencoder(latent_dim=3, **FAST).fit(unit_data).transform(unit_data)
    assert np.array_equal(a, b)


def test_fit_leaves_global_torch_rng_alone(unit_data):
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    assert torch.equal(torch.rand(3), expected)


def test_bce_loss(unit_data):
    ae = Autoencoder(latent_dim=3, loss="bce", **FAST).fit(unit_data)
    assert ae.loss_ == "bce"
    # Against the column means (the error of a model that learnt nothing but them):
    # 3-factor data through a 3-unit code, measured 1e-5 against 7.4e-3.
    assert -ae.score(unit_data) < 0.05 * np.var(unit_data, axis=0).mean()


def test_float64_in_float64_out(unit_data):
    ae = Autoencoder(latent_dim=3, **FAST).fit(unit_data.astype(np.float64))
    assert ae.transform(unit_data.astype(np.float64)).dtype == np.float64
    assert ae.transform(unit_data).dtype == np.float32


# ---------------------------------------------------------------- conv
@pytest.mark.parametrize("image_shape", [(8, 8), (1, 9, 7), (3, 6, 10), (2, 5, 5)])
def test_conv_gives_back_exactly_the_input_size(image_shape):
    rng = np.random.default_rng(0)
    n_features = int(np.prod(image_shape))
    X = rng.random((40, n_features)).astype(np.float32)
    ae = Autoencoder(
        latent_dim=4,
        architecture="conv",
        image_shape=image_shape,
        hidden_dims=(4, 8),
        epochs=2,
        batch_size=16,
        random_state=0,
    ).fit(X)
    assert ae.inverse_transform(ae.transform(X)).shape == X.shape


def test_conv_accepts_image_arrays():
    rng = np.random.default_rng(0)
    images = rng.random((30, 3, 12, 10)).astype(np.float32)
    ae = Autoencoder(
        latent_dim=5,
        architecture="conv",
        hidden_dims=(4,),
        epochs=2,
        random_state=0,
        channels_first=True,  # (n, C, H, W) only when said: see tests/test_layout.py
    ).fit(images)
    assert ae.image_shape_ == (3, 12, 10)
    assert ae.transform(images).shape == (30, 5)
    assert ae.inverse_transform(ae.transform(images)).shape == images.shape
    # Flat rows of the same images work too.
    assert ae.transform(images.reshape(30, -1)).shape == (30, 5)


def test_conv_learns_digits():
    from aekit.data import load_digits

    X, _ = load_digits()
    ae = Autoencoder(
        latent_dim=8, architecture="conv", epochs=30, batch_size=64, random_state=0
    ).fit(X[:600])
    assert ae.image_shape_ == (1, 8, 8)  # a square width is taken as a grey image
    assert -ae.score(X[600:900]) < 0.6 * np.var(X[600:900], axis=0).mean()


def test_conv_needs_an_image_shape():
    X = np.random.default_rng(0).random((10, 30))
    with pytest.raises(ValueError, match="image_shape"):
        Autoencoder(architecture="conv", epochs=1).fit(X)
    with pytest.raises(ValueError, match="holds 16 values"):
        Autoencoder(architecture="conv", image_shape=(4, 4), epochs=1).fit(X)
    with pytest.raises(ValueError, match="must hold ints"):
        Autoencoder(architecture="conv", image_shape=(2.5, 12), epochs=1).fit(X)
    with pytest.raises(ValueError, match="positive ints"):
        Autoencoder(architecture="conv", image_shape=(0, 5, 6), epochs=1).fit(X)


# ---------------------------------------------------------------- sklearn integration
def test_dataframe_names_and_pandas_output(table_data):
    df = pd.DataFrame(table_data, columns=[f"c{i}" for i in range(8)])
    ae = Autoencoder(latent_dim=2, **FAST).set_output(transform="pandas").fit(df)
    assert list(ae.feature_names_in_) == list(df.columns)
    out = ae.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["autoencoder0", "autoencoder1"]
    assert list(ae.get_feature_names_out()) == ["autoencoder0", "autoencoder1"]


def test_clone_keeps_params_not_state(unit_data):
    ae = Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    twin = clone(ae)
    assert twin.get_params() == ae.get_params()
    assert not hasattr(twin, "network_")


def test_pipeline_and_grid_search():
    from aekit.data import load_digits

    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        X[:400], y[:400], test_size=0.5, random_state=0, stratify=y[:400]
    )
    pipe = make_pipeline(Autoencoder(latent_dim=8, **FAST), LogisticRegression(max_iter=500))
    pipe.fit(X_train, y_train)
    assert pipe.score(X_test, y_test) > 0.8  # held out: measured 0.96
    # One code unit cannot carry ten digits (measured 0.41 against 0.93 with eight).
    grid = GridSearchCV(pipe, {"autoencoder__latent_dim": [1, 8]}, cv=2).fit(X_train, y_train)
    assert grid.best_params_["autoencoder__latent_dim"] == 8
    X = X[:400]
    # Unsupervised search: score is the negative reconstruction error.
    grid = GridSearchCV(Autoencoder(**FAST), {"latent_dim": [1, 8]}, cv=2).fit(X)
    assert grid.best_params_ == {"latent_dim": 8}


def test_beats_pca_at_the_same_dimension_on_nonlinear_data():
    # Points on a curve: one latent number describes them, PCA needs more.
    t = np.random.default_rng(0).uniform(-1, 1, size=(600, 1))
    X = np.hstack([t, t**2, np.sin(3 * t), np.cos(2 * t)])
    ae = Autoencoder(
        latent_dim=1, hidden_dims=(64, 32), epochs=150, batch_size=32, random_state=0
    ).fit(X[:500])
    pca = PCA(1).fit(X[:500])
    ae_err = np.mean((ae.inverse_transform(ae.transform(X[500:])) - X[500:]) ** 2)
    pca_err = np.mean((pca.inverse_transform(pca.transform(X[500:])) - X[500:]) ** 2)
    assert ae_err < 0.5 * pca_err


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), "infinity"),
        (np.empty((0, 3)), "0 sample"),
        (np.arange(5.0), "2D array"),
        (np.array([["a", "b"], ["c", "d"]]), "convert"),
    ],
    ids=["nan", "inf", "empty", "1d", "strings"],
)
def test_bad_fit_input_names_the_problem(X, match):
    with pytest.raises(ValueError, match=match):
        Autoencoder(epochs=1).fit(X)


@pytest.mark.parametrize(
    "param, value",
    [
        ("epochs", 0),
        ("batch_size", 0),
        ("learning_rate", 0.0),
        ("learning_rate", -1.0),
        ("latent_dim", 0),
        ("validation_fraction", 1.0),
        ("max_time", 0),
        ("architecture", "rnn"),
        ("loss", "l7"),
        ("activation", "wiggle"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(unit_data, param, value):
    with pytest.raises(ValueError, match=param):
        Autoencoder(**{param: value}).fit(unit_data)


def test_bad_hidden_dims(unit_data):
    with pytest.raises(ValueError, match="hidden_dims"):
        Autoencoder(hidden_dims=(8, 0), epochs=1).fit(unit_data)


def test_bce_needs_unit_data(table_data):
    with pytest.raises(ValueError, match="bce"):
        Autoencoder(loss="bce", epochs=1).fit(table_data)


def test_unavailable_or_unknown_devices_are_clear_errors(unit_data):
    import torch

    for device in ("tpu", "banana", "xla"):
        with pytest.raises(ValueError, match="device="):
            Autoencoder(device=device, epochs=1).fit(unit_data)
    with pytest.raises(ValueError, match="CUDA device"):
        Autoencoder(device=f"cuda:{torch.cuda.device_count()}", epochs=1).fit(unit_data)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            Autoencoder(device="cuda", epochs=1).fit(unit_data)


def test_wrong_widths_after_fit(unit_data):
    ae = Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    with pytest.raises(ValueError, match="20 features"):
        ae.transform(unit_data[:, :5])
    with pytest.raises(ValueError, match="latent_dim is 3"):
        ae.inverse_transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        ae.inverse_transform(np.full((2, 3), np.nan))


def test_not_fitted():
    ae = Autoencoder()
    for method in (ae.transform, ae.inverse_transform, ae.score_samples, ae.score):
        with pytest.raises(NotFittedError):
            method(np.zeros((2, 3)))


def test_verbose_shows_a_progress_bar_with_the_loss(unit_data, capsys):
    Autoencoder(latent_dim=3, verbose=True, **FAST).fit(unit_data)
    err = capsys.readouterr().err
    assert "loss=" in err and "epoch=" in err and "%" in err
    Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    assert capsys.readouterr().err == ""


def test_a_rejected_refit_keeps_the_previous_model(unit_data, table_data):
    ae = Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    before = ae.transform(unit_data)
    bad = table_data.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ae.fit(bad)
    with pytest.raises(ValueError, match="bce"):
        ae.set_params(loss="bce").fit(table_data)
    assert ae.n_features_in_ == 20
    assert np.array_equal(ae.transform(unit_data), before)


def test_bf16_autocast_trains_float32_weights(unit_data):
    full = Autoencoder(latent_dim=3, **FAST).fit(unit_data)
    half = Autoencoder(latent_dim=3, precision="bf16", **FAST).fit(unit_data)
    assert all(p.dtype == torch.float32 for p in half.network_.parameters())
    assert half.transform(unit_data).dtype == np.float32
    errors = [m.reconstruction_error(unit_data).mean() for m in (full, half)]
    assert errors[1] < 1.5 * errors[0]  # bfloat16 forward passes learn about as well
    with pytest.raises(ValueError, match="precision"):
        Autoencoder(precision="fp16").fit(unit_data)
