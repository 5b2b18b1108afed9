"""ONNX export: encoder.onnx and decoder.onnx agree with the torch model (onnxruntime)."""

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.cli import main
from aekit.data import load_digits
from aekit.export import export_onnx

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")


def run(path, array):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: array.astype(np.float32)})[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda: (aekit.Autoencoder(4, epochs=2, random_state=0), load_digits()[0]),
        lambda: (  # conv on (n, 8, 8) images: the graphs take and give that shape
            aekit.Autoencoder(4, architecture="conv", epochs=2, random_state=0),
            load_digits()[0].reshape(-1, 8, 8),
        ),
        lambda: (aekit.VariationalAutoencoder(3, epochs=2, random_state=0), load_digits()[0]),
        lambda: (  # standardised, unbounded table: the scaling is in the graph
            aekit.Autoencoder(2, epochs=2, random_state=0),
            np.random.default_rng(0).normal(size=(200, 6)) * [1, 10, 100, 1, 1, 1000] + 50,
        ),
    ],
    ids=["dense", "conv", "vae", "table"],
)
def test_onnx_matches_torch(make, tmp_path):
    model, X = make()
    model.fit(X)
    encoder, decoder = export_onnx(model, tmp_path)
    batch = X[:37]  # not the export's example batch size: the batch is dynamic
    codes = run(encoder, batch)
    np.testing.assert_allclose(codes, model.transform(batch), atol=1e-4, rtol=0)
    rebuilt = run(decoder, codes)
    assert rebuilt.shape == batch.shape
    # The graph rescales in float32, inverse_transform in float64: compare in units of
    # each feature's spread (the digits are unscaled, so there it is plain 1e-4).
    spread = np.maximum(model.scaling_.scale, 1.0)  # per feature, or one value
    expected = model.inverse_transform(model.transform(batch))
    np.testing.assert_allclose(rebuilt / spread, expected / spread, atol=1e-4, rtol=0)
    assert run(encoder, batch[:1]).shape == (1, model.latent_dim)


def test_export_refuses_what_it_cannot_hold(tmp_path):
    posts = ["hi all", "lol"] * 4
    text = aekit.TextAutoencoder(latent_dim=2, hidden_dim=8, epochs=1, synthetic=0).fit(posts)
    with pytest.raises(ValueError, match="needs a tokenizer front end"):
        export_onnx(text, tmp_path)
    frame = pd.DataFrame({"a": np.arange(20.0), "kind": ["x", "y"] * 10})
    with pytest.raises(ValueError, match="categorical"):
        export_onnx(aekit.Autoencoder(2, epochs=1).fit(frame), tmp_path)
    with pytest.raises(ValueError, match="not fitted"):
        export_onnx(aekit.AnomalyDetector(), tmp_path)


def test_cli_export(tmp_path, capsys):
    X, _ = load_digits()
    np.save(tmp_path / "x.npy", X[:200])
    model = tmp_path / "m.aek"
    args = ["--epochs", "2", "--seed", "0", "--quiet", "--latent-dim", "3"]
    assert main(["train", str(tmp_path / "x.npy"), "-o", str(model), "--contamination", "auto",
                 *args]) == 0  # fmt: skip
    out = tmp_path / "onnx"
    assert main(["export", str(model), "-o", str(out)]) == 0
    assert "encoder.onnx" in capsys.readouterr().out
    detector = aekit.load(model)
    codes = run(out / "encoder.onnx", X[:5])
    np.testing.assert_allclose(codes, detector.autoencoder_.transform(X[:5]), atol=1e-4)
    before = (out / "encoder.onnx").read_bytes()
    assert main(["export", str(model), "-o", str(out)]) == 2  # no silent overwrite
    err = capsys.readouterr().err
    assert "already exists" in err and err.count("\n") == 1
    assert (out / "encoder.onnx").read_bytes() == before
    assert main(["export", str(model), "-o", str(out), "--force"]) == 0
    assert main(["export", str(model), "-o", str(tmp_path / "x.npy")]) == 2
    assert "is a file" in capsys.readouterr().err
