"""The command line with image models: train on a folder, encode with the file order,
decode to PNGs, evaluate, sample, report, --skip-bad."""

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import aekit
from aekit.cli import main

TRAIN = ["--model", "image", "--latent-dim", "4", "--hidden-dims", "4", "8", "--epochs", "2"]
TRAIN += ["--seed", "0", "--quiet"]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for i in range(12):
        image = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        Image.fromarray(image).save(folder / f"p{i:02d}.png")
    return folder


@pytest.fixture(scope="module")
def image_model(photos, tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "m.aek"
    assert main(["train", str(photos), "-o", str(model), *TRAIN, "--resize", "pad"]) == 0
    return model


def test_train_encode_decode_writes_pngs_with_the_source_names(photos, image_model, tmp_path):
    codes, out = tmp_path / "codes.npy", tmp_path / "out"
    assert main(["encode", str(image_model), str(photos), "-o", str(codes)]) == 0
    order = (tmp_path / "codes.txt").read_text().splitlines()
    assert order == sorted(str(p) for p in photos.glob("*.png"))
    model = aekit.load(image_model)
    assert model.image_spec_.resize == "pad"
    np.testing.assert_array_equal(np.load(codes), model.transform(str(photos)))
    assert main(["decode", str(image_model), str(codes), "-o", str(out)]) == 0
    written = sorted(out.glob("*.png"))
    assert [p.name for p in written] == [f"p{i:02d}.png" for i in range(12)]
    python = model.inverse_transform(np.load(codes))
    np.testing.assert_array_equal(np.asarray(Image.open(written[3])), python[3])


def test_evaluate_reports_mse_psnr_and_ssim(photos, image_model, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(image_model), str(photos), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    model = aekit.load(image_model)
    pixels = model.pixels(str(photos))
    rebuilt = model.reconstruct(pixels)
    mse = np.mean((rebuilt / 255.0 - pixels / 255.0) ** 2, axis=(1, 2, 3))
    assert figures["n_samples"] == 12
    assert figures["psnr_db"] == pytest.approx(np.mean(10 * np.log10(1 / mse)), rel=1e-6)
    from aekit.images.quality import ssim

    assert figures["ssim"] == pytest.approx(np.mean(ssim(pixels, rebuilt)), rel=1e-6)
    assert figures["mse"] == pytest.approx(np.mean(mse), rel=1e-4)  # pixels in [0, 1]


def test_sample_writes_a_grid_of_a_variational_model(photos, tmp_path):
    vae = tmp_path / "vae.aek"
    assert main(["train", str(photos), "-o", str(vae), *TRAIN, "--bottleneck", "gaussian"]) == 0
    grid = tmp_path / "grid.png"
    assert main(["sample", str(vae), "-n", "9", "-o", str(grid)]) == 0
    # 3 x 3 tiles of 16 pixels with 2-pixel gaps.
    assert Image.open(grid).size == (3 * 18 + 2, 3 * 18 + 2)


def test_skip_bad_leaves_unreadable_files_out_and_counts_them(photos, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for path in sorted(photos.glob("*.png"))[:6]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "m.aek"
    assert main(["train", str(folder), "-o", str(out), *TRAIN]) == 2
    assert "broken.png" in capsys.readouterr().err
    assert main(["train", str(folder), "-o", str(out), *TRAIN, "--skip-bad"]) == 0
    assert "skipped 1 unreadable image file(s)" in capsys.readouterr().err
    codes = tmp_path / "codes.npy"
    assert main(["encode", str(out), str(folder), "-o", str(codes), "--skip-bad"]) == 0
    assert np.load(codes).shape == (6, 4)
    assert "broken" not in (tmp_path / "codes.txt").read_text()


def test_report_and_info_describe_the_images(photos, image_model, tmp_path, capsys):
    report = tmp_path / "r.html"
    assert main(["report", str(image_model), str(photos), "-o", str(report)]) == 0
    html = report.read_text()
    assert "PSNR" in html and "worst-reconstructed" in html
    capsys.readouterr()
    assert main(["info", str(image_model)]) == 0
    assert "16x16 RGB, resize pad" in capsys.readouterr().out


def test_a_detector_on_images_scores_each_file(photos, tmp_path):
    det = tmp_path / "det.aek"
    assert main(["train", str(photos), "-o", str(det), *TRAIN, "--contamination", "0.1"]) == 0
    scores = tmp_path / "scores.csv"
    assert main(["score", str(det), str(photos), "-o", str(scores)]) == 0
    table = pd.read_csv(scores)
    assert len(table) == 12  # a row per image, in the folder's (sorted) file order
    detector = aekit.load(det)
    files = sorted(str(p) for p in photos.glob("*.png"))
    np.testing.assert_allclose(table["score"], detector.score_samples(files), rtol=1e-5)
    first = detector.score_samples([files[0]])[0]  # and row 0 is the first file's
    assert table["score"][0] == pytest.approx(first, rel=1e-5)


def test_skip_bad_on_a_model_that_reads_no_files_names_those_that_do(tmp_path, capsys):
    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(0).random((20, 4)).astype(np.float32))
    model = tmp_path / "dense.aek"
    assert main(["train", str(data), "-o", str(model), "--epochs", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(model), str(data), "--skip-bad"]) == 2
    assert "it is for --model audio and image" in capsys.readouterr().err
