"""Fuzzing: random bytes and mutated valid files reach the model-file loader, every
data reader, the image reader and ``decompress``, and only their documented errors come
out (ModelFileError; DataError for data files; ValueError for audio clips; BadImage for
images; StreamError for streams), each case within a time limit. A pickle payload
planted anywhere never runs."""

import gzip
import io
import pickle
import struct
import tempfile
import warnings
import zlib
from datetime import timedelta
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
# No hang: a case that takes longer fails (the slowest seen here take ~0.3 s).
TIMED = settings(FUZZ, deadline=timedelta(seconds=5))
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
    TIMED(given(st.binary(max_size=2048))(attempt))()
    TIMED(given(mutated(valid))(attempt))()


def _images() -> dict[str, bytes]:
    """A small valid file of each format the image reader takes."""
    from PIL import Image

    rng = np.random.default_rng(0)
    picture = Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8), "RGB")
    out = {}
    for suffix, fmt, mode in [(".png", "PNG", "RGBA"), (".jpg", "JPEG", "RGB"),
                              (".gif", "GIF", "P"), (".bmp", "BMP", "RGB"),
                              (".tif", "TIFF", "RGB"), (".webp", "WEBP", "RGB")]:  # fmt: skip
        buffer = io.BytesIO()
        picture.convert(mode).save(buffer, fmt)
        out[suffix] = buffer.getvalue()
    return out


def test_image_reader_mutated_files():
    """500 image files (PNG, JPEG, GIF, BMP, TIFF, WebP) with bytes changed, cut or
    spliced: each decodes to an image or is a BadImage naming the file."""
    from aekit.images.input import BadImage, decoded

    valid = _images()
    for suffix, raw in valid.items():  # each valid file reads
        assert decoded(str(_write("x" + suffix, raw))).size == (10, 12)
    cases = st.sampled_from(sorted(valid)).flatmap(
        lambda suffix: mutated(valid[suffix]).map(lambda raw: (suffix, raw))
    )

    @TIMED
    @given(cases)
    def check(case):
        suffix, raw = case
        path = _write("fuzz" + suffix, raw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns of odd chunks; errors matter
            try:
                image = decoded(str(path))
            except BadImage as exc:
                assert str(path) in str(exc)
                return
        assert image.size[0] >= 1 and image.size[1] >= 1

    check()


def _codec():
    rng = np.random.default_rng(0)
    images = np.zeros((48, 28, 28, 1), np.uint8)
    for image in images:
        y, x, s = rng.integers(0, 14), rng.integers(0, 14), rng.integers(6, 14)
        image[y : y + s, x : x + s] = rng.integers(120, 256)
    codec = aekit.ImageAutoencoder(
        bottleneck="quantized", architecture="resconv", latent_shape=(4, 7, 7),
        latent_dim=196, hidden_dims=(8, 16), hyperprior=2, epochs=2, random_state=0,
    ).fit(images)  # fmt: skip
    return codec, codec.compress(images[:6])


def _resealed(raw: bytes) -> bytes:
    """``raw`` with its last four bytes made the CRC-32 of the rest: a mutation that
    reaches past the stream's outer check, into the header's counts and the coder."""
    return raw[:-4] + zlib.crc32(raw[:-4]).to_bytes(4, "little") if len(raw) > 4 else raw


def test_decompress_mutated_streams():
    """500 streams of a hyperprior codec with bytes changed, cut or spliced, half of
    them resealed so that they pass the outer CRC-32: each decodes to the very images
    of the intact stream or is a StreamError; none escapes as another exception."""
    pytest.importorskip("constriction")
    from aekit.codec import StreamError

    codec, stream = _codec()
    expected = codec.decompress(stream)
    seen = {"refused": 0, "same": 0}

    @TIMED
    @given(mutated(stream).flatmap(lambda raw: st.sampled_from([raw, _resealed(raw)])))
    def check(raw):
        try:
            got = codec.decompress(raw)
        except StreamError:
            seen["refused"] += 1
            return
        assert np.array_equal(got, expected), "a mutated stream decoded to other images"
        seen["same"] += 1

    check()
    assert seen["refused"] > 0
