"""The command line with audio models: train on a folder, encode, decode to WAVs, evaluate."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.audio.clips import read_clip
from aekit.cli import main

pytest.importorskip("librosa")

TRAIN = ["--model", "audio", "--latent-dim", "4", "--hidden-dims", "8", "--epochs", "3"]
TRAIN += ["--seed", "0", "--quiet"]


@pytest.fixture(scope="module")
def clips_folder(tmp_path_factory, fsdd):
    folder = tmp_path_factory.mktemp("wavs")
    for path in sorted(fsdd.glob("*_lucas_2.wav")):
        shutil.copy(path, folder)
    return folder


@pytest.fixture(scope="module")
def audio_model(clips_folder, tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "m.aek"
    assert main(["train", str(clips_folder), "-o", str(model), *TRAIN]) == 0
    return model


def test_round_trip_through_files(tmp_path, clips_folder, audio_model, capsys):
    codes, out = tmp_path / "codes.npy", tmp_path / "out"
    assert main(["encode", str(audio_model), str(clips_folder), "-o", str(codes)]) == 0
    assert np.load(codes).shape == (10, 4)
    assert main(["decode", str(audio_model), str(codes), "-o", str(out)]) == 0
    written = sorted(out.glob("*.wav"))
    assert [p.name for p in written[:2]] == ["0000.wav", "0001.wav"] and len(written) == 10
    wave, rate = read_clip(written[0])
    model = aekit.load(audio_model)
    assert rate == 8000 and len(wave) == model.n_samples_
    # Decoding again needs --force: nothing already written is lost.
    assert main(["decode", str(audio_model), str(codes), "-o", str(out)]) == 2
    assert "0000.wav exists" in capsys.readouterr().err
    assert main(["evaluate", str(audio_model), str(clips_folder), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_samples"] == 10 and metrics["latent_dim"] == 4
    assert metrics["logmel_mse"] > 0 and metrics["spectral_convergence"] > 0
    assert main(["score", str(audio_model), str(clips_folder), "-o", str(tmp_path / "s.csv")]) == 0
    table = pd.read_csv(tmp_path / "s.csv")  # one row a clip: minus its log-mel error
    clips = sorted(clips_folder.glob("*.wav"))
    assert list(table.columns) == ["score"] and len(table) == len(clips) == 10
    np.testing.assert_allclose(table["score"], model.score_samples(clips), rtol=1e-5)
    assert (table["score"] < 0).all()
    assert main(["info", str(audio_model)]) == 0
    info = capsys.readouterr().out
    assert "AudioAutoencoder" in info and "8000 Hz" in info and "40 mels" in info


def test_a_bad_file_stops_the_run_unless_skipped(tmp_path, clips_folder, capsys):
    folder = tmp_path / "wavs"
    shutil.copytree(clips_folder, folder)
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
    model = tmp_path / "m.aek"
    assert main(["train", str(folder), "-o", str(model), *TRAIN]) == 2
    err = capsys.readouterr().err
    assert "broken.wav: not a readable audio file" in err and "--skip-bad" in err
    assert not model.exists()
    extra = ["--skip-bad", "--standardize", "clip", "--augment", "0.9", "1.1"]
    assert main(["train", str(folder), "-o", str(model), *TRAIN, *extra]) == 0
    assert "skipped 1 unreadable audio file(s)" in capsys.readouterr().err
    assert aekit.load(model).augment == (0.9, 1.1)
    codes = tmp_path / "codes.npy"
    assert main(["encode", str(model), str(folder), "-o", str(codes), "--skip-bad"]) == 0
    assert np.load(codes).shape == (10, 4)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--column", "x"], "--column does not apply to --model audio"),
        (["--image-shape", "4", "4"], "--image-shape does not apply to --model audio"),
        (["--tokenizer", "word"], "--tokenizer does not apply to --model audio"),
        (["--n-mels", "0"], "n_mels"),
    ],
)
def test_refused_flags(tmp_path, clips_folder, capsys, extra, message):
    model = tmp_path / "m.aek"
    assert main(["train", str(clips_folder), "-o", str(model), *TRAIN, *extra]) == 2
    assert message in capsys.readouterr().err


def test_audio_flags_need_an_audio_model(tmp_path, capsys):
    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(0).normal(size=(20, 4)))
    assert main(["train", str(data), "-o", str(tmp_path / "m.aek"), "--sample-rate", "8000"]) == 2
    assert "--sample-rate applies to --model audio only" in capsys.readouterr().err


def test_sampling_needs_a_vae(tmp_path, audio_model, clips_folder, capsys):
    assert main(["sample", str(audio_model), "-n", "2", "-o", str(tmp_path / "s")]) == 2
    assert "cannot sample" in capsys.readouterr().err
    vae = tmp_path / "vae.aek"
    assert (
        main(["train", str(clips_folder), "-o", str(vae), *TRAIN, "--bottleneck", "gaussian"]) == 0
    )
    assert aekit.load(vae).autoencoder_.has_prior
    assert main(["sample", str(vae), "-n", "2", "-o", str(tmp_path / "s")]) == 0
    assert len(list((tmp_path / "s").glob("*.wav"))) == 2
