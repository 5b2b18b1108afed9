"""aekit.AnomalyDetector: scikit-learn's outlier-detector contract, on known outliers."""

import numpy as np
import pytest
from sklearn.base import clone

from aekit import AnomalyDetector, Autoencoder, VariationalAutoencoder, load

AE = dict(latent_dim=2, hidden_dims=(32,), epochs=150, batch_size=32, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def planted():
    """400 points near a 2-dim plane in 8 dimensions, then 20 far off it (the last 20)."""
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(2, 8))
    inliers = rng.normal(size=(400, 2)) @ basis + 0.05 * rng.normal(size=(400, 8))
    outliers = rng.normal(size=(20, 8)) * 3
    X = np.vstack([inliers, outliers])
    truth = np.r_[np.ones(400, int), -np.ones(20, int)]
    return X, truth


@pytest.fixture(scope="module")
def detector(planted):
    return AnomalyDetector(Autoencoder(**AE), contamination=20 / 420).fit(planted[0])


def test_api_shapes_signs_and_offset(detector, planted):
    X, truth = planted
    scores = detector.score_samples(X)
    assert scores.shape == (420,)
    np.testing.assert_allclose(detector.decision_function(X), scores - detector.offset_)
    labels = detector.predict(X)
    assert set(np.unique(labels)) == {-1, 1}
    assert scores[truth == -1].max() < np.median(scores[truth == 1])  # outliers score lower
    assert detector.n_features_in_ == 8
    np.testing.assert_allclose(scores, -detector.autoencoder_.reconstruction_error(X))


def test_contamination_is_respected_and_finds_the_planted_outliers(detector, planted):
    X, truth = planted
    labels = detector.predict(X)
    assert abs(np.mean(labels == -1) - 20 / 420) < 0.01
    assert np.mean(labels[truth == -1] == -1) >= 0.9  # recall on the planted outliers


def test_auto_contamination_flags_the_tail(planted):
    X, truth = planted
    labels = AnomalyDetector(Autoencoder(**AE)).fit_predict(X)
    assert np.mean(labels[truth == -1] == -1) >= 0.9
    assert np.mean(labels[truth == 1] == -1) < 0.1


def test_fit_predict_matches_fit_then_predict(planted):
    X, _ = planted
    det = AnomalyDetector(Autoencoder(**{**AE, "epochs": 20}), contamination=0.1)
    np.testing.assert_array_equal(det.fit_predict(X), det.predict(X))


def test_nested_parameters_and_clone():
    det = AnomalyDetector(Autoencoder(latent_dim=4), contamination=0.1)
    assert det.get_params()["autoencoder__latent_dim"] == 4
    det.set_params(autoencoder__latent_dim=3, autoencoder__noise=0.1)
    assert det.autoencoder.latent_dim == 3 and det.autoencoder.noise == 0.1
    twin = clone(det)
    assert twin.autoencoder is not det.autoencoder and twin.autoencoder.latent_dim == 3


def test_default_autoencoder_is_left_unfitted(planted):
    X, _ = planted
    inner = Autoencoder(**{**AE, "epochs": 5})
    det = AnomalyDetector(inner).fit(X)
    assert not hasattr(inner, "network_")  # the given model is cloned, never fitted itself
    assert isinstance(AnomalyDetector(contamination=0.1).get_params()["autoencoder"], type(None))
    assert isinstance(det.autoencoder_, Autoencoder)


def test_variational_and_conv_detectors_on_images():
    from aekit.data import load_digits

    X, y = load_digits()
    zeros, others = X[y == 0], X[y != 0][:100]
    fast = dict(latent_dim=4, epochs=40, batch_size=32, random_state=0, device="cpu")
    for model in (
        VariationalAutoencoder(**fast),
        Autoencoder(architecture="conv", noise=0.2, **fast),
    ):
        det = AnomalyDetector(model, contamination=0.05).fit(zeros[:150])
        # Every model scores by reconstruction error (a VAE's ELBO is not used), on
        # pictures averaged over 3x3 neighbourhoods.
        assert det.window_ == 3
        np.testing.assert_allclose(
            det.score_samples(others), -det.autoencoder_.reconstruction_error(others, window=3)
        )
        s_in, s_out = det.score_samples(zeros[150:]), det.score_samples(others)
        # Rank-based AUC: a held-out zero usually scores above another digit.
        auc = np.mean(s_in[:, None] > s_out[None, :])
        assert auc > 0.9, (type(model).__name__, auc)


