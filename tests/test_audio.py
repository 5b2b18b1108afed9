"""AudioAutoencoder: clips -> codes -> clips, on synthetic tones and a few FSDD clips."""

import numpy as np
import pytest

import aekit
from aekit.audio.clips import fix_length, read_clip, write_clip
from aekit.audio.spectrogram import LogMel, spectral_convergence, voiced_mean

pytest.importorskip("librosa")

RATE = 8000
FREQS = (300.0, 500.0, 800.0, 1200.0, 1800.0, 2500.0)


def tone(freq: float, seconds: float = 0.25, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(wave: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(wave))
    return float(np.fft.rfftfreq(len(wave), 1 / rate)[np.argmax(spectrum)])


def small(**params):
    settings = {"architecture": "conv", "hidden_dims": (8, 16), "epochs": 150, "batch_size": 8}
    settings.update(validation_fraction=0, random_state=0, **params)
    return aekit.Autoencoder(4, **settings)


@pytest.fixture(scope="module")
def tones_model():
    clips = [tone(f) for f in FREQS] * 2
    return aekit.AudioAutoencoder(autoencoder=small(), sample_rate=RATE).fit(clips), clips


def test_shapes_and_settings(tones_model):
    model, clips = tones_model
    assert model.sample_rate_ == RATE and model.n_fft_ == 256 and model.hop_length_ == 64
    assert model.n_samples_ == len(clips[0])
    assert model.spectrogram_shape_ == (40, 1 + len(clips[0]) // 64)
    codes = model.transform(clips)
    assert codes.shape == (len(clips), 4) and codes.dtype == np.float32
    waves = model.inverse_transform(codes)
    assert len(waves) == len(clips) and all(w.shape == (model.n_samples_,) for w in waves)
    assert model.spectrograms(clips).shape == (len(clips), *model.spectrogram_shape_)
    assert model.score_samples(clips).shape == (len(clips),)
    assert model.get_feature_names_out().tolist()[:2] == ["audioautoencoder0", "audioautoencoder1"]


def test_round_trip_keeps_the_pitch(tones_model):
    model, clips = tones_model
    for freq, wave in zip(FREQS, model.reconstruct(clips[: len(FREQS)]), strict=True):
        assert abs(peak_hz(wave) - freq) < 60, freq  # one mel band at these pitches
    assert model.spectral_convergence(clips[:3]).shape == (3,)


def test_griffin_lim_inverts_a_log_mel_spectrogram(fsdd):
    wave, rate = read_clip(sorted(fsdd.glob("3_jackson_*.wav"))[0])
    spec = LogMel(rate, 256, 64, 40)
    waves = fix_length(wave, 4000)[None]
    rebuilt = spec.invert(spec(waves), 4000, n_iter=32)
    assert rebuilt.shape == (1, 4000)
    assert spectral_convergence(waves, rebuilt, spec)[0] < 0.5


def test_save_load_identity(tmp_path, tones_model):
    model, clips = tones_model
    model.save(tmp_path / "m.aek")
    twin = aekit.load(tmp_path / "m.aek")
    np.testing.assert_array_equal(twin.transform(clips), model.transform(clips))
    codes = model.transform(clips[:2])
    for a, b in zip(twin.inverse_transform(codes), model.inverse_transform(codes), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)  # Griffin-Lim starts from a fixed seed


def test_fsdd_files_and_mixed_inputs(fsdd, capsys):
    files = sorted(fsdd.glob("*_george_0.wav"))[:4] + sorted(fsdd.glob("*_theo_1.wav"))[:4]
    wave, rate = read_clip(files[0])
    stereo = np.stack([wave, wave], axis=1)
    fast = (np.repeat(wave, 2), 2 * rate)  # a 16 kHz clip: resampled, with a note
    model = aekit.AudioAutoencoder(autoencoder=small(epochs=3), verbose=True)
    model.fit([*files, (stereo, rate), fast])
    assert "resampling 1 clip(s) to 8000 Hz" in capsys.readouterr().err
    assert model.sample_rate_ == 8000
    mono = model.transform([(wave, rate)])
    np.testing.assert_allclose(model.transform([(stereo, rate)]), mono, atol=1e-5)
    assert model.transform([str(files[0])]).shape == (1, 4)


def test_duration_centres_clips():
    wave = np.arange(1, 11, dtype=np.float32)
    assert fix_length(wave, 4).tolist() == [4, 5, 6, 7]
    assert fix_length(wave[:2], 5).tolist() == [0, 1, 2, 0, 0]
    model = aekit.AudioAutoencoder(autoencoder=small(epochs=1), sample_rate=RATE, duration=0.1)
    assert model.fit([tone(440.0), tone(880.0, 0.05)]).n_samples_ == 800


def test_a_variational_model_samples():
    vae = aekit.VariationalAutoencoder(
        4, architecture="conv", hidden_dims=(8,), epochs=2, random_state=0
    )
    model = aekit.AudioAutoencoder(autoencoder=vae, sample_rate=RATE).fit([tone(f) for f in FREQS])
    waves = model.sample(2, random_state=0)
    assert len(waves) == 2 and waves[0].shape == (model.n_samples_,)
    plain = aekit.AudioAutoencoder(autoencoder=small(epochs=1), sample_rate=RATE)
    with pytest.raises(ValueError, match="cannot sample"):
        plain.fit([tone(440.0)] * 2).sample(1)


def test_spectral_convergence_of_a_clip_with_itself_is_zero():
    spec = LogMel(RATE, 256, 64, 40)
    waves = np.stack([tone(440.0), tone(900.0)])
    assert np.allclose(spectral_convergence(waves, waves, spec), 0)
    assert np.all(spectral_convergence(waves, waves[::-1], spec) > 0.5)


def test_default_latent_dim_and_disagreement():
    short = [tone(440.0, 0.05), tone(880.0, 0.05)]
    default = aekit.AudioAutoencoder(sample_rate=RATE).fit(short)
    assert default.transform(short).shape == (2, 32)
    with pytest.raises(ValueError, match="latent_dim=8 disagrees"):
        aekit.AudioAutoencoder(8, autoencoder=small(), sample_rate=RATE).fit([tone(440.0)])


@pytest.mark.parametrize(
    "clips, message",
    [
        ([], "no clips"),
        ("a.wav", "not a single one"),
        ([np.zeros(0)], "zero-length"),
        ([np.array([0.0, np.nan])], "NaN"),
        ([np.zeros((2, 2, 2))], "must be 1-D"),
        ([{"a": 1}], "not a file path or an array"),
        ([(np.zeros(10), -5)], "sample rate must be a positive"),
    ],
)
def test_bad_clips(clips, message):
    with pytest.raises(ValueError, match=message):
        aekit.AudioAutoencoder(sample_rate=RATE).fit(clips)


def test_bad_files(tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00not really a wave file")
    empty = tmp_path / "empty.wav"
    write_clip(empty, np.zeros(0, dtype=np.float32), RATE)
    for path, message in [
        (corrupt, "corrupt.wav: not a readable audio file"),
        (empty, "empty.wav: the audio file holds no samples"),
        (tmp_path / "missing.wav", "missing.wav: no such audio file"),
    ]:
        with pytest.raises(ValueError, match=message):
            aekit.AudioAutoencoder().fit([str(path)])
    with pytest.raises(ValueError, match="without a sample rate"):
        aekit.AudioAutoencoder().fit([tone(440.0)])


def test_augment_adds_faster_and_slower_copies(monkeypatch):
    seen = []
    fit = aekit.Autoencoder.fit
    monkeypatch.setattr(aekit.Autoencoder, "fit", lambda self, X: seen.append(X) or fit(self, X))
    model = aekit.AudioAutoencoder(
        autoencoder=small(epochs=1), sample_rate=RATE, augment=(0.5, 2.0), standardize="clip"
    ).fit([tone(400.0), tone(900.0)])
    assert seen[0].shape == (6, *model.spectrogram_shape_)  # 2 clips at 3 speeds, as pictures
    # The clips themselves come first, as the model sees them.
    centred = model.spectrograms([tone(400.0)])[0]
    np.testing.assert_allclose(seen[0][0].reshape(centred.shape), centred, atol=1e-5)
    with pytest.raises(ValueError, match="speed factors"):
        aekit.AudioAutoencoder(sample_rate=RATE, augment=(0.0,)).fit([tone(400.0)])


def test_clip_standardisation_ignores_padding():
    # "clip" removes each band's mean over the sounding frames only: the same word
    # padded with more or less silence is centred alike.
    spec = LogMel(RATE, 256, 64, 40)
    word = tone(500.0, 0.2) * np.hanning(1600)
    short, long = (spec(fix_length(word, n)[None])[0] for n in (2000, 4000))
    means = [voiced_mean(s[None])[0, :, 0] for s in (short, long)]
    np.testing.assert_allclose(means[0], means[1], atol=0.5)
    plain = [s.mean(axis=1) for s in (short, long)]  # what padding does to a plain mean
    assert np.abs(plain[0] - plain[1]).max() > 5
