"""Model files written by aekit before the second architecture step (main 256ec1d)
still load: their headers are rewritten here into that format (the spellings and state
that main wrote then), and what loads must do what the current model does."""

import json
import warnings

import numpy as np
import pytest
import torch

import aekit
from test_bottleneck import CASES, FAST, _digits, _tones


def _rewrite_header(path, edit):
    """The model file at ``path`` with its aekit header changed by ``edit`` (as a file
    written by an earlier aekit would hold it)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(path), "pt") as f:
        header = json.loads(f.metadata()["aekit"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    edit(header)
    save_file(tensors, str(path), metadata={"aekit": json.dumps(header)})


def _as_before(params):
    """Parameters as main wrote them before bottleneck="gaussian" was every estimator's."""
    for name in ("bottleneck", "free_bits", "sparsity_target"):
        params.pop(name, None)
    params["variational"] = True


@pytest.mark.parametrize("name", ["SeriesAutoencoder", "TextAutoencoder"])
def test_a_variational_model_file_of_the_old_spelling_loads(name, tmp_path):
    make, data = CASES[name]
    model = make(bottleneck="gaussian").fit(data())
    model.save(tmp_path / "m.aek")
    _rewrite_header(tmp_path / "m.aek", lambda h: _as_before(h["params"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading an old file is no deprecation
        old = aekit.load(tmp_path / "m.aek")
    assert old.has_prior and old.bottleneck == "gaussian" and old.variational == "deprecated"
    np.testing.assert_array_equal(np.asarray(old.transform(data())),
                                  np.asarray(model.transform(data())))  # fmt: skip


def test_a_detector_file_with_the_old_window_loads(tmp_path):
    X = _digits()
    det = aekit.AnomalyDetector(aekit.Autoencoder(latent_dim=2, **FAST), pixel_window=2).fit(X)
    det.save(tmp_path / "d.aek")

    def before(header):
        header["params"]["window"] = header["params"].pop("pixel_window")

    _rewrite_header(tmp_path / "d.aek", before)
    old = aekit.load(tmp_path / "d.aek")
    assert old.pixel_window == 2 and old.window == "deprecated" and old.window_ == 2
    np.testing.assert_array_equal(old.score_samples(X), det.score_samples(X))
    assert torch.equal(
        next(iter(old.autoencoder_.network_.state_dict().values())),
        next(iter(det.autoencoder_.network_.state_dict().values())),
    )


@pytest.mark.parametrize(
    "X, params",
    [
        (np.random.default_rng(0).random((40, 4, 4, 3)), {}),  # image arrays, dense
        (np.random.default_rng(0).random((40, 64)), {}),  # square rows: grey 8 x 8
        (
            np.random.default_rng(0).random((40, 64)),
            {"architecture": "conv", "hidden_dims": (2,)},
        ),  # fmt: skip
        (np.random.default_rng(0).random((40, 10)), {}),  # no picture
    ],
    ids=["image-arrays", "square-rows", "conv", "rows"],
)
def test_an_array_model_file_without_the_pixel_grid_loads(X, params, tmp_path):
    """Files of main 256ec1d have no "grid": it is decided from the shapes they hold."""
    model = aekit.Autoencoder(latent_dim=2, **FAST, **params).fit(X)
    model.save(tmp_path / "m.aek")
    _rewrite_header(tmp_path / "m.aek", lambda h: h["state"].pop("grid"))
    old = aekit.load(tmp_path / "m.aek")
    assert old._pixel_grid() == model._pixel_grid()
    assert old._picture_shape() == model._picture_shape()
    np.testing.assert_array_equal(old.reconstruct(X), model.reconstruct(X))


def test_an_audio_model_file_of_flat_spectrogram_rows_loads(tmp_path):
    """main 256ec1d gave the model inside flat rows and set its image_shape: such a file
    reads the same clips to the same codes."""
    pytest.importorskip("librosa")
    clips = _tones()
    model = aekit.AudioAutoencoder(latent_dim=3, sample_rate=8000, **FAST).fit(clips)
    model.save(tmp_path / "a.aek")
    mels, frames = model.spectrogram_shape_

    def before(header):
        inner = header["state"]["autoencoder"]
        inner["params"]["image_shape"] = [1, mels, frames]
        inner["state"]["input_shape"] = None
        inner["state"].pop("grid")

    _rewrite_header(tmp_path / "a.aek", before)
    old = aekit.load(tmp_path / "a.aek")
    assert old.autoencoder_.input_shape_ is None  # flat rows, as then
    np.testing.assert_array_equal(old.transform(clips), model.transform(clips))
    codes = model.transform(clips[:2])
    np.testing.assert_array_equal(old.decode_spectrograms(codes), model.decode_spectrograms(codes))