def test_save_load_round_trip(tmp_path, detector, planted):
    X, _ = planted
    detector.save(tmp_path / "det.aek")
    twin = load(tmp_path / "det.aek")
    assert isinstance(twin, AnomalyDetector)
    assert twin.offset_ == detector.offset_ and twin.contamination == detector.contamination
    assert twin.autoencoder.get_params() == detector.autoencoder.get_params()
    np.testing.assert_array_equal(twin.score_samples(X), detector.score_samples(X))
    np.testing.assert_array_equal(twin.predict(X), detector.predict(X))


@pytest.mark.parametrize("contamination", [0.0, 0.7, "high", -0.1])
def test_bad_contamination(planted, contamination):
    with pytest.raises(ValueError, match="contamination"):
        AnomalyDetector(contamination=contamination).fit(planted[0])


def test_not_an_autoencoder(planted):
    with pytest.raises(ValueError, match="autoencoder"):
        AnomalyDetector(autoencoder="dense").fit(planted[0])


def test_wrong_width_after_fit(detector):
    with pytest.raises(ValueError, match="8 features"):
        detector.predict(np.zeros((3, 5)))


def test_window_is_the_error_of_the_locally_averaged_residual():
    from aekit.data import load_digits

    X, _ = load_digits()
    ae = Autoencoder(latent_dim=4, epochs=3, random_state=0, device="cpu").fit(X)
    residual = (X - ae.inverse_transform(ae.transform(X))).reshape(-1, 8, 8)
    np.testing.assert_allclose(
        ae.reconstruction_error(X, window=1),
        np.mean(residual.reshape(len(X), -1) ** 2, 1),
        rtol=1e-4,
    )
    windows = np.lib.stride_tricks.sliding_window_view(residual, (3, 3), axis=(1, 2))
    expected = np.mean(windows.mean(axis=(-2, -1)) ** 2, axis=(1, 2))
    np.testing.assert_allclose(ae.reconstruction_error(X, window=3), expected, rtol=1e-4)


def test_window_auto_is_per_pixel_for_tables(planted):
    X, _ = planted
    det = AnomalyDetector(Autoencoder(**{**AE, "epochs": 5})).fit(X)
    assert det.window_ == 1
    np.testing.assert_allclose(det.score_samples(X), -det.autoencoder_.reconstruction_error(X))


@pytest.mark.parametrize("window, match", [(3, "not images"), (0, "window"), ("big", "window")])
def test_bad_window(planted, window, match):
    with pytest.raises(ValueError, match=match):
        AnomalyDetector(Autoencoder(**{**AE, "epochs": 2}), pixel_window=window).fit(planted[0])


def test_window_larger_than_the_images():
    from aekit.data import load_digits

    ae = Autoencoder(latent_dim=2, epochs=1, device="cpu").fit(load_digits()[0][:50])
    with pytest.raises(ValueError, match="larger than the 8x8 images"):
        ae.reconstruction_error(load_digits()[0][:5], window=9)
    with pytest.raises(ValueError, match="window must be a positive int"):
        ae.reconstruction_error(load_digits()[0][:5], window=2.5)


def test_window_survives_save_and_load(tmp_path):
    from aekit.data import load_digits

    X, _ = load_digits()
    det = AnomalyDetector(Autoencoder(latent_dim=2, epochs=2, device="cpu"), pixel_window=2)
    det.fit(X).save(tmp_path / "det.aek")
    twin = load(tmp_path / "det.aek")
    assert twin.window_ == 2 and twin.pixel_window == 2
    np.testing.assert_array_equal(twin.score_samples(X), det.score_samples(X))


def test_window_is_the_old_name_of_pixel_window():
    from aekit.data import load_digits

    X, _ = load_digits()
    det = AnomalyDetector(Autoencoder(latent_dim=2, epochs=1, device="cpu"), window=2)
    with pytest.warns(FutureWarning, match="use pixel_window"):
        det.fit(X)
    assert det.window_ == 2
    clash = AnomalyDetector(Autoencoder(epochs=1), window=2, pixel_window=3)
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="disagree"):
        clash.fit(X)
