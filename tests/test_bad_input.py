"""The bad-input matrix: every CLI verb and every estimator against broken, empty,
mismatched and extreme data. Each case ends in one clear line (exit 2, no traceback,
naming the file) or in documented handling; never a crash or a hang."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.cli import main

pytest.importorskip("librosa")
from aekit.audio.clips import write_clip  # noqa: E402

POSTS = ["hi all", "lol", "brb", "really need chipotle today"] * 4


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    X = rng.random((60, 6)).astype(np.float32)
    aekit.Autoencoder(2, epochs=2, random_state=0).fit(X).save(d / "array.aek")
    text = aekit.TextAutoencoder(latent_dim=2, hidden_dim=8, epochs=1, synthetic=0)
    text.fit(POSTS).save(d / "text.aek")
    (d / "good.txt").write_text("\n".join(POSTS) + "\n")
    (d / "wavs").mkdir()
    t = np.arange(1600) / 8000
    for i, f in enumerate((300, 900, 1500)):
        write_clip(
            d / "wavs" / f"{i}.wav", (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32), 8000
        )
    inner = aekit.Autoencoder(2, architecture="conv", hidden_dims=(4, 8), epochs=1)
    aekit.AudioAutoencoder(autoencoder=inner, sample_rate=8000).fit(
        sorted((d / "wavs").glob("*.wav"))
    ).save(d / "audio.aek")
    for name in ("empty.npy", "empty.csv", "empty.txt", "empty.aek"):
        (d / name).write_bytes(b"")
    (d / "data.xyz").write_bytes(b"1,2,3\n")
    (d / "notnpy.npy").write_text("hello")
    (d / "garbage.aek").write_bytes(b"garbage bytes, not a model")
    np.save(d / "shape5.npy", X[:, :5])
    np.save(d / "shape3d.npy", X.reshape(60, 2, 3))
    np.save(d / "zero_rows.npy", X[:0])
    for name, value in (("nan", np.nan), ("inf", np.inf)):
        Y = X.copy()
        Y[3, 2] = value
        np.save(d / f"{name}.npy", Y)
    np.save(d / "huge.npy", X * 1e30)
    np.save(d / "overflow.npy", X.astype(np.float64) * 1e300)
    (d / "latin1.txt").write_bytes("caf\xe9 ok\n".encode("latin-1"))
    (d / "badwav").mkdir()
    (d / "badwav" / "0.wav").write_bytes(b"RIFF\x00\x00junkjunk")
    (d / "zerowav").mkdir()
    write_clip(d / "zerowav" / "0.wav", np.zeros(0, np.float32), 8000)
    (d / "emptydir").mkdir()
    np.save(d / "codes_width5.npy", np.zeros((4, 5), np.float32))
    codes = np.zeros((4, 2), np.float32)
    codes[0, 0] = np.nan
    np.save(d / "codes_nan.npy", codes)
    return d


DATA = {  # case: file
    "missing": "nope.npy",
    "empty": "empty.npy",
    "empty csv": "empty.csv",
    "empty txt": "empty.txt",
    "wrong format": "data.xyz",
    "text in .npy": "notnpy.npy",
    "wrong width": "shape5.npy",
    "3-D rows": "shape3d.npy",
    "no rows": "zero_rows.npy",
    "NaN": "nan.npy",
    "inf": "inf.npy",
    "1e30": "huge.npy",
    "1e300": "overflow.npy",
    "non-UTF-8 text": "latin1.txt",
    "corrupt WAV": "badwav",
    "zero-length audio": "zerowav",
    "empty folder": "emptydir",
    "texts": "good.txt",
    "clips": "wavs",
}
# Documented handling instead of an error: the model's own kind of data; samples given
# as small arrays are flattened (as for images); values far outside the training range
# but within float32 give an infinite reconstruction error (an outlier's score).
WORKS = {("text", "texts"), ("audio", "clips"), ("array", "3-D rows"), ("array", "1e30")}
VERBS = {
    "encode": lambda m, d, o: ["encode", m, d, "-o", o / "out.npy", "--force"],
    "evaluate": lambda m, d, o: ["evaluate", m, d],
    "score": lambda m, d, o: ["score", m, d, "-o", o / "s.csv", "--force"],
    "report": lambda m, d, o: ["report", m, d, "-o", o / "r.html", "--force"],
}


def one_clear_line(capsys, verb: str, name: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"aekit {verb}: error: ") and name in err, err


@pytest.mark.parametrize("case", list(DATA))
@pytest.mark.parametrize("model", ["array", "text", "audio"])
@pytest.mark.parametrize("verb", list(VERBS))
def test_data_verbs(folder, capsys, verb, model, case):
    argv = [str(a) for a in VERBS[verb](folder / f"{model}.aek", folder / DATA[case], folder)]
    code = main(argv)
    if (model, case) in WORKS:
        assert code == 0, capsys.readouterr().err
    else:
        assert code == 2
        one_clear_line(capsys, verb, DATA[case])


@pytest.mark.parametrize("case", list(DATA))
def test_train(folder, capsys, case):
    # Without --model, DATA is an array file. Any width trains; so do consistently huge
    # values (standardised) and small arrays per sample (flattened).
    argv = ["train", str(folder / DATA[case]), "-o", str(folder / "t.aek"), "--force",
            "--epochs", "1", "--quiet"]  # fmt: skip
    if case in ("wrong width", "3-D rows", "1e30"):
        assert main(argv) == 0
        return
    assert main(argv) == 2
    one_clear_line(capsys, "train", DATA[case])


@pytest.mark.parametrize("model", ["array", "text", "audio"])
@pytest.mark.parametrize("codes", ["nope.npy", "empty.npy", "notnpy.npy", "codes_width5.npy",
                                   "codes_nan.npy", "data.xyz"])  # fmt: skip
def test_decode(folder, capsys, model, codes):
    out = folder / ("out.txt" if model == "text" else "out_dir" if model == "audio" else "o.npy")
    argv = ["decode", str(folder / f"{model}.aek"), str(folder / codes), "-o", str(out), "--force"]
    assert main(argv) == 2
    one_clear_line(capsys, "decode", codes)


@pytest.mark.parametrize("bad", ["nope.aek", "empty.aek", "garbage.aek", "good.txt"])
@pytest.mark.parametrize("verb", ["info", "encode", "sample", "export", "report"])
def test_model_files(folder, capsys, verb, bad):
    argv = {
        "info": ["info", bad],
        "encode": ["encode", bad, "good.txt", "-o", "z.npy", "--force"],
        "sample": ["sample", bad, "-o", "s.npy", "--force"],
        "export": ["export", bad, "-o", "onnx"],
        "report": ["report", bad, "good.txt", "-o", "r.html", "--force"],
    }[verb]
    argv = [str(folder / a) if a.endswith((".aek", ".txt", ".npy", ".html")) else a for a in argv]
    assert main(argv) == 2
    one_clear_line(capsys, verb, bad)


BAD_ARRAYS = {
    "empty": np.zeros((0, 4)),
    "1-D": np.zeros(4),
    "NaN": np.array([[np.nan, 1.0], [0.0, 1.0]] * 5),
    "inf": np.array([[np.inf, 1.0], [0.0, 1.0]] * 5),
    "1e300": np.full((10, 2), 1e300),
    "strings": np.array([["a", "b"]] * 10),
}

ARRAY_MESSAGES = {  # what each says: the problem, by name
    "empty": r"0 sample\(s\)",
    "1-D": "Expected 2D array, got 1D",
    "NaN": "contains NaN",
    "inf": "contains infinity",
    "1e300": "beyond float32",
    "strings": "could not convert string to float",
}


@pytest.mark.parametrize("case", list(BAD_ARRAYS))
@pytest.mark.parametrize(
    "make",
    [
        lambda: aekit.Autoencoder(2, epochs=1),
        lambda: aekit.VariationalAutoencoder(2, epochs=1),
        lambda: aekit.AnomalyDetector(aekit.Autoencoder(2, epochs=1)),
    ],
    ids=["Autoencoder", "VariationalAutoencoder", "AnomalyDetector"],
)
def test_estimators_refuse_bad_arrays(make, case):
    with pytest.raises(ValueError, match=ARRAY_MESSAGES[case]):
        make().fit(BAD_ARRAYS[case])
    fitted = make().fit(np.random.default_rng(0).random((30, 2)))
    if case != "1e300":  # fitted models: the same checks on new data
        with pytest.raises(ValueError, match=ARRAY_MESSAGES[case]):
            (fitted.score_samples if hasattr(fitted, "offset_") else fitted.transform)(
                BAD_ARRAYS[case]
            )


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "holds no texts"),
        ([1, 2], "text 0 is a int"),
        ("one string", "not a single string"),
        ([None, "x"], "text 0 is a NoneType"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), "exactly one column; got 2"),
    ],
)
def test_text_autoencoder_refuses_bad_texts(X, match):
    with pytest.raises(ValueError, match=match):
        aekit.TextAutoencoder(epochs=1).fit(X)


def test_audio_autoencoder_refuses_bad_clips(folder):
    bad = [
        ([folder / "badwav" / "0.wav"], "0.wav: not a readable audio file"),
        ([folder / "zerowav" / "0.wav"], "0.wav: .*no samples|0.wav: not a readable"),
        ([np.zeros(0, np.float32)], "clip 0 holds no samples"),
        ([np.full(800, np.nan, np.float32)], "clip 0 contains NaN or infinity"),
        ([Path("nope.wav")], "nope.wav: no such audio file"),
        (str(folder / "wavs" / "0.wav"), "not a single one: wrap it in a list"),
    ]
    for clips, match in bad:
        with pytest.raises(ValueError, match=match):
            aekit.AudioAutoencoder(sample_rate=8000).fit(clips)
