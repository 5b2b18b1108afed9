"""aekit.plotting: every Display draws on small data and keeps its artists."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import aekit
from aekit.data import load_digits
from aekit.plotting import (
    AnomalyScoreDisplay,
    InterpolationDisplay,
    LatentMapDisplay,
    ManifoldDisplay,
    ReconstructionDisplay,
    SpectrogramDisplay,
    TextReconstructionDisplay,
    TrainingCurvesDisplay,
)

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def image_ae(digits):
    return aekit.Autoencoder(latent_dim=4, epochs=3, random_state=0).fit(digits[0])


@pytest.fixture(scope="module")
def image_vae(digits):
    return aekit.VariationalAutoencoder(latent_dim=3, epochs=3, random_state=0).fit(digits[0])


def new_ax():
    return Figure().add_subplot()


def test_reconstruction_grid_for_images(image_ae, digits):
    ax = new_ax()
    display = ReconstructionDisplay.from_estimator(image_ae, digits[0], n_samples=5, ax=ax)
    assert display.ax_ is ax and display.figure_ is ax.figure
    picture = display.image_.get_array()
    assert picture.shape == (2 * 8 + 1, 5 * 8 + 4)  # two rows of five 8x8 tiles, 1px gaps
    assert display.bars_ is None and display.errors_ is None
    assert [t.get_text() for t in ax.get_yticklabels()] == ["original", "reconstruction"]
    # The top row is the input itself (digits lie in [0, 1], so no rescaling).
    np.testing.assert_allclose(picture[:8, :8], digits[0][0].reshape(8, 8), atol=1e-6)


def test_reconstruction_bars_for_a_mixed_table():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"size": rng.normal(size=120), "weight": rng.normal(size=120),
         "colour": rng.choice(["red", "blue"], 120)}
    )  # fmt: skip
    model = aekit.Autoencoder(latent_dim=2, epochs=3, random_state=0).fit(frame)
    display = ReconstructionDisplay.from_estimator(model, frame, ax=new_ax())
    assert display.image_ is None and len(display.bars_) == 3
    assert display.errors_.shape == (3,) and np.all(display.errors_ >= 0)
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == ["size", "weight", "colour"]


def test_reconstruction_errors_are_zero_for_a_perfect_copy():
    X = np.random.default_rng(0).normal(size=(20, 3))
    display = ReconstructionDisplay(X, X.copy()).plot(ax=new_ax())
    np.testing.assert_array_equal(display.errors_, 0.0)


def test_latent_map_coloured_by_class(image_ae, digits):
    X, y = digits
    display = LatentMapDisplay.from_estimator(image_ae, X, y, ax=new_ax())
    assert display.scatter_.get_offsets().shape == (len(X), 2)
    assert display.method == "pca" and display.colorbar_ is None
    assert [t.get_text() for t in display.legend_.get_texts()] == [str(c) for c in np.unique(y)]


def test_latent_map_uses_a_2d_code_as_it_is_and_a_colour_bar_for_numbers():
    codes = np.random.default_rng(0).normal(size=(50, 2))
    display = LatentMapDisplay.from_codes(codes, np.linspace(0, 1, 50), ax=new_ax())
    assert display.method == "code" and display.legend_ is None and display.colorbar_ is not None
    np.testing.assert_allclose(display.scatter_.get_offsets(), codes)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_latent_map_projections(method):
    codes = np.random.default_rng(0).normal(size=(40, 6))
    display = LatentMapDisplay.from_codes(codes, method=method, ax=new_ax())
    assert display.method == method and display.scatter_.get_offsets().shape == (40, 2)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_latent_map_of_codes_all_the_same_is_one_point_without_a_warning(method):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PCA's explained variance would divide 0 by 0
        display = LatentMapDisplay.from_codes(np.full((20, 6), 3.0), method=method, ax=new_ax())
    np.testing.assert_array_equal(display.scatter_.get_offsets(), np.zeros((20, 2)))


def test_latent_map_bad_input():
    with pytest.raises(ValueError, match="method must be one of"):
        LatentMapDisplay.from_codes(np.zeros((5, 3)), method="mds")
    with pytest.raises(ValueError, match="labels for 5 samples"):
        LatentMapDisplay.from_codes(np.zeros((5, 3)), [1, 2])
    with pytest.raises(ValueError, match="non-empty 2-D"):
        LatentMapDisplay.from_codes(np.zeros(5))


def test_training_curves(image_ae):
    display = TrainingCurvesDisplay.from_estimator(image_ae, ax=new_ax())
    assert set(display.lines_) == {"train_loss", "val_loss", "learning_rate"}
    np.testing.assert_allclose(
        display.lines_["train_loss"].get_ydata(), image_ae.history_["train_loss"]
    )
    assert display.lr_ax_ is not display.ax_


def test_training_curves_without_validation_and_unfitted():
    history = {"epoch": [1, 2], "train_loss": [2.0, 1.0], "val_loss": [np.nan, np.nan],
               "learning_rate": [1e-3, 1e-4], "time": [0.1, 0.2]}  # fmt: skip
    assert set(TrainingCurvesDisplay(history).plot(ax=new_ax()).lines_) == {
        "train_loss", "learning_rate"}  # fmt: skip
    with pytest.raises(ValueError, match="not fitted"):
        TrainingCurvesDisplay.from_estimator(aekit.Autoencoder())


def test_manifold_grid_of_a_vae(image_vae):
    display = ManifoldDisplay.from_estimator(image_vae, dims=(0, 2), n_steps=4, ax=new_ax())
    assert display.image_.get_array().shape == (4 * 9 - 1, 4 * 9 - 1)
    assert display.values.shape == (4,) and display.values[0] < 0 < display.values[-1]


def test_manifold_refuses_what_it_cannot_draw(image_ae, image_vae):
    with pytest.raises(ValueError, match="prior"):
        ManifoldDisplay.from_estimator(image_ae)
    with pytest.raises(ValueError, match="two different latent units"):
        ManifoldDisplay.from_estimator(image_vae, dims=(1, 1))
    tables = aekit.VariationalAutoencoder(latent_dim=2, epochs=1).fit(np.random.rand(30, 5))
    with pytest.raises(ValueError, match="not fitted on images"):
        ManifoldDisplay.from_estimator(tables)


def test_interpolation_strip_ends_at_the_two_reconstructions(image_ae, digits):
    X = digits[0]
    display = InterpolationDisplay.from_estimator(image_ae, X[0], X[1], n_steps=5, ax=new_ax())
    strip = np.asarray(display.images)
    ends = image_ae.inverse_transform(image_ae.transform(X[:2]))
    np.testing.assert_allclose(strip[[0, -1]], ends.reshape(2, -1), atol=1e-5)
    assert display.image_.get_array().shape == (8, 5 * 9 - 1)


def test_anomaly_histogram_with_threshold_and_truth():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(150, 4)), 8 + rng.normal(size=(5, 4))])
    truth = np.r_[np.ones(150), -np.ones(5)].astype(int)
    det = aekit.AnomalyDetector(aekit.Autoencoder(latent_dim=2, epochs=5, random_state=0))
    det.fit(X[:150])
    display = AnomalyScoreDisplay.from_estimator(det, X, truth, ax=new_ax())
    assert set(display.patches_) == {"inliers", "outliers"}
    assert display.threshold_line_.get_xdata()[0] == pytest.approx(-det.offset_)
    assert np.all(display.errors[-5:] > display.threshold)  # the far points lie past it


def test_text_table_marks_the_differing_words():
    display = TextReconstructionDisplay(
        ["really need chipotle today", "lol"], ["really need chiple", "lol"]
    ).plot(ax=new_ax())
    assert display.n_differing_ == 1
    words = [[t.get_text().strip() for t in row] for row in display.words_]
    assert words == [["really", "need", "chiple"], ["lol"]]
    assert display.words_[0][2].get_color() != display.words_[0][0].get_color()


def test_text_table_from_a_text_model():
    posts = ["hi all", "lol", "brb"] * 4
    model = aekit.TextAutoencoder(latent_dim=4, hidden_dim=16, epochs=2, synthetic=0,
                                  validation_fraction=0, random_state=0).fit(posts)  # fmt: skip
    display = TextReconstructionDisplay.from_estimator(model, posts, n_samples=3, ax=new_ax())
    assert display.texts == posts[:3] and len(display.words_) == 3


def test_spectrograms_keep_their_values():
    S = np.random.default_rng(0).normal(size=(2, 10, 6))
    display = SpectrogramDisplay(S, S + 1).plot(ax=new_ax())
    picture = display.image_.get_array()
    assert picture.shape == (21, 13) and display.colorbar_ is not None
    np.testing.assert_allclose(picture[:10, :6], S[0][::-1])  # low bands at the bottom
    np.testing.assert_allclose(picture[11:, :6], S[0][::-1] + 1)


def test_spectrograms_from_an_audio_model(tiny_audio):
    model, clips = tiny_audio
    display = SpectrogramDisplay.from_estimator(model, clips, n_samples=2, ax=new_ax())
    assert np.asarray(display.originals).shape == (2, *model.spectrogram_shape_)


def test_a_new_figure_when_no_axes_is_given(image_ae):
    display = TrainingCurvesDisplay.from_estimator(image_ae)
    assert display.figure_ is display.ax_.figure
