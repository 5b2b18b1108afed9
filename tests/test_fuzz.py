"""Fuzzing: random bytes and mutated valid files reach the model-file loader and every
data reader, and only their documented errors come out (ModelFileError; DataError for
data files; ValueError for audio clips). A pickle payload planted anywhere never runs."""

import gzip
import io
import pickle
import struct
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aekit
from aekit.data import DataError, read_data, read_texts
from aekit.saving.model_file import ModelFileError

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,  # the same examples in every CI run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WORK = Path(tempfile.mkdtemp(prefix="aekit-fuzz-"))
PWNED = WORK / "pwned"


class _Payload:
    def __reduce__(self):
        return (Path.touch, (PWNED,))


PICKLE = pickle.dumps(_Payload())


def mutated(valid: bytes):
    """Strategies for broken versions of ``valid``: flipped bytes, a cut, a splice of
    random or pickle bytes."""
    edits = st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)), max_size=8)

    def flip(changes):
        out = bytearray(valid)
        for position, value in changes:
            out[position] = value
        return bytes(out)

    cut = st.integers(0, len(valid)).map(lambda n: valid[:n])
    spliced = st.tuples(st.integers(0, len(valid)), st.binary(max_size=64) | st.just(PICKLE)).map(
        lambda t: valid[: t[0]] + t[1] + valid[t[0] :]
    )
    return edits.map(flip) | cut | spliced


def model_bytes() -> bytes:
    X = np.random.default_rng(0).random((40, 6)).astype(np.float32)
    model = aekit.Autoencoder(2, hidden_dims=(4,), epochs=1, random_state=0).fit(X)
    model.save(WORK / "valid.aek")
    return (WORK / "valid.aek").read_bytes()


VALID_MODEL = model_bytes()


def try_load(raw: bytes) -> None:
    path = WORK / "fuzz.aek"
    path.write_bytes(raw)
    try:
        aekit.load(path)
    except ModelFileError:
        pass
    assert not PWNED.exists()


@FUZZ
@given(st.binary(max_size=4096))
def test_model_loader_random_bytes(raw):
    with pytest.raises(ModelFileError):
        aekit.load(_write("random.aek", raw))


@FUZZ
@given(mutated(VALID_MODEL))
def test_model_loader_mutated_files(raw):
    try_load(raw)


def _write(name: str, raw: bytes) -> Path:
    path = WORK / name
    path.write_bytes(raw)
    return path


def _idx() -> bytes:
    data = np.arange(24, dtype=np.uint8)
    return gzip.compress(struct.pack(">BBBBIII", 0, 0, 0x08, 3, 2, 3, 4) + data.tobytes())


def _npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.ones((3, 2)))
    return buffer.getvalue()


def _npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(12.0).reshape(4, 3))
    return buffer.getvalue()


def _parquet() -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1.0, 2.0], "kind": ["x", "y"]}).to_parquet(buffer)
    return buffer.getvalue()


def _wav() -> bytes:
    from aekit.audio.clips import write_clip

    buffer = io.BytesIO()
    write_clip(buffer, np.sin(np.arange(800) / 5).astype(np.float32), 8000)
    return buffer.getvalue()


READERS = {  # name: (file name, reader, valid bytes, the error it documents)
    "npy": ("x.npy", read_data, _npy, DataError),
    "npz": ("x.npz", read_data, _npz, DataError),
    "csv": ("x.csv", read_data, lambda: b"a,b,kind\n1,2,x\n3,4.5,y\n", DataError),
    "parquet": ("x.parquet", read_data, _parquet, DataError),
    "idx": ("x-idx3-ubyte.gz", read_data, _idx, DataError),
    "txt": ("x.txt", read_texts, lambda: "hi all\nlol\nchipotle \u00e9\n".encode(), DataError),
    "tsv": ("x.tsv", lambda p: read_texts(p, "text"), lambda: b"class\ttext\nA\thi\nB\tlol\n",
            DataError),
}  # fmt: skip


def _read(kind: str, raw: bytes) -> None:
    name, reader, _, error = READERS[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # readers may warn about odd files; errors matter
        try:
            reader(_write(name, raw))
        except error:
            pass


@pytest.mark.parametrize("kind", list(READERS))
def test_data_readers_random_bytes(kind):
    @FUZZ
    @given(st.binary(max_size=2048))
    def check(raw):
        _read(kind, raw)

    check()


@pytest.mark.parametrize("kind", list(READERS))
def test_data_readers_mutated_files(kind):
    _read(kind, READERS[kind][2]())  # the valid file reads

    @FUZZ
    @given(mutated(READERS[kind][2]()))
    def check(raw):
        _read(kind, raw)

    check()
    assert not PWNED.exists()


def test_audio_reader_random_and_mutated_bytes():
    pytest.importorskip("soundfile")
    from aekit.audio.clips import read_clip

    def attempt(raw):
        try:
            read_clip(_write("x.wav", raw))
        except ValueError:
            pass

    valid = _wav()
    attempt(valid)
    FUZZ(given(st.binary(max_size=2048))(attempt))()
    FUZZ(given(mutated(valid))(attempt))()
