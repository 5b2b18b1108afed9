"""Data readers and built-in data sets (offline: local files only)."""

import gzip
import hashlib
import struct

import numpy as np
import pandas as pd
import pytest

from aekit import data
from aekit.data import DataError, read_data, read_idx
from shared_data import missing


def _idx_bytes(array: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(np.uint8).tobytes()


def test_digits_builtin_is_unit_scaled():
    X = read_data("digits")
    assert X.shape == (1797, 64)
    assert X.dtype == np.float32 and X.min() == 0.0 and X.max() == 1.0


def test_npy_npz_csv_parquet(tmp_path):
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.save(tmp_path / "a.npy", X)
    np.savez(tmp_path / "b.npz", X=X, y=np.arange(4))
    np.savetxt(tmp_path / "c.csv", X, delimiter=",")
    pd.DataFrame(X, columns=["x", "y", "z"]).to_csv(tmp_path / "d.csv", index=False)
    assert np.array_equal(read_data(tmp_path / "a.npy"), X)
    assert np.array_equal(read_data(tmp_path / "b.npz"), X)
    assert np.array_equal(read_data(tmp_path / "c.csv"), X)
    named = read_data(tmp_path / "d.csv")
    assert list(named.columns) == ["x", "y", "z"] and np.array_equal(named.to_numpy(), X)
    pytest.importorskip("pyarrow")
    pd.DataFrame(X, columns=["x", "y", "z"]).to_parquet(tmp_path / "e.parquet")
    assert np.array_equal(read_data(tmp_path / "e.parquet").to_numpy(), X)


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("x.csv", b"", "empty"),
        ("x.csv", b"1,2\n3,4\n5,hello\n", "non-numeric"),  # no header: must be numbers
        ("x.csv", b"\xff\xfe\x00garbage", "UTF-8"),
        ("x.npy", b"not numpy at all", "not a readable .npy"),
        ("x.npz", b"PK\x03\x04broken", "not a readable .npz"),
        ("x.txt", b"1,2,3", "unknown data format"),
        ("x-idx3-ubyte", b"\x00\x00\x08\x02\x00\x00\x00\x05", "truncated"),
        ("y-idx3-ubyte", b"\x12\x34\x56\x78", "not an IDX file"),
    ],
)
def test_bad_files_name_the_file(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=match) as info:
        read_data(path)
    assert str(path) in str(info.value)


def test_missing_file_and_unknown_name():
    with pytest.raises(DataError, match="built-in"):
        read_data("no-such-thing.npy")


def test_npz_with_many_unnamed_arrays(tmp_path):
    np.savez(tmp_path / "m.npz", a=np.zeros((2, 2)), b=np.ones((2, 2)))
    with pytest.raises(DataError, match="'X'"):
        read_data(tmp_path / "m.npz")


def test_pickled_object_npy_is_refused(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="not a readable"):
        read_data(tmp_path / "o.npy")


def test_idx_gz_roundtrip(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 4, 3))
    (tmp_path / "t-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(images)))
    assert np.array_equal(read_idx(tmp_path / "t-idx3-ubyte.gz"), images)
    assert read_data(tmp_path / "t-idx3-ubyte.gz").shape == (5, 12)


@pytest.fixture
def fake_fashion(tmp_path, monkeypatch):
    """A tiny Fashion-MNIST served from a local folder through a file:// URL."""
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    sums = {}
    for stem, n in (("train", 6), ("t10k", 3)):
        arrays = {
            "images-idx3-ubyte": rng.integers(0, 256, (n, 28, 28)),
            "labels-idx1-ubyte": rng.integers(0, 10, n),
        }
        for kind, array in arrays.items():
            raw = _idx_bytes(array)
            sums[f"{stem}-{kind}"] = hashlib.sha256(raw).hexdigest()
            (mirror / f"{stem}-{kind}.gz").write_bytes(gzip.compress(raw))
    monkeypatch.setattr(data, "FASHION_MNIST_FILES", sums)
    monkeypatch.setattr(data, "SYSTEM_DIRS", [tmp_path / "not-installed"])
    monkeypatch.setenv("AEKIT_DATA", str(tmp_path / "cache"))
    return mirror.as_uri() + "/"


def test_fashion_mnist_download_is_verified_and_cached(fake_fashion, tmp_path):
    X, y = data.load_fashion_mnist("train", url=fake_fashion)
    assert X.shape == (6, 784) and X.dtype == np.float32 and X.max() <= 1.0
    assert y.shape == (6,)
    assert (tmp_path / "cache" / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file()
    # Now cached: works without the mirror and without downloading.
    X2, _ = data.load_fashion_mnist("train", download=False)
    assert np.array_equal(X, X2)


def test_fashion_mnist_checksum_mismatch_keeps_nothing(fake_fashion, tmp_path, monkeypatch):
    monkeypatch.setitem(data.FASHION_MNIST_FILES, "t10k-images-idx3-ubyte", "0" * 64)
    with pytest.raises(DataError, match="checksum mismatch"):
        data.load_fashion_mnist("test", url=fake_fashion)
    assert not (tmp_path / "cache" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").exists()


def test_fashion_mnist_offline_without_files(fake_fashion):
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        data.load_fashion_mnist("train", download=False)
    with pytest.raises(DataError, match="could not download"):
        data.load_fashion_mnist("train", url="file:///nonexistent/dir/")


def test_fashion_mnist_from_debian_package_when_installed():
    path = data.SYSTEM_DIRS[0] / "t10k-labels-idx1-ubyte.gz"
    if not path.exists():
        missing("Debian's dataset-fashion-mnist is not installed")
    X, y = data.load_fashion_mnist("test", download=False)
    assert X.shape == (10_000, 784) and set(np.unique(y)) == set(range(10))
    raw = gzip.decompress(path.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == data.FASHION_MNIST_FILES["t10k-labels-idx1-ubyte"]
