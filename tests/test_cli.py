"""The command line, in process (fast) and once as a real subprocess."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.cli import main

TRAIN = ["--epochs", "30", "--batch-size", "32", "--hidden-dims", "16", "--seed", "0", "--quiet"]


@pytest.fixture
def csv_table(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(120, 2))
    X = np.hstack([base, base @ rng.normal(size=(2, 3))])
    path = tmp_path / "table.csv"
    pd.DataFrame(X, columns=["a", "b", "c", "d", "e"]).to_csv(path, index=False)
    return path, X


def test_csv_round_trip(tmp_path, csv_table, capsys):
    path, X = csv_table
    model, codes, out = tmp_path / "m.aek", tmp_path / "codes.npy", tmp_path / "out.csv"
    assert main(["train", str(path), "-o", str(model), "--latent-dim", "2", *TRAIN]) == 0
    assert main(["encode", str(model), str(path), "-o", str(codes)]) == 0
    Z = np.load(codes)
    assert Z.shape == (120, 2)
    assert main(["decode", str(model), str(codes), "-o", str(out)]) == 0
    back = pd.read_csv(out)
    assert list(back.columns) == ["a", "b", "c", "d", "e"]
    assert back.shape == X.shape
    # Same answer as the Python API on the saved model.
    ae = aekit.load(model)
    np.testing.assert_allclose(back.to_numpy(), ae.inverse_transform(Z), rtol=1e-6)
    assert np.mean((back.to_numpy() - X) ** 2) < 0.5 * X.var()
    capsys.readouterr()
    assert main(["evaluate", str(model), str(path), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_samples"] == 120
    assert metrics["reconstruction_mse"] == pytest.approx(-ae.score(pd.read_csv(path)), rel=1e-5)
    assert main(["info", str(model)]) == 0
    assert "Autoencoder" in capsys.readouterr().out


def test_headerless_csv_npy_and_codes_as_csv(tmp_path):
    X = np.random.default_rng(0).random((50, 6))
    np.savetxt(tmp_path / "x.csv", X, delimiter=",")
    np.save(tmp_path / "x.npy", X)
    model = tmp_path / "m.aek"
    assert (
        main(["train", str(tmp_path / "x.csv"), "-o", str(model), "--latent-dim", "3", *TRAIN]) == 0
    )
    assert main(["encode", str(model), str(tmp_path / "x.npy"), "-o", str(tmp_path / "z.csv")]) == 0
    assert pd.read_csv(tmp_path / "z.csv").shape == (50, 3)
    assert main(["decode", str(model), str(tmp_path / "z.csv"), "-o", str(tmp_path / "r.npy")]) == 0
    assert np.load(tmp_path / "r.npy").shape == (50, 6)


def test_existing_output_needs_force(tmp_path, csv_table, capsys):
    path, _ = csv_table
    model = tmp_path / "m.aek"
    model.write_bytes(b"precious")
    assert main(["train", str(path), "-o", str(model), *TRAIN]) == 2
    assert model.read_bytes() == b"precious"
    assert "--force" in capsys.readouterr().err
    assert main(["train", str(path), "-o", str(model), "--latent-dim", "2", "--force", *TRAIN]) == 0
    assert aekit.load(model).latent_dim == 2


@pytest.mark.parametrize(
    "argv, match",
    [
        (["train", "{missing}", "-o", "{out}"], "no such file"),
        (["train", "{nan}", "-o", "{out}"], "NaN"),
        (["train", "{data}", "-o", "{out}", "--epochs", "0"], "epochs"),
        (["train", "{data}", "-o", "{out}", "--learning-rate", "-1"], "learning_rate"),
        (["train", "{missing}", "-o", "{out}", "--epochs", "0"], "epochs"),  # flags first
        (["encode", "{garbage}", "{data}", "-o", "{out}"], "not an aekit model file"),
        (["encode", "{model}", "{narrow}", "-o", "{out}"], "features"),
        (["decode", "{model}", "{narrow}", "-o", "{out}"], "latent_dim"),
        (["evaluate", "{missing}", "{data}"], "no such model file"),
        (["info", "{garbage}"], "not an aekit model file"),
        (["encode", "{model}", "{data}", "-o", "{out}.txt"], "unknown output format"),
        (["train", "{data}", "-o", "{out}", "--sparsity", "-1"], "sparsity"),
        (["train", "{data}", "-o", "{out}", "--noise", "1", "--noise-type", "masking"], "masking"),
        (["train", "{data}", "-o", "{out}", "--beta", "2"], "beta is a setting of a variational"),
        (["train", "{data}", "-o", "{out}", "--model", "vae", "--sparsity-target", "0.1"], "sigm"),
        (["train", "{data}", "-o", "{out}", "--model", "vae", "--kl-warmup", "2"], "kl_warmup"),
        (["train", "{data}", "-o", "{out}", "--model", "conv", "--architecture", "dense"], "dis"),
        (["sample", "{model}", "-o", "{out}"], "cannot sample"),
        (["sample", "{model}", "-n", "0", "-o", "{out}"], "positive"),
        (["sample", "{missing}", "-o", "{out}"], "no such model file"),
        (["train", "{data}", "-o", "{out}", "--contamination", "lots"], "contamination"),
        (["train", "{data}", "-o", "{out}", "--contamination", "0.9"], "contamination"),
        (["train", "{data}", "-o", "{out}", "--pixel-window", "3"], "give --contamination"),
        (
            ["train", "{data}", "-o", "{out}", "--contamination", "auto", "--pixel-window", "x"],
            "pixel-window",
        ),
        (
            ["train", "{data}", "-o", "{out}", "--contamination", "auto", "--pixel-window", "0"],
            "pixel_window",
        ),
        (["score", "{model}", "{narrow}", "-o", "{out}"], "features"),
        (["score", "{model}", "{data}", "-o", "{out}.txt"], "unknown output format"),
    ],
)
def test_errors_are_one_line_exit_2(tmp_path, capsys, argv, match):
    rng = np.random.default_rng(0)
    files = {
        "missing": tmp_path / "missing.npy",
        "out": tmp_path / "out.npy",
        "data": tmp_path / "data.npy",
        "nan": tmp_path / "nan.npy",
        "narrow": tmp_path / "narrow.npy",
        "garbage": tmp_path / "garbage.aek",
        "model": tmp_path / "model.aek",
    }
    np.save(files["data"], rng.random((30, 4)))
    np.save(files["nan"], np.array([[1.0, np.nan], [2.0, 3.0]]))
    np.save(files["narrow"], rng.random((30, 7)))
    files["garbage"].write_bytes(b"\x00" * 64)
    aekit.Autoencoder(latent_dim=2, epochs=1).fit(rng.random((30, 4))).save(files["model"])
    code = main([a.format(**files) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert match in err
    assert not files["out"].exists()


def test_demo_writes_model_and_png(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--max-time", "3", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "PCA" in text and "test MSE" in text
    assert (out / "reconstructions.png").read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "aekit report: Autoencoder on digits" in report and "label accuracy" in report
    assert aekit.load(out / "model.aek").latent_dim == 8
    assert main(["demo", "-o", str(out), "--max-time", "1", "--quiet"]) == 2  # no silent overwrite


def test_progress_bar_on_request_and_quiet_otherwise(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((60, 4)))
    base = ["train", str(tmp_path / "x.npy"), "--epochs", "3", "--latent-dim", "2"]
    assert main([*base, "-o", str(tmp_path / "a.aek"), "--verbose", "--max-time", "60"]) == 0
    bar = capsys.readouterr().err
    assert all(f"{key}=" in bar for key in ("epoch", "loss", "val_loss", "time_left")), bar
    assert main([*base, "-o", str(tmp_path / "b.aek")]) == 0  # stderr is not a terminal
    assert capsys.readouterr().err == ""
    assert main([*base, "-o", str(tmp_path / "c.aek"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_console_script_runs_as_a_subprocess(tmp_path):
    X = np.random.default_rng(0).random((40, 5))
    np.save(tmp_path / "x.npy", X)
    cmd = [
        sys.executable,
        "-m",
        "aekit",
        "train",
        str(tmp_path / "x.npy"),
        "-o",
        str(tmp_path / "m.aek"),
        "--epochs",
        "2",
        "--quiet",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    bad = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "already exists" in bad.stderr


def test_usage_mistakes_are_one_line_too(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "data.npy"])  # no -o
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "-o/--output" in err and "--help" in err


def test_train_variants_and_sample(tmp_path, capsys):
    vae, conv = tmp_path / "vae.aek", tmp_path / "conv.aek"
    fast = ["--epochs", "3", "--seed", "0", "--quiet"]
    assert main(["train", "digits", "-o", str(vae), "--model", "vae", "--beta", "0.5", *fast]) == 0
    assert isinstance(aekit.load(vae), aekit.VariationalAutoencoder)
    assert aekit.load(vae).beta == 0.5
    argv = ["--model", "conv", "--noise", "0.3", "--noise-type", "salt_pepper"]
    argv += ["--sparsity", "1e-4"]
    assert main(["train", "digits", "-o", str(conv), *argv, *fast]) == 0
    model = aekit.load(conv)
    assert (model.architecture, model.noise, model.noise_type) == ("conv", 0.3, "salt_pepper")

    png, npy = tmp_path / "samples.png", tmp_path / "samples.npy"
    assert main(["sample", str(vae), "-n", "9", "-o", str(png), "--seed", "1"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["sample", str(vae), "-n", "5", "-o", str(npy), "--seed", "1"]) == 0
    samples = np.load(npy)
    assert samples.shape == (5, 64) and 0 <= samples.min() and samples.max() <= 1
    np.testing.assert_allclose(samples, aekit.load(vae).sample(5, random_state=1), rtol=1e-6)
    assert main(["sample", str(vae), "-o", str(npy)]) == 2  # exists: needs --force
    assert "wrote 9 samples" in capsys.readouterr().out
    assert main(["evaluate", str(vae), "digits", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert 0 < metrics["reconstruction_mse"] < 0.2 and metrics["elbo"] < 0


def test_png_samples_need_image_data(tmp_path, capsys):
    model = tmp_path / "table.aek"
    aekit.VariationalAutoencoder(latent_dim=2, epochs=1).fit(np.random.rand(40, 5)).save(model)
    assert main(["sample", str(model), "-o", str(tmp_path / "s.png")]) == 2
    assert "not an image" in capsys.readouterr().err
    assert main(["sample", str(model), "-n", "3", "-o", str(tmp_path / "s.csv")]) == 0


def test_train_a_detector_then_score(tmp_path, capsys):
    rng = np.random.default_rng(0)
    plane = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6))
    X = np.vstack([plane, 6 * rng.normal(size=(3, 6))])  # three rows far off the plane
    data, model, scores = tmp_path / "x.npy", tmp_path / "det.aek", tmp_path / "scores.csv"
    np.save(data, X)
    argv = ["train", str(data), "-o", str(model), "--latent-dim", "2", *TRAIN]
    assert main([*argv, "--contamination", "0.01"]) == 0
    detector = aekit.load(model)
    assert isinstance(detector, aekit.AnomalyDetector) and detector.contamination == 0.01
    assert main(["info", str(model)]) == 0
    assert "offset" in capsys.readouterr().out

    assert main(["score", str(model), str(data), "-o", str(scores)]) == 0
    table = pd.read_csv(scores)
    assert list(table.columns) == ["score", "label"] and table["label"].dtype.kind == "i"
    np.testing.assert_allclose(table["score"], detector.score_samples(X), rtol=1e-6)
    assert (table["label"].to_numpy()[-3:] == -1).all()  # the planted rows
    assert "outliers" in capsys.readouterr().out
    # Encode, evaluate and the rest work on a detector's autoencoder.
    assert main(["evaluate", str(model), str(data), "--json"]) == 0


def test_score_a_plain_model_with_and_without_threshold(tmp_path, csv_table):
    path, X = csv_table
    model, scores = tmp_path / "m.aek", tmp_path / "s.npy"
    assert main(["train", str(path), "-o", str(model), "--latent-dim", "2", *TRAIN]) == 0
    assert main(["score", str(model), str(path), "-o", str(scores)]) == 0
    assert np.load(scores).shape == (len(X), 1)
    argv = ["score", str(model), str(path), "-o", str(scores), "--force", "--threshold", "-1"]
    assert main(argv) == 0
    assert np.load(scores).shape == (len(X), 2)


def test_a_detector_on_images_scores_by_its_window(tmp_path, capsys):
    from aekit.data import load_digits

    X, _ = load_digits()
    data, model, scores = tmp_path / "x.npy", tmp_path / "det.aek", tmp_path / "s.npy"
    np.save(data, X[:200])
    argv = ["train", str(data), "-o", str(model), "--latent-dim", "4", *TRAIN]
    assert main([*argv, "--contamination", "auto", "--pixel-window", "2"]) == 0
    assert aekit.load(model).window_ == 2
    assert main(["info", str(model)]) == 0
    assert "pixel window 2" in capsys.readouterr().out
    with pytest.warns(FutureWarning, match="--pixel-window"):  # the old flag still works
        assert main([*argv, "--contamination", "auto", "--window", "2", "--force"]) == 0
    assert aekit.load(model).window_ == 2
    # A plain image model is scored as a default detector would: window 3.
    plain = tmp_path / "plain.aek"
    assert main(["train", str(data), "-o", str(plain), "--latent-dim", "4", *TRAIN]) == 0
    assert main(["score", str(plain), str(data), "-o", str(scores)]) == 0
    expected = -aekit.load(plain).reconstruction_error(X[:200], window=3)
    np.testing.assert_allclose(np.load(scores)[:, 0], expected, rtol=1e-6)
