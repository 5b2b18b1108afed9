"""Larger than memory: blocks of rows through transform / inverse_transform and
`aekit encode` / `aekit decode` between .npy files."""

import numpy as np
import pandas as pd
import pytest
import torch

import aekit
from aekit.arrays import streaming
from aekit.cli import main
from aekit.data import DataError


@pytest.fixture
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 8 * 64 * 7)  # 7 rows of 64 float64s
    return 7


@pytest.fixture(scope="module")
def model_and_data(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = (rng.random((100, 3)) @ rng.random((3, 64)) / 3).astype(np.float32)
    model = aekit.Autoencoder(latent_dim=3, epochs=3, random_state=0).fit(X)
    folder = tmp_path_factory.mktemp("stream")
    np.save(folder / "x.npy", X)
    path = folder / "m.aek"
    model.save(path)
    return model, X, folder, path


def test_memory_mapped_input_in_blocks_gives_the_same_codes(model_and_data, tiny_blocks):
    model, X, folder, _ = model_and_data
    mapped = np.load(folder / "x.npy", mmap_mode="r")
    assert len(list(streaming.row_blocks(mapped))) == 15  # 100 rows, 7 per block
    codes = model.transform(mapped)
    np.testing.assert_allclose(codes, model.transform(X), atol=1e-6)
    rebuilt = model.inverse_transform(codes)
    assert rebuilt.shape == X.shape and rebuilt.dtype == np.float32


def test_per_sample_scores_never_copy_a_memory_map_whole(model_and_data, tiny_blocks):
    model, X, folder, _ = model_and_data
    mapped = np.load(folder / "x.npy", mmap_mode="r")
    seen = []
    check = model.input_.check
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model.input_, "check", lambda est, b: seen.append(len(b)) or check(est, b))
        scores = model.score_samples(mapped)
    assert max(seen) == 7 and sum(seen) == 100
    assert scores.shape == (100,) and scores.dtype == np.float64
    np.testing.assert_allclose(scores, model.score_samples(X), rtol=1e-5)


def test_blocks_change_nothing(model_and_data, monkeypatch):
    model, X, _, _ = model_and_data
    one = model.transform(X), model.inverse_transform(model.transform(X))
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 8 * 64 * 9)
    many = model.transform(X), model.inverse_transform(model.transform(X))
    for a, b in zip(one, many, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_table_blocks_join_into_one_frame(monkeypatch):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "kind": rng.choice(["x", "y"], 40)})
    model = aekit.Autoencoder(latent_dim=2, epochs=2, random_state=0).fit(frame)
    whole = model.inverse_transform(model.transform(frame))
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 8 * 2 * 7)  # 7 rows of 2 columns
    assert len(list(streaming.row_blocks(frame))) == 6  # so the join below really runs
    rebuilt = model.inverse_transform(model.transform(frame))
    assert list(rebuilt.columns) == ["a", "kind"] and list(rebuilt.index) == list(range(40))
    pd.testing.assert_frame_equal(rebuilt, whole)


def test_cli_streams_npy_to_npy(model_and_data, tiny_blocks, capsys):
    model, X, folder, path = model_and_data
    codes, out = folder / "z.npy", folder / "r.npy"
    assert main(["encode", str(path), str(folder / "x.npy"), "-o", str(codes), "--force"]) == 0
    np.testing.assert_allclose(np.load(codes), model.transform(X), atol=1e-6)
    assert main(["decode", str(path), str(codes), "-o", str(out), "--force"]) == 0
    np.testing.assert_allclose(np.load(out), model.inverse_transform(np.load(codes)), atol=1e-6)
    assert "wrote 100 codes" in capsys.readouterr().out


def test_cli_stream_errors_leave_nothing(model_and_data, tiny_blocks, capsys):
    _, X, folder, path = model_and_data
    bad = X.copy()
    bad[90, 5] = np.nan  # in the 13th block, after 12 blocks were written
    np.save(folder / "bad.npy", bad)
    out = folder / "never.npy"
    assert main(["encode", str(path), str(folder / "bad.npy"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "NaN" in err and "bad.npy" in err and err.count("\n") == 1
    assert not out.exists() and not list(folder.glob(".never.npy*"))
    raw = (folder / "x.npy").read_bytes()
    (folder / "cut.npy").write_bytes(raw[: len(raw) // 2])
    assert main(["encode", str(path), str(folder / "cut.npy"), "-o", str(out)]) == 2
    assert "truncated" in capsys.readouterr().err and not out.exists()


def test_npy_writer_needs_every_row(tmp_path):
    with pytest.raises(ValueError, match="1 rows written"):
        with streaming.npy_writer(tmp_path / "a.npy", (2, 3), np.float32) as write:
            write(np.zeros((1, 3)))
    assert not list(tmp_path.iterdir())
    np.save(tmp_path / "f.npy", np.asfortranarray(np.zeros((3, 4))))
    with pytest.raises(DataError, match="C-ordered"):
        streaming.npy_layout(tmp_path / "f.npy")


def test_fit_on_a_memory_map_keeps_the_rows_on_disk(tmp_path, tiny_blocks):
    import aekit.arrays.input as module

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(300, 2)) @ rng.normal(size=(2, 64)) * 5 + 20).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    in_memory = aekit.Autoencoder(latent_dim=2, epochs=30, random_state=0).fit(X)

    def no_copy(_):
        raise AssertionError("the memory-mapped training set was copied into memory")

    with pytest.MonkeyPatch.context() as spy:  # guards fit; inference copies small batches
        spy.setattr(module, "to_tensor", no_copy)
        streamed = aekit.Autoencoder(latent_dim=2, epochs=30, random_state=0).fit(mapped)
    # Same scaling from block statistics; a model as good as the in-memory one.
    np.testing.assert_allclose(streamed.scaling_.mean, in_memory.scaling_.mean, rtol=1e-9)
    np.testing.assert_allclose(streamed.scaling_.scale, in_memory.scaling_.scale, rtol=1e-9)
    assert np.isfinite(streamed.history_["val_loss"]).all()
    errors = [m.reconstruction_error(X).mean() for m in (streamed, in_memory)]
    assert errors[0] < 2 * errors[1]
    # Rank-2 data through a 2-dim code: in the data's own units, well under its spread.
    raw = np.mean((streamed.inverse_transform(streamed.transform(X)) - X) ** 2, axis=0)
    assert np.all(raw < 0.1 * X.var(axis=0))


def test_local_batches_cover_every_row_once():
    plan = streaming.local_batches(window=10)(95, 8, torch.Generator().manual_seed(0))
    order = torch.cat(plan)
    assert sorted(order.tolist()) == list(range(95)) and max(len(b) for b in plan) == 8
    # Each window of ten neighbouring rows is read as one run, the windows shuffled.
    windows = [int(i) // 10 for i in order]
    runs = [w for k, w in enumerate(windows) if k == 0 or windows[k - 1] != w]
    assert sorted(runs) == list(range(10)) and runs != sorted(runs)


def test_cli_trains_a_large_npy_from_disk(tmp_path, monkeypatch):
    import aekit.data

    monkeypatch.setattr(aekit.data, "MMAP_BYTES", 0)  # every .npy counts as large
    X = np.random.default_rng(0).random((80, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    assert isinstance(aekit.data.read_data(tmp_path / "x.npy"), np.memmap)
    args = ["--epochs", "2", "--latent-dim", "2", "--seed", "0", "--quiet"]
    assert main(["train", str(tmp_path / "x.npy"), "-o", str(tmp_path / "m.aek"), *args]) == 0
    assert aekit.load(tmp_path / "m.aek").transform(X).shape == (80, 2)
