"""One layout rule for image arrays: channels-last when the last axis is 1, 3 or 4,
channels-first only when said; uint8 pixels in, uint8 pixels out."""

import numpy as np
import pytest

import aekit
from aekit.cli import main

CONV = dict(architecture="conv", hidden_dims=(4, 8), epochs=2, random_state=0, device="cpu")
# Trained to the noise floor of the fixture (measured: 7.6 grey levels against 34.8 for the
# mean image), in 1.4 s.
TRAINED = dict(CONV, hidden_dims=(8, 16), epochs=150, batch_size=8, learning_rate=2e-2,
               validation_fraction=0)  # fmt: skip


@pytest.fixture(scope="module")
def rgb():
    """Colour images as numpy, PIL and matplotlib hold them: (n, H, W, 3) uint8."""
    rng = np.random.default_rng(0)
    base = rng.random((40, 1, 1, 3)) * np.linspace(0, 1, 16)[None, :, None, None]
    return (255 * np.clip(base + 0.1 * rng.random((40, 16, 12, 3)), 0, 1)).astype(np.uint8)


def test_channels_last_arrays_are_read_as_colour_images(rgb):
    model = aekit.Autoencoder(4, **TRAINED).fit(rgb)
    assert model.image_shape_ == (3, 16, 12)  # not 16 channels of 12 x 3 pixels
    assert model.scaling_.mode == "unit"  # 0-255 pixels scaled by 1/255, not standardised
    rebuilt = model.inverse_transform(model.transform(rgb))
    assert rebuilt.dtype == np.uint8 and rebuilt.shape == rgb.shape
    # In pixel units, well under the error of the mean image (a model that learnt nothing).
    error = np.abs(rebuilt.astype(int) - rgb).mean()
    assert error < 0.3 * np.abs(rgb - rgb.mean(axis=0)).mean()
    # The same pixels channels-first, said so, are the same rows for the network.
    first = aekit.Autoencoder(4, **TRAINED, channels_first=True).fit(rgb.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(first.transform(rgb.transpose(0, 3, 1, 2)), model.transform(rgb))
    # Flat rows are the arrays as given, flattened; a uint8 model reads them as 0-255.
    flat = rgb.reshape(len(rgb), -1).astype(np.float32)
    np.testing.assert_allclose(model.transform(flat), model.transform(rgb), rtol=1e-6)


def test_a_shape_that_fits_neither_rule_names_the_setting():
    with pytest.raises(ValueError, match=r"last axis \(5\).*channels_first=True"):
        aekit.Autoencoder(2, **CONV).fit(np.random.default_rng(0).random((10, 8, 8, 5)))


def test_the_window_and_pictures_follow_the_layout(rgb):
    model = aekit.Autoencoder(4, **CONV).fit(rgb)
    assert model._pixel_grid() == (3, 16, 12)
    detector = aekit.AnomalyDetector(aekit.Autoencoder(4, **CONV)).fit(rgb)
    assert detector.window_ == 3 and detector.score_samples(rgb).shape == (40,)
    dense = aekit.Autoencoder(4, epochs=2, random_state=0).fit(rgb)
    assert dense._pixel_grid() == dense.image_shape_ == (3, 16, 12)  # one rule, any network


def test_save_load_and_a_memory_map_keep_the_layout(rgb, tmp_path):
    model = aekit.Autoencoder(4, **CONV).fit(rgb)
    model.save(tmp_path / "m.aek")
    twin = aekit.load(tmp_path / "m.aek")
    np.testing.assert_array_equal(twin.transform(rgb), model.transform(rgb))
    assert twin.inverse_transform(twin.transform(rgb)).dtype == np.uint8
    np.save(tmp_path / "rgb.npy", rgb)
    mapped = np.load(tmp_path / "rgb.npy", mmap_mode="r")
    streamed = aekit.Autoencoder(4, **CONV).fit(mapped)
    assert streamed.image_shape_ == (3, 16, 12) and streamed.scaling_.mode == "unit"
    np.testing.assert_allclose(streamed.transform(mapped), streamed.transform(rgb), atol=1e-6)


def test_cli_trains_a_channels_last_npy_as_colour(rgb, tmp_path, capsys):
    np.save(tmp_path / "rgb.npy", rgb)
    args = ["--model", "conv", "--epochs", "1", "--seed", "0", "--quiet", "--hidden-dims", "4"]
    assert main(["train", str(tmp_path / "rgb.npy"), "-o", str(tmp_path / "m.aek"), *args]) == 0
    assert main(["info", str(tmp_path / "m.aek")]) == 0
    info = capsys.readouterr().out
    assert "'image_shape': [3, 16, 12]" in info and "scaling     unit" in info
    first = tmp_path / "first.npy"
    np.save(first, rgb.transpose(0, 3, 1, 2))
    assert main(["train", str(first), "-o", str(tmp_path / "f.aek"), *args]) == 2
    assert "channels_first=True" in capsys.readouterr().err
    out = tmp_path / "f.aek"
    assert main(["train", str(first), "-o", str(out), *args, "--channels-first"]) == 0
    assert main(["info", str(out)]) == 0 and "[3, 16, 12]" in capsys.readouterr().out


def test_onnx_graphs_take_and_give_channels_last_pixels(rgb, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from aekit.export import export_onnx

    model = aekit.Autoencoder(4, **CONV).fit(rgb)
    encoder, decoder = export_onnx(model, tmp_path)

    def run(path, x):
        session = ort.InferenceSession(str(path))
        return session.run(None, {session.get_inputs()[0].name: x})[0]

    codes = run(encoder, rgb.astype(np.float32))  # pixels as floats, 0-255, (n, H, W, C)
    np.testing.assert_allclose(codes, model.transform(rgb), atol=1e-4)
    rebuilt = run(decoder, codes)
    assert rebuilt.shape == rgb.shape
    expected = model.inverse_transform(codes).astype(np.float32)  # rounded to uint8 there
    assert np.abs(rebuilt - expected).max() <= 0.5 + 1e-3
