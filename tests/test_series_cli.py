"""The command line with series models: train on a CSV with a time column, score per
time step, evaluate per channel, report, info, and the flags' bad values."""

import json

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.cli import main

TRAIN = ["--model", "series", "--window", "64", "--latent-dim", "8", "--epochs", "15"]
TRAIN += ["--seed", "0", "--quiet"]


def sensors(n=1500, seed=0, spike=None):
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "t": pd.date_range("2026-01-01", periods=n, freq="s").strftime("%Y-%m-%dT%H:%M:%S"),
        "a": np.sin(t / 10) + 0.05 * rng.normal(size=n),
        "b": np.cos(t / 23) + 0.05 * rng.normal(size=n),
        "note": ["x"] * n,  # not a channel: --columns leaves it out
    })  # fmt: skip
    if spike is not None:
        frame.loc[spike : spike + 3, "a"] += 5
    return frame


@pytest.fixture(scope="module")
def series_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    train, test = folder / "train.csv", folder / "test.csv"
    sensors().to_csv(train, index=False)
    sensors(seed=1, spike=700).to_csv(test, index=False)
    model = folder / "m.aek"
    args = ["train", str(train), "-o", str(model), *TRAIN, "--time-column", "t"]
    assert main([*args, "--columns", "a", "b", "--contamination", "0.01"]) == 0
    return folder, model, train, test


def test_scores_csv_has_a_row_per_time_step_with_its_time(series_files, capsys):
    folder, model, _, test = series_files
    out = folder / "scores.csv"
    capsys.readouterr()
    assert main(["score", str(model), str(test), "-o", str(out), "--force"]) == 0
    assert "outliers" in capsys.readouterr().out
    scores, data = pd.read_csv(out), pd.read_csv(test)
    assert list(scores.columns) == ["t", "score", "label"]
    assert len(scores) == len(data)
    assert (pd.to_datetime(scores["t"]) == pd.to_datetime(data["t"])).all()
    # The same scores as Python's, and the spike's steps are the outliers.
    detector = aekit.load(model)
    frame = data.assign(t=pd.to_datetime(data["t"]))
    np.testing.assert_allclose(scores["score"], -detector.autoencoder_.step_scores(frame), 1e-6)
    np.testing.assert_array_equal(scores["label"], detector.predict_steps(frame))
    assert 690 <= scores["score"].idxmin() <= 714
    assert (scores["label"][700:704] == -1).all()


