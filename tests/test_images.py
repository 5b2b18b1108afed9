"""ImageAutoencoder: images as users hold them (folders, paths, PIL, arrays), in and out."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import aekit
from aekit.images.input import ImageSpec, convert_channels, fit_size
from aekit.images.quality import psnr, ssim

FAST = dict(epochs=2, random_state=0, device="cpu", hidden_dims=(4, 8))


@pytest.fixture(scope="module")
def pictures() -> np.ndarray:
    """24 small colour pictures (16 x 12): a coloured disc on a shaded background."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:16, :12]
    out = []
    for _ in range(24):
        cy, cx, r = rng.uniform(4, 12), rng.uniform(3, 9), rng.uniform(2, 5)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r)[..., None]
        shade = (yy[..., None] * 8 + rng.integers(0, 60, 3)).clip(0, 255)
        out.append(np.where(disc, rng.integers(0, 256, 3), shade))
    return np.asarray(out, dtype=np.uint8)


@pytest.fixture(scope="module")
def folder(pictures, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("photos")
    (root / "sub").mkdir()
    for i, image in enumerate(pictures):
        where = root / "sub" if i % 3 == 0 else root  # searched recursively
        Image.fromarray(image).save(where / f"img{i:02d}.png")
    (root / "notes.txt").write_text("not an image")
    return root


@pytest.fixture(scope="module")
def model(pictures) -> aekit.ImageAutoencoder:
    return aekit.ImageAutoencoder(latent_dim=6, **FAST).fit(pictures)


def _files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*.png"))


# ---------------------------------------------------------------- input forms
def test_every_input_form_gives_the_same_codes_for_the_same_pixels(model, pictures, folder):
    files = _files(folder)
    order = [int(Path(f).stem[3:]) for f in files]  # the folder's order: sorted paths
    expected = model.transform(pictures[order])
    assert np.array_equal(model.transform(str(folder)), expected)
    assert np.array_equal(model.transform(files), expected)
    assert np.array_equal(model.transform([Image.open(f) for f in files]), expected)
    assert np.array_equal(model.transform(list(pictures[order])), expected)
    floats = pictures[order].astype(np.float32) / 255
    np.testing.assert_allclose(model.transform(floats), expected, atol=1e-5)
    first = aekit.ImageAutoencoder(latent_dim=6, channels_first=True, **FAST).fit(
        pictures.transpose(0, 3, 1, 2)
    )
    assert first.image_spec_.size == (16, 12) and first.image_spec_.channels == "RGB"
    np.testing.assert_array_equal(
        first.transform(pictures.transpose(0, 3, 1, 2)),
        first.transform([Image.fromarray(p) for p in pictures]),
    )
    with pytest.raises(ValueError, match="C = 16 is not 1, 3 or 4 channels"):
        first.transform(pictures)


def test_channels_last_arrays_are_not_misread(pictures):
    # (n, H, W, 3) is colour H x W, whatever H and W are (the misread of the issue).
    big = np.repeat(np.repeat(pictures[:8], 4, axis=1), 4, axis=2)  # (8, 64, 48, 3)
    model = aekit.ImageAutoencoder(latent_dim=4, **FAST).fit(big)
    assert model.image_spec_.size == (64, 48) and model.image_spec_.channels == "RGB"
    assert model.image_shape_ == (3, 64, 48)
    assert model.inverse_transform(model.transform(big)).shape == big.shape


def test_round_trip_gives_uint8_images_close_to_the_input(pictures):
    model = aekit.ImageAutoencoder(latent_dim=16, epochs=60, batch_size=4, random_state=0,
                                   device="cpu", hidden_dims=(16, 32), validation_fraction=0,
                                   ).fit(pictures)  # fmt: skip
    rebuilt = model.reconstruct(pictures)
    assert rebuilt.dtype == np.uint8 and rebuilt.shape == pictures.shape
    mean_image = np.broadcast_to(pictures.mean(0).round().astype(np.uint8), pictures.shape)
    # Better than the mean picture, the baseline that knows nothing of each image.
    assert psnr(pictures, rebuilt).mean() > psnr(pictures, mean_image).mean() + 2


def test_save_and_load_keep_codes_and_the_image_rule(model, folder, tmp_path):
    path = tmp_path / "m.aek"
    model.save(path)
    twin = aekit.load(path)
    assert twin.image_spec_ == model.image_spec_
    assert np.array_equal(twin.transform(str(folder)), model.transform(str(folder)))
    assert np.array_equal(twin.reconstruct(str(folder)), model.reconstruct(str(folder)))


# ---------------------------------------------------------------- the image rule
def test_image_size_defaults_to_the_most_common_and_others_are_resized(pictures, tmp_path, capsys):
    for i, image in enumerate(pictures[:5]):
        Image.fromarray(image).save(tmp_path / f"{i}.png")
    Image.fromarray(pictures[0]).resize((24, 32)).save(tmp_path / "big.png")
    Image.fromarray(pictures[0][:1, :1]).save(tmp_path / "dot.png")  # a 1 x 1 image
    model = aekit.ImageAutoencoder(latent_dim=2, verbose=True, **FAST).fit(str(tmp_path))
    assert model.image_spec_.size == (16, 12)
    assert model.pixels(str(tmp_path)).shape == (7, 16, 12, 3)
    err = capsys.readouterr().err
    assert err.count("2 of 7 images are not 16x12: brought to it by resize='crop'") == 1


def _spec(size, resize="crop", channels="RGB", background=(255, 255, 255)):
    return ImageSpec(size, channels, resize, background)


def test_resize_rules_against_hand_made_pictures():
    image = np.zeros((4, 8, 3), np.uint8)
    image[:, :4] = (255, 0, 0)  # left half red, right half blue
    image[:, 4:] = (0, 0, 255)
    crop = fit_size(image, _spec((4, 4), "crop"))  # the centre 4 x 4: 2 red, 2 blue columns
    assert (crop[:, :2] == (255, 0, 0)).all() and (crop[:, 2:] == (0, 0, 255)).all()
    pad = fit_size(image, _spec((8, 8), "pad"))  # the image in rows 2-5, white above and below
    assert (pad[:2] == 255).all() and (pad[6:] == 255).all()
    assert (pad[2:6, 0] == (255, 0, 0)).all() and (pad[2:6, 7] == (0, 0, 255)).all()
    stretch = fit_size(image, _spec((8, 4), "stretch"))
    assert stretch.shape == (8, 4, 3)
    assert (stretch[:, 0] == (255, 0, 0)).all() and (stretch[:, 3] == (0, 0, 255)).all()


def test_transparent_pixels_lie_on_the_background_unless_alpha_is_kept():
    rgba = np.array([[[255, 0, 0, 128], [0, 0, 255, 0]]], np.uint8)  # half red, clear blue
    on_white = convert_channels(rgba, _spec((1, 2)))
    # 255 * a + 255 * (1 - a) for red; 0 * a + 255 * (1 - a) for green and blue.
    a = 128 / 255
    assert on_white[0, 0].tolist() == [255, round(255 * (1 - a)), round(255 * (1 - a))]
    assert on_white[0, 1].tolist() == [255, 255, 255]
    on_black = convert_channels(rgba, _spec((1, 2), background=(0, 0, 0)))
    assert on_black[0, 0].tolist() == [128, 0, 0]
    kept = convert_channels(rgba, _spec((1, 2), channels="RGBA"))
    assert np.array_equal(kept, rgba)
    grey = convert_channels(np.array([[[255, 0, 0]]], np.uint8), _spec((1, 1), channels="L"))
    assert grey[0, 0, 0] == 76  # Pillow's luma: 0.299 * 255


def test_channels_auto_is_grey_for_grey_files_and_rgb_when_any_has_colour(pictures, tmp_path):
    grey = tmp_path / "grey"
    grey.mkdir()
    for i, image in enumerate(pictures[:4]):
        Image.fromarray(image).convert("L").save(grey / f"{i}.png")
    model = aekit.ImageAutoencoder(latent_dim=2, **FAST).fit(str(grey))
    assert model.image_spec_.channels == "L"
    assert model.reconstruct(str(grey)).shape == (4, 16, 12, 1)
    Image.fromarray(pictures[5]).save(grey / "colour.png")
    assert aekit.ImageAutoencoder(latent_dim=2, **FAST).fit(str(grey)).image_spec_.channels == "RGB"


def test_files_of_every_kind_read_as_their_pixels(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    spec = _spec((8, 8))
    # A palette image gives its colours.
    palette = Image.fromarray(rgb).quantize(16)
    palette.save(tmp_path / "p.png")
    expected = np.asarray(palette.convert("RGB"))
    assert np.array_equal(spec.apply(_source(tmp_path / "p.png")), expected)
    # A 16-bit grey PNG is scaled to 8 bits: 65535 -> 255, 32896 -> 128.
    wide = np.array([[65535, 32896], [0, 257]], np.uint16)
    Image.fromarray(wide).save(tmp_path / "16.png")
    got = _spec((2, 2), channels="L").apply(_source(tmp_path / "16.png"))
    assert got[..., 0].tolist() == [[255, 128], [0, 1]]
    # A CMYK JPEG becomes RGB, as Pillow converts it.
    cmyk = Image.fromarray(rgb).convert("CMYK")
    cmyk.save(tmp_path / "c.jpg", quality=95)
    expected = np.asarray(Image.open(tmp_path / "c.jpg").convert("RGB"))
    assert np.array_equal(spec.apply(_source(tmp_path / "c.jpg")), expected)
    # The first frame of a GIF.
    frames = [Image.fromarray(np.full((8, 8, 3), v, np.uint8)) for v in (0, 255)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert (spec.apply(_source(tmp_path / "a.gif")) == 0).all()


def _source(path):
    from aekit.images.input import Source

    return Source(None, str(path))


# ---------------------------------------------------------------- bad input
def test_bad_input_is_a_clear_error(pictures, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="the folder is empty"):
        aekit.ImageAutoencoder(**FAST).fit(str(empty))
    (empty / "readme.md").write_text("x")
    with pytest.raises(ValueError, match="holds no image file"):
        aekit.ImageAutoencoder(**FAST).fit(str(empty))
    with pytest.raises(ValueError, match="no such image file or folder"):
        aekit.ImageAutoencoder(**FAST).fit(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=r"float pixels must lie in \[0, 1\]"):
        aekit.ImageAutoencoder(**FAST).fit(pictures.astype(np.float32))
    with pytest.raises(ValueError, match="not 1, 3 or 4 channels"):
        aekit.ImageAutoencoder(**FAST).fit(np.zeros((4, 3, 16, 16), np.uint8))
    with pytest.raises(ValueError, match=r"smallest image it takes is 8x8"):
        aekit.ImageAutoencoder(latent_dim=2, epochs=1, hidden_dims=(4, 4, 4, 4),
                               architecture="resconv", image_size=4).fit(pictures)  # fmt: skip
    with pytest.raises(ValueError, match="latent_shape is a setting of architecture='resconv'"):
        aekit.ImageAutoencoder(latent_dim=8, latent_shape=(2, 2, 2), **FAST).fit(pictures)
    with pytest.raises(ValueError, match=r"latent_shape=\(2, 4, 3\) holds 24 values"):
        aekit.ImageAutoencoder(latent_dim=8, latent_shape=(2, 4, 3), architecture="resconv",
                               **FAST).fit(pictures)  # fmt: skip


def test_a_failed_fit_keeps_the_previous_model(model, pictures):
    before = model.transform(pictures[:3])
    with pytest.raises(ValueError, match="smallest image"):
        model.set_params(image_size=2, hidden_dims=(4, 4, 4), architecture="resconv").fit(pictures)
    model.set_params(image_size=None, hidden_dims=(4, 8), architecture="conv")
    assert np.array_equal(model.transform(pictures[:3]), before)


def test_a_truncated_file_is_named(pictures, tmp_path):
    Image.fromarray(pictures[0]).save(tmp_path / "good.png")
    data = (tmp_path / "good.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.png: damaged or truncated image"):
        aekit.ImageAutoencoder(**FAST).fit(str(tmp_path))
    (tmp_path / "cut.png").write_bytes(b"not a png at all")
    with pytest.raises(ValueError, match=r"cut\.png: not an image Pillow can read"):
        aekit.ImageAutoencoder(**FAST).fit(str(tmp_path))


# ---------------------------------------------------------------- the family
def test_the_psnr_loss_is_the_mean_of_each_images_log_error():
    from aekit.objective.reconstruction import LogMSE

    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    out = torch.tensor([[0.1, 0.1], [1.0, 0.0]])  # per-image MSE 0.01 and 0.5
    hand = (np.log(0.01 + 1e-5) + np.log(0.5 + 1e-5)) / 2
    loss = LogMSE().loss(out, x)
    assert loss.item() == pytest.approx(hand, rel=1e-6)
    # MSE would average the errors first: (0.01 + 0.5) / 2, led by the worse image.
    assert loss.item() != pytest.approx(np.log((0.01 + 0.5) / 2), rel=1e-3)


def test_images_default_to_the_psnr_loss(pictures):
    assert aekit.ImageAutoencoder(latent_dim=4, **FAST).fit(pictures).loss_ == "psnr"
    flat = aekit.Autoencoder(architecture="conv", latent_dim=4, epochs=1).fit(pictures)
    assert flat.loss_ == "mse"


def test_a_vae_refuses_the_psnr_loss(pictures):
    with pytest.raises(ValueError, match="loss='psnr' is not a likelihood"):
        aekit.ImageAutoencoder(latent_dim=4, bottleneck="gaussian", loss="psnr", **FAST).fit(
            pictures
        )
    with pytest.raises(ValueError, match="loss='psnr' is not a likelihood"):
        aekit.VariationalAutoencoder(latent_dim=2, loss="psnr", epochs=1).fit(np.eye(4))


def test_family_settings_and_the_spatial_code(pictures):
    vae = aekit.ImageAutoencoder(latent_dim=4, bottleneck="gaussian", **FAST).fit(pictures)
    assert vae.has_prior and vae.loss_ == "bce"
    drawn = vae.sample(5, random_state=0)
    assert drawn.shape == (5, 16, 12, 3) and drawn.dtype == np.uint8
    with pytest.raises(ValueError, match='bottleneck="gaussian"'):
        aekit.ImageAutoencoder(latent_dim=4, **FAST).fit(pictures).sample(2)
    spatial = aekit.ImageAutoencoder(
        latent_dim=24,
        latent_shape=(2, 4, 3),
        architecture="resconv",
        **{**FAST, "hidden_dims": (4, 8, 8)},
    ).fit(pictures)
    assert spatial.transform(pictures).shape == (24, 24)


def test_noise_sparsity_and_contractive_each_act_on_images(pictures):
    """Against a plain model of the same seed (the same start, the same batches), each
    setting changes what it names: corrupted inputs cost more while training, the L1
    penalty shrinks the code, the contractive one the encoder's Jacobian."""
    import torch

    from aekit.objective.penalties import jacobian_sq_norm

    settings = dict(latent_dim=4, **{**FAST, "epochs": 10, "batch_size": 4}, loss="mse")
    plain = aekit.ImageAutoencoder(**settings).fit(pictures)
    noisy = aekit.ImageAutoencoder(**settings, noise=0.9, noise_type="masking").fit(pictures)
    losses = [np.array(m.history_["train_loss"][2:]) for m in (noisy, plain)]
    assert np.all(losses[0] > losses[1]), losses  # measured on the corrupted inputs
    sparse = aekit.ImageAutoencoder(**settings, sparsity=1.0).fit(pictures)
    code = [np.abs(m.transform(pictures)).sum(axis=1).mean() for m in (sparse, plain)]
    assert code[0] < 0.1 * code[1]
    contractive = aekit.ImageAutoencoder(**settings, contractive=10.0).fit(pictures)

    def jacobian(model):  # of the code, at the rows the network reads
        rows = model.scaling_.transform(model.input_.check(model, model.pixels(pictures)))
        x = torch.as_tensor(np.asarray(rows), dtype=torch.float32)
        return float(jacobian_sq_norm(model.network_.encode, x).mean().detach())

    assert jacobian(contractive) < 0.1 * jacobian(plain)


def test_the_detector_scores_each_image_with_a_window_per_channel(pictures):
    import torch
    import torch.nn.functional as F

    det = aekit.AnomalyDetector(aekit.ImageAutoencoder(latent_dim=4, **FAST),
                                contamination=0.1).fit(pictures)  # fmt: skip
    assert det.window_ == 3
    scores = det.score_samples(pictures)
    model = det.autoencoder_
    # By hand: the residual of the [0, 1] pixels, averaged over 3x3 per channel, squared.
    x = pictures.transpose(0, 3, 1, 2) / 255.0
    logits = model.network_.decode(torch.as_tensor(model.transform(pictures), dtype=torch.float32))
    out = torch.sigmoid(logits).detach().numpy().reshape(x.shape)
    pooled = F.avg_pool2d(torch.as_tensor(out - x), 3, stride=1).numpy()
    np.testing.assert_allclose(-scores, (pooled**2).reshape(len(x), -1).mean(1), rtol=1e-4)
    assert set(np.unique(det.predict(pictures))) <= {1, -1}


# ---------------------------------------------------------------- quality figures
def test_psnr_and_ssim_agree_with_hand_computed_cases():
    a = np.zeros((1, 8, 8), np.uint8)
    b = np.full((1, 8, 8), 51, np.uint8)  # every pixel off by 0.2: MSE 0.04
    assert psnr(a, b)[0] == pytest.approx(10 * np.log10(1 / 0.04))
    assert psnr(a, a)[0] == np.inf
    assert ssim(b, b)[0] == pytest.approx(1.0)
    # Flat images: no variance, so SSIM is the luminance term (2ab + c1) / (a^2 + b^2 + c1).
    c1, x, y = 0.01**2, 0.2, 0.6
    flat = np.full((1, 8, 8), 153, np.uint8)
    assert ssim(b, flat)[0] == pytest.approx((2 * x * y + c1) / (x * x + y * y + c1))


def test_ssim_of_a_textured_image_and_its_negative():
    """b = 1 - a: the same local variance, covariance -var, so the structure term
    (2 cov + c2) / (var_a + var_b + c2) is negative wherever there is texture."""
    from scipy.ndimage import gaussian_filter

    a = np.random.default_rng(0).random((2, 16, 16))
    b = 1.0 - a
    got = ssim(a, b)
    assert (got < -0.5).all()  # texture everywhere: far below 0 (the flat cases are > 0)

    def blur(x):
        return gaussian_filter(x, (0, 1.5, 1.5), truncate=3.5, mode="reflect")

    c1, c2 = 0.01**2, 0.03**2
    mu = blur(a)
    var = blur(a * a) - mu**2
    luminance = (2 * mu * (1 - mu) + c1) / (mu**2 + (1 - mu) ** 2 + c1)
    structure = (c2 - 2 * var) / (2 * var + c2)  # cov = -var, var_b = var
    np.testing.assert_allclose(got, (luminance * structure).mean(axis=(1, 2)), rtol=1e-10)
    assert ssim(b, a) == pytest.approx(got)  # symmetric in its arguments
    shifted = np.roll(a, 1, axis=2)  # the same texture one pixel over: between the two
    assert (got < ssim(a, shifted)).all() and (ssim(a, shifted) < 0.5).all()
