"""The waveform model and the audio codec: AudioAutoencoder(representation="waveform")
and AudioAutoencoder(bottleneck="quantized"), on synthetic tones and chirps."""

import numpy as np
import pytest
import torch

import aekit
from aekit.audio.autoencoder import _level_codes, _levels
from aekit.codec import StreamError
from aekit.codec.bitstream import Packer, Unpacker
from aekit.codec.stream import _put_small, _take_small
from aekit.objective.penalties import Pass, Rate

pytest.importorskip("librosa")

RATE = 8000
SMALL = dict(latent_dim=4, width=4, segment=0.25, epochs=4, batch_size=8, random_state=0,
             validation_fraction=0, sample_rate=RATE)  # fmt: skip


def chirp(f0: float, f1: float, n: int, level: float = 0.5) -> np.ndarray:
    t = np.arange(n) / RATE
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * max(t[-1], 1e-9)))
    return (level * np.sin(phase)).astype(np.float32)


@pytest.fixture(scope="module")
def clips():
    rng = np.random.default_rng(0)
    return [chirp(*rng.uniform(200, 2000, 2), int(n), rng.uniform(0.1, 0.9))
            for n in rng.integers(400, 3000, 16)]  # fmt: skip


@pytest.fixture(scope="module")
def codec(clips):
    return aekit.AudioAutoencoder(bottleneck="quantized", rate_weight=0.05, **SMALL).fit(clips)


def test_a_codec_hears_waveforms_and_a_plain_model_spectrograms_by_default(codec):
    assert isinstance(codec.autoencoder_, aekit.audio.waveform_model.WaveformModel)
    assert codec.hop_length_ == 40  # 5 ms frames at 8 kHz
    plain = aekit.AudioAutoencoder(latent_dim=4, epochs=1, sample_rate=RATE)
    assert not plain._waveform()
    assert aekit.AudioAutoencoder(representation="waveform")._waveform()


