"""The command line with text models: train, encode, decode, evaluate, score, bad files."""

import json

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.cli import main

POSTS = ["really need chipotle today", "lol", "hi all", "brb", "good morning everyone", "wb"]
TRAIN = ["--model", "text", "--latent-dim", "8", "--epochs", "60", "--batch-size", "8"]
TRAIN += ["--validation-fraction", "0", "--synthetic", "0", "--seed", "0", "--quiet"]


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    posts = folder / "posts.txt"
    posts.write_text("\n".join(POSTS * 4) + "\n", encoding="utf-8")
    model = folder / "m.aek"
    assert main(["train", str(posts), "-o", str(model), *TRAIN]) == 0
    return model, posts


def test_round_trip_through_files(tmp_path, text_model, capsys):
    model, posts = text_model
    assert aekit.load(model).synthetic == 0  # a flag set to 0 is kept, not dropped
    codes, out = tmp_path / "codes.npy", tmp_path / "out.txt"
    assert main(["encode", str(model), str(posts), "-o", str(codes)]) == 0
    assert np.load(codes).shape == (len(POSTS) * 4, 8)
    assert main(["decode", str(model), str(codes), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == POSTS * 4
    capsys.readouterr()
    assert main(["evaluate", str(model), str(posts), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["exact_match"] == 1.0 and metrics["word_accuracy"] == 1.0
    assert metrics["n_samples"] == len(POSTS) * 4 and metrics["token_cross_entropy"] > 0
    scores = tmp_path / "scores.csv"
    assert main(["score", str(model), str(posts), "-o", str(scores)]) == 0
    table = pd.read_csv(scores)  # one row a text: minus its cross-entropy per token
    assert list(table.columns) == ["score"] and len(table) == len(POSTS) * 4
    np.testing.assert_allclose(
        table["score"], aekit.load(model).score_samples(POSTS * 4), rtol=1e-5
    )
    assert (table["score"] < 0).all()
    assert main(["info", str(model)]) == 0
    assert "TextAutoencoder" in capsys.readouterr().out


def test_a_column_of_a_tsv(tmp_path, text_model):
    model, _ = text_model
    table = tmp_path / "posts.tsv"
    table.write_text('class\ttext\nGreet\thi all\nEmotion\t"lol\n', encoding="utf-8")
    codes = tmp_path / "codes.npy"
    assert main(["encode", str(model), str(table), "--column", "text", "-o", str(codes)]) == 0
    assert np.load(codes).shape == (2, 8)
    twin = aekit.load(model)
    np.testing.assert_allclose(np.load(codes), twin.transform(["hi all", '"lol']), rtol=1e-6)


def _bad_bytes(path):
    path.write_bytes(b"fine line\nalso fine\nbad \xff byte\n")
    return path


@pytest.mark.parametrize(
    "argv, match",
    [
        (["encode", "{model}", "{latin1}", "-o", "{out}.npy"], "line 3, column 5"),
        (["train", "{latin1}", "-o", "{out}.aek", "--model", "text"], "not UTF-8"),
        (["encode", "{model}", "{tsv}", "-o", "{out}.npy"], "--column"),
        (["encode", "{model}", "{tsv}", "--column", "body", "-o", "{out}.npy"], "no column 'body'"),
        (["encode", "{model}", "{empty}", "-o", "{out}.npy"], "no texts"),
        (["encode", "{model}", "{npy}", "-o", "{out}.npy"], ".txt"),
        (["decode", "{model}", "{npy}", "-o", "{out}.npy"], ".txt"),
        (["decode", "{model}", "{npy}", "-o", "{out}.txt"], "shape"),
        (["train", "{txt}", "-o", "{out}.aek", "--model", "text", "--noise", "0.1"], "--noise"),
        (["train", "{txt}", "-o", "{out}.aek", "--tokenizer", "char"], "--model text only"),
        (["train", "{txt}", "-o", "{out}.aek", "--model", "text", "--vocab-size", "2"], "vocab"),
        (["sample", "{model}", "-o", "{out}.txt"], "--bottleneck gaussian"),
        (["sample", "{model}", "-o", "{out}.png"], ".txt"),
    ],
)
def test_errors_are_one_line_exit_2(tmp_path, capsys, text_model, argv, match):
    model, txt = text_model
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a\tb\nx\ty\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    npy = tmp_path / "x.npy"
    np.save(npy, np.zeros((2, 3)))
    files = {"model": model, "txt": txt, "latin1": _bad_bytes(tmp_path / "latin1.txt")}
    files.update(tsv=tsv, empty=empty, npy=npy, out=tmp_path / "out")
    assert main([a.format(**files) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err, err


def test_a_text_vae_samples_texts(tmp_path, text_model):
    _, posts = text_model
    model, out = tmp_path / "vae.aek", tmp_path / "samples.txt"
    train = list(TRAIN)
    train[train.index("--epochs") + 1] = "5"
    assert main(["train", str(posts), "-o", str(model), *train, "--bottleneck", "gaussian"]) == 0
    assert main(["sample", str(model), "-n", "4", "-o", str(out), "--seed", "0"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4
