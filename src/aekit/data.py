"""Data sets and data files: what ``DATA`` means on the command line.

``DATA`` is a built-in data set name (``digits``, ``fashion-mnist``,
``fashion-mnist-test``) or a file: ``.npy``, ``.npz``, numeric ``.csv`` (header
optional), ``.parquet`` or an IDX file (``.gz`` or not, as Fashion-MNIST ships).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .saving.files import write_atomic

FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# SHA-256 of the *decompressed* IDX payloads: the .gz wrappers differ between mirrors
# and re-packagings (Debian recompresses them), the data inside must not.
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
SYSTEM_DIRS = [Path("/usr/share/datasets/fashion-mnist")]  # Debian's dataset-fashion-mnist
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_files(
    files: list[Any], read: Any, skip_bad: bool, what: str
) -> tuple[list[Any], list[Any]]:
    """``read(file)`` for each file, and the files left out: one that is unreadable (a
    ValueError naming it) stops the reading, or with ``skip_bad`` is left out, and the
    first such is said in a warning with the count."""
    out, bad = [], []
    for file in files:
        try:
            out.append(read(file))
        except ValueError as exc:
            if not skip_bad:
                raise
            bad.append((file, exc))
    if bad:
        from .errors import warn_user

        warn_user(f"skipped {len(bad)} unreadable {what} file(s); the first: "
                  f"{str(bad[0][1]).splitlines()[0]}")  # fmt: skip
    return out, [file for file, _ in bad]


class DataError(ValueError):
    """A data file or data set cannot be read; the message names it."""


def data_home() -> Path:
    """Where downloaded data sets are cached: ``$AEKIT_DATA`` or ``~/.cache/aekit``."""
    return Path(os.environ.get("AEKIT_DATA", Path.home() / ".cache" / "aekit"))


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits as float32 rows in [0, 1], and their labels."""
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    return (bunch.data / 16.0).astype(np.float32), bunch.target


