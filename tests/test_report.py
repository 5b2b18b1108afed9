"""aekit report: one self-contained HTML page per kind of model, from Python and the CLI."""

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.cli import main
from aekit.data import load_digits
from aekit.report import build_report, write_report
from report_check import check_report


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    return X[:300], y[:300]


def section_titles(html):
    return [part.split("</h2>")[0] for part in html.split("<h2>")[1:]]


def test_image_autoencoder_report(digits):
    X, y = digits
    model = aekit.Autoencoder(latent_dim=4, epochs=3, random_state=0).fit(X)
    html = build_report(model, X, y, data_name="digits")
    tags = check_report(html)
    assert tags.count("img") == 4  # curves, reconstructions, latent map, interpolation
    assert section_titles(html) == ["Model", "Metrics", "Pictures", "Training history"]
    assert "PCA, 4 components" in html and "reconstruction MSE" in html
    assert "label accuracy from the codes" in html


def test_vae_report_has_the_manifold(digits):
    X, _ = digits
    vae = aekit.VariationalAutoencoder(latent_dim=2, epochs=2, random_state=0).fit(X)
    html = build_report(vae, X)
    assert check_report(html).count("img") == 5
    assert "ELBO" in html and "grid over the first two latent units" in html
    assert "label accuracy" not in html  # no labels given


def test_detector_report_has_the_score_histogram(digits):
    X, y = digits
    det = aekit.AnomalyDetector(aekit.Autoencoder(latent_dim=4, epochs=2, random_state=0)).fit(X)
    html = build_report(det, X, np.where(y == 0, -1, 1))
    check_report(html)
    assert "AnomalyDetector (Autoencoder)" in html and "share flagged as outliers" in html
    assert "detector&#x27;s threshold" in html


def test_mixed_table_report():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "kind": rng.choice(["x", "y"], 80)})
    model = aekit.Autoencoder(latent_dim=2, epochs=2, random_state=0).fit(frame)
    html = build_report(model, frame)
    check_report(html)
    assert "mean per-feature error" in html and "Reconstruction error per feature" in html


def test_text_report_escapes_and_marks_words():
    posts = ["hi all", "lol", "<script>alert(1)</script>", "brb"] * 4
    model = aekit.TextAutoencoder(latent_dim=4, hidden_dim=16, epochs=2, synthetic=0,
                                  validation_fraction=0, random_state=0).fit(posts)  # fmt: skip
    html = build_report(model, posts, ["a", "b", "c", "d"] * 4)
    check_report(html)  # no <script> got through
    assert "&lt;script&gt;" in html and "word accuracy" in html and "TF-IDF + SVD" in html
    assert "Reconstructions" in section_titles(html)


def test_audio_report_inlines_players(tiny_audio):
    model, clips = tiny_audio
    html = build_report(model, clips)
    tags = check_report(html)
    assert tags.count("audio") == 6 and html.count("data:audio/wav;base64,") == 6
    assert "log-mel MSE" in html and "Listen" in section_titles(html)


def test_report_bad_input(digits, tmp_path):
    X, y = digits
    model = aekit.Autoencoder(latent_dim=2, epochs=1).fit(X)
    with pytest.raises(ValueError, match="labels must be one per sample"):
        build_report(model, X, y[:10])
    with pytest.raises(ValueError, match="not a PCA"):
        from sklearn.decomposition import PCA

        build_report(PCA(2).fit(X), X)
    with pytest.raises(ValueError, match="not fitted|NotFitted"):
        build_report(aekit.Autoencoder(), X)
    path = write_report(tmp_path / "r.html", model, X[:50])
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_report_with_label_column_and_file(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.random((90, 4)), columns=list("abcd"))
    frame["label"] = np.repeat(["x", "y", "z"], 30)
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    frame.drop(columns="label").to_csv(tmp_path / "x.csv", index=False)
    model = tmp_path / "m.aek"
    args = ["--epochs", "2", "--seed", "0", "--quiet", "--latent-dim", "2"]
    assert main(["train", str(tmp_path / "x.csv"), "-o", str(model), *args]) == 0
    out = tmp_path / "r.html"
    assert main(["report", str(model), str(data), "--labels", "label", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    check_report(html)
    assert "label accuracy" in html and "wrote" in capsys.readouterr().out
    np.save(tmp_path / "y.npy", np.arange(90) % 2)
    assert main(["report", str(model), str(tmp_path / "x.csv"), "--labels",
                 str(tmp_path / "y.npy"), "-o", str(out), "--force"]) == 0  # fmt: skip
    # Mistakes: one line each, nothing written over.
    before = out.read_bytes()
    assert main(["report", str(model), str(data), "--labels", "nope", "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    for labels, message in [("nope", "no such file, and not a column"), (str(tmp_path / "y.npy"),
                            "90 labels for 90")]:  # fmt: skip
        if "90 labels" in message:
            np.save(tmp_path / "y.npy", np.arange(10))
            message = "10 labels for 90 samples"
        code = main(
            ["report", str(model), str(data), "--labels", labels, "-o", str(out), "--force"]
        )
        err = capsys.readouterr().err
        assert code == 2 and message in err and err.count("\n") == 1
    assert out.read_bytes() == before
    assert main(["report", str(model), str(data), "-o", str(tmp_path / "r.pdf")]) == 2


def test_cli_report_on_built_in_digits_with_target(tmp_path):
    model = tmp_path / "m.aek"
    X, _ = load_digits()
    np.save(tmp_path / "x.npy", X[:200])
    args = ["--epochs", "2", "--seed", "0", "--quiet", "--latent-dim", "2"]
    assert main(["train", str(tmp_path / "x.npy"), "-o", str(model), *args]) == 0
    out = tmp_path / "r.html"
    assert main(["report", str(model), "digits", "--labels", "target", "-o", str(out)]) == 0
    assert "label accuracy" in out.read_text(encoding="utf-8")