def test_evaluate_reports_the_error_of_each_channel(series_files, capsys):
    _, model, train, _ = series_files
    capsys.readouterr()
    assert main(["evaluate", str(model), str(train), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_steps"] == 1500 and metrics["latent_dim"] == 8
    inner = aekit.load(model).autoencoder_
    frame = pd.read_csv(train)
    frame["t"] = pd.to_datetime(frame["t"])
    values, rebuilt = frame[["a", "b"]].to_numpy(), inner.reconstruct(frame)[["a", "b"]].to_numpy()
    by_hand = (((rebuilt - values) / values.std(axis=0)) ** 2).mean(axis=0)
    np.testing.assert_allclose(
        [metrics["reconstruction_mse[a]"], metrics["reconstruction_mse[b]"]], by_hand, rtol=1e-5
    )
    assert metrics["reconstruction_mse"] == pytest.approx(by_hand.mean(), rel=1e-5)


def test_info_and_report_describe_the_series_model(series_files, capsys):
    folder, model, _, test = series_files
    capsys.readouterr()
    assert main(["info", str(model)]) == 0
    text = capsys.readouterr().out
    assert "window 64 (stride 16), 2 channel(s) ['a', 'b'], time column 't'" in text
    assert "detector" in text and "scoring     combined" in text
    report = folder / "report.html"
    assert main(["report", str(model), str(test), "-o", str(report), "--force"]) == 0
    html = report.read_text()
    assert "The series over its reconstruction" in html and "steps the detector flags" in html
    assert "reconstruction MSE (standardised channels)" in html


def test_encode_and_decode_give_codes_per_window_and_windows_back(series_files):
    folder, model, train, _ = series_files
    codes, windows = folder / "codes.npy", folder / "windows.npy"
    assert main(["encode", str(model), str(train), "-o", str(codes), "--force"]) == 0
    # Every 16 steps, and one more flush with the end (1436 is no multiple of 16).
    assert np.load(codes).shape == (len(range(0, 1500 - 64 + 1, 16)) + 1, 8)
    assert main(["decode", str(model), str(codes), "-o", str(windows), "--force"]) == 0
    assert np.load(windows).shape == (len(np.load(codes)), 64, 2)
    # The very numbers Python gives for the same CSV (time column and channels as fitted).
    inner = aekit.load(model).autoencoder_
    python = inner.transform(pd.read_csv(train)[["t", "a", "b"]])
    np.testing.assert_allclose(np.load(codes), python, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        np.load(windows), inner.inverse_transform(np.load(codes)), rtol=1e-6, atol=1e-7
    )


def test_a_series_vae_samples_windows_and_a_plain_model_says_why_not(series_files, capsys):
    folder, model, train, _ = series_files
    vae, out = folder / "vae.aek", folder / "samples.npy"
    args = ["train", str(train), "-o", str(vae), *TRAIN, "--time-column", "t", "--columns", "a"]
    assert main([*args, "b", "--bottleneck", "gaussian", "--force"]) == 0
    assert main(["sample", str(vae), "-n", "3", "-o", str(out), "--force"]) == 0
    assert np.load(out).shape == (3, 64, 2)
    capsys.readouterr()
    assert main(["sample", str(model), "-n", "3", "-o", str(out), "--force"]) == 2
    assert 'fit it with bottleneck="gaussian"' in capsys.readouterr().err


def test_series_of_a_npy_file_need_no_window(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = np.sin(np.arange(50)[None] / 5 + rng.uniform(0, 6, size=(40, 1)))
    np.save(tmp_path / "x.npy", X)
    model = tmp_path / "m.aek"
    args = ["--model", "series", "--latent-dim", "4", "--epochs", "3", "--quiet"]
    assert main(["train", str(tmp_path / "x.npy"), "-o", str(model), *args]) == 0
    out = tmp_path / "s.csv"
    assert main(["score", str(model), str(tmp_path / "x.npy"), "-o", str(out)]) == 0
    assert list(pd.read_csv(out).columns) == ["score"] and len(pd.read_csv(out)) == 40
    np.save(tmp_path / "y.npy", np.arange(40) % 2)
    report = tmp_path / "r.html"
    args = [str(model), str(tmp_path / "x.npy"), "-o", str(report)]
    assert main(["report", *args, "--labels", str(tmp_path / "y.npy")]) == 0
    html = report.read_text()
    assert "The first series (first channel) and their reconstructions" in html
    assert "label accuracy from the codes" in html


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--time-column", "t"], "one long series: set window (CLI: --window N)"),
        (["--window", "ten"], "argument --window: invalid int value: 'ten'"),
        (["--window", "5000", "--time-column", "t", "--columns", "a"],
         "has 1500 steps, fewer than one window of 5000"),
        (["--window", "64", "--columns", "a", "z"], "columns ['z'] are not in X"),
        (["--window", "64"], "non-numeric column(s) ['t', 'note']"),
        (["--window", "64", "--time-column", "t", "--tokenizer", "char"],
         "--tokenizer does not apply to --model series"),
    ],
)  # fmt: skip
def test_bad_series_flags_are_refused_by_name(series_files, tmp_path, capsys, flags, message):
    _, _, train, _ = series_files
    args = ["train", str(train), "-o", str(tmp_path / "m.aek"), "--model", "series"]
    try:
        code = main([*args, "--epochs", "1", "--quiet", *flags])
    except SystemExit as stop:  # argparse's own refusal: --window is parsed as an int
        code = stop.code
    assert code == 2
    assert message in capsys.readouterr().err.replace("\n", " ")
    assert not (tmp_path / "m.aek").exists()


def test_the_daphnet_stream_goes_through_the_cli_with_its_nine_channels(
    series_data, tmp_path, capsys
):
    data = series_data / "daphnet_S06R02E0.csv"
    frame = pd.read_csv(data)
    channels = [c for c in frame.columns if c not in ("timestamp", "is_anomaly")]
    model, scores = tmp_path / "m.aek", tmp_path / "scores.csv"
    flags = ["--model", "series", "--window", "32", "--epochs", "1", "--quiet"]
    flags += ["--time-column", "timestamp", "--columns", *channels, "--contamination", "0.01"]
    assert main(["train", str(data), "-o", str(model), *flags]) == 0
    assert main(["score", str(model), str(data), "-o", str(scores)]) == 0
    table = pd.read_csv(scores)
    assert len(table) == len(frame) == 7040 and len(channels) == 9
    assert (pd.to_datetime(table["timestamp"]) == pd.to_datetime(frame["timestamp"])).all()
    capsys.readouterr()
    assert main(["evaluate", str(model), str(data), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {f"reconstruction_mse[{c}]" for c in channels} <= set(metrics)


def test_a_report_with_labelled_steps_gives_their_roc_auc(series_files, tmp_path):
    _, model, _, test = series_files
    labelled = tmp_path / "labelled.csv"
    frame = pd.read_csv(test)
    frame["is_anomaly"] = (frame.index >= 700) & (frame.index < 704)
    frame.astype({"is_anomaly": int}).to_csv(labelled, index=False)
    report = tmp_path / "r.html"
    args = [str(model), str(labelled), "-o", str(report), "--labels", "is_anomaly"]
    assert main(["report", *args]) == 0
    html = report.read_text()
    assert "per-step ROC AUC of the labelled anomalies" in html and "orange: labelled" in html