@pytest.mark.parametrize("length", [1, 39, 40, 41, 2001])
def test_any_clip_length_comes_back_with_its_length(codec, length):
    clip = chirp(300, 900, length)
    assert len(codec.reconstruct([clip])[0]) == length
    assert len(codec.decompress(codec.compress([clip]))[0]) == length
    (code,) = codec.transform([clip])
    assert code.shape == (-(-length // 40), 4)  # a frame per 40 samples, the last padded


def test_a_plain_waveform_model_decodes_each_clip_at_its_length(clips):
    model = aekit.AudioAutoencoder(representation="waveform", **SMALL).fit(clips[:6])
    codes = model.transform(clips[:3])
    assert [c.shape for c in codes] == [(-(-len(w) // 40), 4) for w in clips[:3]]
    back = model.inverse_transform(codes)
    assert [len(b) for b in back] == [40 * len(c) for c in codes]
    rebuilt = model.reconstruct(clips[:3])
    assert [len(r) for r in rebuilt] == [len(w) for w in clips[:3]]
    with pytest.raises(ValueError, match="compress needs a codec"):
        model.compress(clips[:1])
    model.set_params(representation="logmel", width=None, segment=None, latent_dim=2).fit(clips[:4])
    assert model.transform(clips[:2]).shape == (2, 2)  # the settings decide a refit


def test_a_clips_code_does_not_depend_on_the_clips_beside_it(codec, clips):
    inner = codec.autoencoder_
    waves = codec.waveforms(clips)
    alone = [inner.transform([w])[0] for w in waves[:3]]
    together = inner.transform(waves)[:3]
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)  # integers: rounding may not move
    decoded_alone = inner.inverse_transform(alone[:1])[0]
    decoded_together = inner.inverse_transform(together)[0]
    np.testing.assert_allclose(decoded_alone, decoded_together, atol=1e-5)


def test_a_stream_decodes_to_the_decoder_output_on_the_rounded_code(codec, clips):
    inner = codec.autoencoder_
    waves = codec.waveforms(clips)
    codes = inner.transform(waves)
    assert all(np.array_equal(c, np.rint(c)) for c in codes)
    decoded = inner.inverse_transform(codes)
    got, _ = inner.decompress(inner.compress(waves))
    for g, d, w in zip(got, decoded, waves, strict=True):
        assert np.array_equal(g, d[: len(w)])  # bit for bit


def test_decompress_gives_each_clip_its_own_level(codec, clips):
    got = codec.decompress(codec.compress(clips))
    rebuilt = codec.reconstruct(clips)  # at the peak-normalised level the model hears
    for g, r, w in zip(got, rebuilt, clips, strict=True):
        level = np.abs(w).max()
        kept = _levels(_level_codes(np.array([level])))[0]
        assert abs(kept / level - 1) < 0.0145  # 1/8 dB
        np.testing.assert_allclose(g, r * kept, rtol=1e-6, atol=1e-7)


def test_the_stream_costs_what_the_learned_density_says(codec, clips):
    inner = codec.autoencoder_
    waves = codec.waveforms(clips)
    bits = 0.0
    with torch.no_grad():
        for code in inner.transform(waves):
            bits += float(inner.network_.bits(torch.from_numpy(code.T.reshape(1, -1).copy())))
    stream = codec.compress(clips)
    # the header (31 bytes), the two CRCs, the coder's last word and each clip's
    # frames, length and level (a few bytes a clip) on top
    assert bits / 8 <= len(stream) <= bits / 8 * 1.02 + 31 + 8 + 4 + 6 * len(clips)


def test_bad_streams_are_refused_with_the_reason(codec, clips):
    stream = codec.compress(clips[:3])
    with pytest.raises(StreamError, match="truncated"):
        codec.decompress(stream[:-3])
    damaged = bytearray(stream)
    damaged[35] ^= 0x04
    with pytest.raises(StreamError, match="damaged: its CRC-32"):
        codec.decompress(bytes(damaged))
    with pytest.raises(StreamError, match="not an aekit compressed stream"):
        codec.decompress(b"RIFF" + stream[4:])
    other = aekit.AudioAutoencoder(**{**codec.get_params(), "random_state": 1}).fit(clips[:4])
    with pytest.raises(StreamError, match="written by another model"):
        other.decompress(stream)
    with pytest.raises(ValueError, match="decompress takes bytes"):
        codec.decompress("packed.aekz")


def test_mutated_streams_decode_exactly_or_raise_the_stream_error(codec, clips):
    import random

    stream = codec.compress(clips[:2])
    expected = codec.decompress(stream)
    rng = random.Random(0)
    refused = 0
    for _ in range(200):
        data = bytearray(stream)
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        else:
            data = data[: rng.randrange(len(data))] + stream[rng.randrange(len(stream)) :]
        try:
            got = codec.decompress(bytes(data))
        except ValueError:
            refused += 1
            continue
        assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
    assert refused > 180


def test_a_saved_codec_reads_its_streams(codec, clips, tmp_path):
    stream = codec.compress(clips[:4])
    codec.save(tmp_path / "codec.aek")
    loaded = aekit.load(tmp_path / "codec.aek")
    assert loaded.autoencoder_.model_id() == codec.autoencoder_.model_id()
    for a, b in zip(loaded.decompress(stream), codec.decompress(stream), strict=True):
        assert np.array_equal(a, b)


def test_small_integers_round_trip_in_a_few_bits():
    values = np.array([0, 1, -1, 100, -100, 2**31 - 1, -(2**31), 40, 7])
    packer = Packer()
    _put_small(packer, values)
    stream = packer.finish(b"12345678", 1, 1, 1)
    reader = Unpacker(stream, b"12345678", 1, 1)
    assert np.array_equal(_take_small(reader, len(values)), values)
    reader.finish()
    one = Packer()
    _put_small(one, np.array([100]))  # 200 zigzagged: 8 bits long, 5.4 + 7 bits
    assert len(one.finish(b"12345678", 1, 1, 1)) == 31 + 4 + 8  # header, a word, CRCs


def test_a_target_rate_is_a_squared_distance_and_a_plain_one_a_weight():
    class Bits(torch.nn.Module):
        def bits(self, code):
            return code.sum(dim=1)

    code = torch.full((2, 1), 80.0)  # 80 bits per 10 ms: 8 kbps
    state = Pass(Bits(), code, code, None, 0.5, True)
    assert float(Rate(3.0, 10.0)(state)) == pytest.approx(3.0 * 8.0)
    assert float(Rate(3.0, 10.0, target=2.0)(state)) == pytest.approx(3.0 * (8.0 / 2.0 - 1) ** 2)


def test_bitrate_lands_within_ten_percent_on_the_fit_clips(fsdd):
    from aekit.audio.clips import read_clip

    clips = [read_clip(f)[0] for f in sorted(fsdd.glob("*_jackson_*.wav"))[:20]]
    model = aekit.AudioAutoencoder(bottleneck="quantized", bitrate=4.0, latent_dim=8, width=8,
                                   epochs=20, batch_size=4, learning_rate=3e-3, random_state=0,
                                   validation_fraction=0, sample_rate=RATE).fit(clips)  # fmt: skip
    seconds = sum(len(w) for w in clips) / RATE
    kbps = 8 * len(model.compress(clips)) / seconds / 1000  # the stream, header and all
    assert abs(kbps / 4.0 - 1) < 0.10, kbps
    free = aekit.AudioAutoencoder(**{**model.get_params(), "bitrate": None, "rate_weight": 0,
                                     "epochs": 5})  # fmt: skip
    free_kbps = 8 * len(free.fit(clips).compress(clips)) / seconds / 1000
    assert free_kbps > 4.8  # left alone, it spends more: the target did the work


def test_codec_settings_are_refused_where_they_do_nothing(clips):
    with pytest.raises(ValueError, match="bitrate is a codec's setting"):
        aekit.AudioAutoencoder(representation="waveform", bitrate=4.0, **SMALL).fit(clips[:2])
    with pytest.raises(ValueError, match="takes no bitrate"):
        aekit.AudioAutoencoder(bitrate=4.0, sample_rate=RATE).fit(clips[:2])
    model = aekit.AudioAutoencoder(latent_dim=2, epochs=1, sample_rate=RATE).fit(clips[:4])
    with pytest.raises(ValueError, match="compress needs a waveform model"):
        model.compress(clips[:1])


def test_cli_train_compress_decompress_writes_what_python_decodes(fsdd, tmp_path, capsys):
    import io
    import shutil

    import soundfile

    from aekit.audio.clips import read_clip, write_clip
    from aekit.cli import main

    folder = tmp_path / "wavs"
    folder.mkdir()
    for path in sorted(fsdd.glob("*_lucas_2.wav"))[:4]:
        shutil.copy(path, folder)
    model, packed, out = tmp_path / "codec.aek", tmp_path / "packed.aekz", tmp_path / "out"
    train = ["train", str(folder), "--model", "audio", "--bottleneck", "quantized",
             "--bitrate", "4", "--latent-dim", "4", "--width", "4", "--epochs", "2",
             "--seed", "0", "--quiet", "-o", str(model)]  # fmt: skip
    assert main(train) == 0
    assert main(["compress", str(model), str(folder), "-o", str(packed)]) == 0
    line = capsys.readouterr().out
    seconds = sum(len(read_clip(f)[0]) / 8000 for f in folder.iterdir())
    kbps = 8 * packed.stat().st_size / seconds / 1000
    assert f"wrote 4 clips ({seconds:.1f} s) in {packed.stat().st_size} bytes" in line
    assert f"{kbps:.2f} kbps" in line and "times smaller than the input files" in line
    assert main(["decompress", str(model), str(packed), "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in folder.iterdir())  # the sources' names
    python = aekit.load(model).decompress(packed.read_bytes())
    for name, wave in zip(names, python, strict=True):
        buffer = io.BytesIO()
        write_clip(buffer, wave, 8000)
        buffer.seek(0)
        assert np.array_equal(read_clip(out / name)[0], soundfile.read(buffer, dtype="float32")[0])
    assert main(["encode", str(model), str(folder), "-o", str(tmp_path / "c.npy")]) == 2
    assert "aekit compress writes them" in capsys.readouterr().err
    assert main(["evaluate", str(model), str(folder), "--json"]) == 0
    import json

    figures = json.loads(capsys.readouterr().out)
    assert figures["kbps"] == pytest.approx(kbps, rel=0.05)
    assert {"stoi", "logmel_distance", "spectral_convergence"} <= set(figures)
    page = tmp_path / "report.html"
    assert main(["report", str(model), str(folder), "-o", str(page)]) == 0
    html = page.read_text()
    assert "MP3 (nearest rate)" in html and "Opus (nearest rate)" in html
    assert html.count("<audio") == 4 * min(3, 4)  # original, aekit, MP3, Opus per clip
    assert "this codec" in html or "Rate and quality" in html