def load_fashion_mnist(
    split: str = "train", *, download: bool = True, url: str = FASHION_MNIST_URL
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST as float32 rows of 784 pixels in [0, 1], and labels 0-9.

    Looks in Debian's package location, then the user cache (:func:`data_home`);
    when neither has the files and ``download`` is true, fetches them from ``url``
    into the cache, checking each file's SHA-256 before keeping it.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}.")
    stem = "train" if split == "train" else "t10k"
    images = read_idx(_fashion_file(f"{stem}-images-idx3-ubyte", download, url))
    labels = read_idx(_fashion_file(f"{stem}-labels-idx1-ubyte", download, url))
    return (images.reshape(len(images), -1) / np.float32(255)).astype(np.float32), labels


def _fashion_file(name: str, download: bool, url: str) -> Path:
    cache = data_home() / "fashion-mnist"
    for folder in [*SYSTEM_DIRS, cache]:
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    if not download:
        raise DataError(
            f"Fashion-MNIST file {name}.gz not found in {', '.join(map(str, SYSTEM_DIRS))} or "
            f"{cache}; install Debian's dataset-fashion-mnist or allow the download."
        )
    return fetch_verified(url + f"{name}.gz", cache / f"{name}.gz", FASHION_MNIST_FILES[name])


def fetch_verified(url: str, target: Path, sha256: str) -> Path:
    """Download ``url`` to ``target`` if its decompressed content has ``sha256``."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            payload = response.read()
    except OSError as exc:
        raise DataError(f"could not download {url}: {exc}") from None
    content = gzip.decompress(payload) if payload[:2] == b"\x1f\x8b" else payload
    digest = hashlib.sha256(content).hexdigest()
    if digest != sha256:
        raise DataError(
            f"{url}: checksum mismatch (SHA-256 {digest}, expected {sha256}); not kept."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, payload)
    return target


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read IDX data ({exc}).") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number).")
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4) if len(raw) >= 4 + 4 * ndim else None
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = None if dims is None else 4 + 4 * ndim + int(np.prod(dims)) * dtype.itemsize
    if expected is None or len(raw) != expected:
        raise DataError(f"{path}: IDX file is truncated or has trailing bytes.")
    return np.frombuffer(raw, dtype, offset=4 + 4 * ndim).reshape(tuple(int(d) for d in dims))


def read_data(spec: str | os.PathLike) -> Any:
    """Load ``DATA`` as the command line understands it: an array or a DataFrame."""
    name = str(spec)
    if name in BUILTIN:
        return BUILTIN[name]()
    path = Path(name)
    if path.is_dir():
        raise DataError(
            f"{name}: is a folder; this model reads a data file (.npy .npz .csv .parquet IDX). "
            "Folders of audio clips are for audio models."
        )
    if not path.is_file():
        known = ", ".join(BUILTIN)
        raise DataError(f"{name}: no such file, and not a built-in data set ({known}).")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    readers = {".npy": _read_npy, ".npz": _read_npz, ".csv": _read_csv, ".parquet": _read_parquet}
    if suffix in readers:
        return readers[suffix](path)
    if "idx" in path.name or suffix.endswith(".gz"):
        data = read_idx(path)
        return data.reshape(len(data), -1) if data.ndim > 2 else data
    raise DataError(
        f"{path}: unknown data format {path.suffix!r} (use .npy, .npz, .csv, .parquet, IDX)."
    )


BUILTIN = {  # data set names the command line accepts as DATA
    "digits": lambda: load_digits()[0],
    "fashion-mnist": lambda: load_fashion_mnist("train")[0],
    "fashion-mnist-test": lambda: load_fashion_mnist("test")[0],
}
BUILTIN_LABELS = {  # their classes: `--labels target`
    "digits": lambda: load_digits()[1],
    "fashion-mnist": lambda: load_fashion_mnist("train")[1],
    "fashion-mnist-test": lambda: load_fashion_mnist("test")[1],
}


def read_labels(source: str | os.PathLike) -> np.ndarray:
    """One label per sample from a file: ``.npy`` (1-D), ``.txt`` (one per line) or a
    one-column ``.csv`` / ``.tsv`` (with a header)."""
    import pandas as pd

    path = Path(source)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        labels = _read_npy(path)
    elif suffix == ".txt":
        labels = np.array(_utf8(path.read_bytes(), path).splitlines(), dtype=object)
    elif suffix in (".csv", ".tsv"):
        try:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        except Exception as exc:  # the CSV parser raises many kinds on a damaged file
            raise DataError(f"{path}: not a readable table ({_summary(exc)}).") from None
        if frame.shape[1] != 1:
            raise DataError(
                f"{path}: a labels table must have one column; it has {frame.shape[1]}."
            )
        labels = frame.iloc[:, 0].to_numpy()
    else:
        raise DataError(f"{path}: labels come from .npy, .txt, .csv or .tsv files.")
    if labels.ndim != 1 or len(labels) == 0:
        raise DataError(f"{path}: labels must be a non-empty 1-D list; got shape {labels.shape}.")
    return labels


# A .npy larger than this is memory-mapped: training reads it from disk (Autoencoder.fit).
MMAP_BYTES = 1 << 30


def _read_npy(path: Path) -> np.ndarray:
    try:
        mmap = "r" if path.stat().st_size > MMAP_BYTES else None
        return np.load(path, allow_pickle=False, mmap_mode=mmap)
    except Exception as exc:  # numpy's header parser raises many kinds on a damaged file
        raise DataError(f"{path}: not a readable .npy array ({exc}).") from None


def _read_npz(path: Path) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.keys())
            for key in ("X", "x", "data", "codes"):
                if key in keys:
                    return archive[key]
            if len(keys) == 1:
                return archive[keys[0]]
    except Exception as exc:  # zip and header parsers raise many kinds on a damaged file
        raise DataError(f"{path}: not a readable .npz archive ({exc}).") from None
    raise DataError(f"{path}: holds arrays {keys}; name the data 'X' (or keep a single array).")


def _read_csv(path: Path):
    import pandas as pd

    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text.") from None
    if not first.strip():
        raise DataError(f"{path}: the file is empty.")
    try:
        [float(field) for field in first.split(",")]
        header = None
    except ValueError:
        header = 0
    try:
        frame = pd.read_csv(path, header=header)
    except Exception as exc:  # the CSV parser raises many kinds on a damaged file
        raise DataError(f"{path}: not a readable CSV table ({_summary(exc)}).") from None
    return _numeric_frame(frame, path, named=header is not None)


def _read_parquet(path: Path):
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except ImportError:
        raise DataError(
            f"{path}: reading .parquet needs pyarrow (pip install 'aekit[all]')."
        ) from None
    except Exception as exc:  # pyarrow raises many kinds on a damaged file
        raise DataError(f"{path}: not a readable Parquet file ({_summary(exc)}).") from None
    return _numeric_frame(frame, path, named=True)


def _numeric_frame(frame, path: Path, *, named: bool):
    """Numeric tables as arrays (or DataFrames when named); mixed tables stay DataFrames."""
    import pandas as pd

    if frame.empty:
        raise DataError(f"{path}: the table has no rows.")
    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad and not named:
        raise DataError(f"{path}: non-numeric column(s) {', '.join(bad[:5])}.")
    if not named:
        return frame.to_numpy()
    # Named columns may be categorical: the estimator encodes them (see aekit.arrays.tables).
    frame.columns = [str(c) for c in frame.columns]
    return frame


def read_texts(source: str | os.PathLike, column: str | None = None) -> list[str]:
    """Texts from a file: ``.txt`` (one per line) or ``.csv`` / ``.tsv`` (``column``).

    A table with one column needs no ``column``. Bytes that are not UTF-8 raise a
    :class:`DataError` naming the file and line.
    """
    import csv

    import pandas as pd

    path = Path(source)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; texts come from a .txt, .csv or .tsv file.")
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    if suffix not in (".txt", ".csv", ".tsv"):
        raise DataError(f"{path}: texts come from .txt (one per line), .csv or .tsv files.")
    text = _utf8(path.read_bytes(), path)
    if suffix == ".txt":
        if column is not None:
            raise DataError(
                f"{path}: --column is for .csv and .tsv files; a .txt is one text per line."
            )
        texts = text.splitlines()
    else:
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep="\t" if suffix == ".tsv" else ",",
                # Chat posts are full of stray quotes: in a .tsv they are text.
                quoting=csv.QUOTE_NONE if suffix == ".tsv" else csv.QUOTE_MINIMAL,
                dtype=str,
                keep_default_na=False,
            )
        except Exception as exc:  # the CSV parser raises many kinds on a damaged file
            raise DataError(f"{path}: not a readable table ({_summary(exc)}).") from None
        if column is None:
            if frame.shape[1] != 1:
                names = ", ".join(map(str, frame.columns[:8]))
                raise DataError(f"{path}: has columns {names}; name the text one with --column.")
            column = frame.columns[0]
        if column not in frame.columns:
            names = ", ".join(map(str, frame.columns[:8]))
            raise DataError(f"{path}: no column {column!r} (columns: {names}).")
        texts = frame[column].tolist()
    if not texts:
        raise DataError(f"{path}: the file holds no texts.")
    return texts


def _utf8(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(
            f"{path}: line {line}, column {column}: byte 0x{raw[exc.start]:02x} is not UTF-8 "
            "text (save the file as UTF-8)."
        ) from None


def _summary(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def as_list(X: Any, noun: str) -> list[Any]:
    """``X`` as a non-empty list; ``noun`` (plural: "texts", "clips") names the items
    in the ValueError for something that is not a collection, or an empty one."""
    try:
        items = list(X)
    except TypeError:
        raise ValueError(f"X must be a list of {noun}; got {type(X).__name__}.") from None
    if not items:
        raise ValueError(f"X holds no {noun}: at least one is needed.")
    return items
