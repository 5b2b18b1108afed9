"""Hostile and odd files: an image over the pixel limit, a decompression bomb, a
truncated file, a file that is not an image, a zero-byte file, a symlink loop, an
unreadable file; a WAV whose header lies, an empty one, one that is not audio; a CSV
series of a header only, ragged rows or text in a number column. Each stops the run
with one line naming the file and the cause (exit status 2; a ValueError subclass in
Python), or with --skip-bad / skip_bad=True is left out and counted. Never a traceback."""

import errno
import io
import os
import re
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

import aekit
from aekit.cli import main
from aekit.images.input import BadImage

IMAGE = ["--model", "image", "--latent-dim", "4", "--epochs", "1", "--quiet"]


def _png(width: int, height: int) -> bytes:
    """A 1-bit PNG of ``width`` x ``height`` black pixels, its data compressed as a
    decompression bomb's is: 20,000 x 20,000 takes 50 MB inflated and ~50 KB here."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))  # fmt: skip

    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row * 500) for _ in range(height // 500))
    data += packer.compress(row * (height % 500)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
            + chunk(b"IEND", b""))  # fmt: skip


def _good(folder, n=4):
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8), "L").save(
            folder / f"good{i}.png"
        )


def _valid_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 40, 3), np.uint8)).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


def _bomb(folder):
    (folder / "bomb.png").write_bytes(_png(20_000, 20_000))
    # over twice the limit: Pillow refuses it from the header, and says so
    return "bomb.png", "Image size (400000000 pixels) exceeds limit of 178956970 pixels"


def _over_limit(folder):
    Image.new("L", (100, 100)).save(folder / "big.png")
    return "big.png", "declares 100 x 100 = 10,000 pixels, over the limit of 5,000"


def _truncated(folder):
    (folder / "cut.png").write_bytes(_valid_png()[:300])
    return "cut.png", "damaged or truncated image"


def _not_an_image(folder):
    (folder / "notes.png").write_text("really need chipotle today\n")
    return "notes.png", "not an image Pillow can read"


def _zero_bytes(folder):
    (folder / "empty.png").write_bytes(b"")
    return "empty.png", "not an image Pillow can read"


def _loop(folder):
    os.symlink(folder / "b.png", folder / "a.png")
    os.symlink(folder / "a.png", folder / "b.png")
    return "a.png", "cannot be read (Too many levels of symbolic links)"


def _unreadable(folder, monkeypatch):
    path = folder / "locked.png"
    path.write_bytes(_valid_png())
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: make the open fail as it would
        opener = Image.open

        def refuse(fp, *args, **kwargs):
            if str(fp) == str(path):
                raise PermissionError(errno.EACCES, "Permission denied", str(fp))
            return opener(fp, *args, **kwargs)

        monkeypatch.setattr(Image, "open", refuse)
    return "locked.png", "cannot be read (Permission denied)"


IMAGE_CASES = {"bomb": _bomb, "over max_pixels": _over_limit, "truncated": _truncated,
               "not an image": _not_an_image, "zero bytes": _zero_bytes,
               "symlink loop": _loop, "unreadable": _unreadable}  # fmt: skip


def _make(case, folder, monkeypatch):
    make = IMAGE_CASES[case]
    return make(folder, monkeypatch) if case == "unreadable" else make(folder)


def _limit(case):
    return ["--max-pixels", "5000"] if case == "over max_pixels" else []


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_a_hostile_image_stops_training_with_one_line(case, tmp_path, capsys, monkeypatch):
    _good(tmp_path)
    name, cause = _make(case, tmp_path, monkeypatch)
    argv = ["train", str(tmp_path), "-o", str(tmp_path / "m.aek"), *IMAGE, *_limit(case)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("aekit train: error: "), err
    assert name in err and cause in err and "--skip-bad" in err, err
    assert not (tmp_path / "m.aek").exists()


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_skip_bad_leaves_a_hostile_image_out_and_counts_it(case, tmp_path, capsys, monkeypatch):
    _good(tmp_path)
    name, _ = _make(case, tmp_path, monkeypatch)
    argv = ["train", str(tmp_path), "-o", str(tmp_path / "m.aek"), *IMAGE, *_limit(case),
            "--skip-bad"]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    bad = 2 if case == "symlink loop" else 1  # both links of the loop
    assert f"skipped {bad} unreadable image file(s), first" in err, err
    assert aekit.load(tmp_path / "m.aek").n_features_in_ == 16 * 16


@pytest.mark.parametrize("case", list(IMAGE_CASES))
def test_python_names_the_file_or_skips_it(case, tmp_path, monkeypatch):
    _good(tmp_path)
    name, cause = _make(case, tmp_path, monkeypatch)
    limit = 5000 if case == "over max_pixels" else None
    with pytest.raises(BadImage, match=re.escape(cause)) as raised:
        aekit.read_images(tmp_path, max_pixels=limit)
    assert name in str(raised.value)
    if limit is None:  # fit on the folder itself says the same
        with pytest.raises(BadImage, match=re.escape(cause)):
            aekit.ImageAutoencoder(latent_dim=4, epochs=1).fit(str(tmp_path))
    with pytest.warns(UserWarning, match="skipped .* unreadable image file"):
        images = aekit.read_images(tmp_path, skip_bad=True, max_pixels=limit)
    assert sorted(os.path.basename(i.filename) for i in images) == [
        f"good{i}.png" for i in range(4)
    ]


def test_the_limit_is_checked_before_decoding(tmp_path, monkeypatch):
    """12,000 x 12,000 pixels: under the twice-the-limit where Pillow refuses, over the
    limit where it only warns. Refused from its header: no pixel is decoded."""
    from PIL import ImageFile

    (tmp_path / "bomb.png").write_bytes(_png(12_000, 12_000))
    loads = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor Pillow's DecompressionBombWarning
        with pytest.raises(BadImage, match="144,000,000 pixels, over the limit of 89,478,485"):
            aekit.read_images(tmp_path / "bomb.png")
    assert loads == []


# ---------------------------------------------------------------- audio
def _wav(seconds: float = 0.5) -> bytes:
    from aekit.audio.clips import write_clip

    buffer = io.BytesIO()
    t = np.arange(int(8000 * seconds)) / 8000
    write_clip(buffer, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 8000)
    return buffer.getvalue()


def _lying_wav() -> bytes:
    """A WAV whose header says its data runs 1 GB: the samples there are read."""
    raw = bytearray(_wav())
    at = raw.index(b"data")
    struct.pack_into("<I", raw, at + 4, 2**30)
    struct.pack_into("<I", raw, 4, 2**30 + 36)
    return bytes(raw)


AUDIO_CASES = {
    "empty": (b"", "not a readable audio file"),
    "not audio": (b"really need chipotle today\n" * 20, "not a readable audio file"),
}


def test_a_wav_whose_header_lies_about_its_length_reads_what_is_there(tmp_path):
    pytest.importorskip("soundfile")
    from aekit.audio.clips import read_clip

    (tmp_path / "lies.wav").write_bytes(_lying_wav())
    (tmp_path / "true.wav").write_bytes(_wav())
    wave, rate = read_clip(tmp_path / "lies.wav")
    truth, _ = read_clip(tmp_path / "true.wav")
    assert rate == 8000 and np.array_equal(wave, truth)  # the 4,000 samples there, no more


@pytest.mark.parametrize("case", list(AUDIO_CASES))
def test_a_bad_audio_file_stops_training_with_one_line_or_is_skipped(case, tmp_path, capsys):
    pytest.importorskip("soundfile")
    for i in range(3):
        (tmp_path / f"good{i}.wav").write_bytes(_wav())
    raw, cause = AUDIO_CASES[case]
    (tmp_path / "bad.wav").write_bytes(raw)
    argv = ["train", str(tmp_path), "-o", str(tmp_path / "m.aek"), "--model", "audio",
            "--epochs", "1", "--latent-dim", "2", "--quiet"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.wav" in err and cause in err, err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*argv, "--skip-bad"]) == 0
    assert "skipped 1 unreadable audio file(s), first" in capsys.readouterr().err
    with pytest.warns(UserWarning, match="skipped 1 unreadable audio file"):
        assert len(aekit.read_clips(tmp_path, skip_bad=True)) == 3
    with pytest.raises(ValueError, match=f"bad.wav: {cause}"):
        aekit.read_clips(tmp_path)


# ---------------------------------------------------------------- CSV series
SERIES_CASES = {
    "header only": ("time,value\n", "the table has no rows"),
    "ragged rows": ("a,b\n1,2\n3,4\n5,6,7\n8,9\n", "not a readable CSV table"),
    "text in a number column": ("a,b\n" + "".join(f"{i},{i}\n" for i in range(40)) + "x,1\n",
                                "column"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(SERIES_CASES))
def test_a_bad_series_csv_stops_with_one_line(case, tmp_path, capsys):
    text, cause = SERIES_CASES[case]
    (tmp_path / "s.csv").write_text(text)
    argv = ["train", str(tmp_path / "s.csv"), "-o", str(tmp_path / "m.aek"), "--model",
            "series", "--window", "8", "--epochs", "1", "--quiet"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "s.csv" in err and cause in err, err
