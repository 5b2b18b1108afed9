"""The waveform network (samples -> a code per frame -> samples, any length) and the
losses it trains on, against hand computations: a known sine, a shifted copy, a copy
at twice the level."""

import math

import numpy as np
import pytest
import torch

from aekit.audio.losses import (
    WaveformLoss,
    log_magnitude_distance,
    magnitudes,
    mel_distance,
    resolutions,
    spectral_convergence,
)
from aekit.networks import build_network
from aekit.networks.waveform import WaveformConfig, frames_of

pytest.importorskip("librosa")
RATE = 8000


@pytest.mark.parametrize("length", [1, 39, 40, 41, 4000, 12345])
def test_any_length_comes_back_with_its_length(length):
    torch.manual_seed(0)
    network = build_network("waveform", latent_dim=4)
    x = torch.randn(2, length)
    code = network.encode(x)
    frames = math.ceil(length / 40)
    assert frames_of(length, WaveformConfig()) == frames
    assert code.shape == (2, 4 * frames)  # 4 channels per 40-sample frame
    assert network.decode(code).shape == (2, 40 * frames)
    assert network(x).shape == (2, length)


def test_a_gaussian_code_is_the_means_then_the_log_variances():
    torch.manual_seed(0)
    network = build_network("waveform", latent_dim=3, code_params=2)
    h = network.encode(torch.randn(1, 400))
    raw = network.encoder(torch.randn(1, 1, 400))
    assert h.shape == (1, 2 * 3 * 10) and raw.shape == (1, 6, 10)
    torch.manual_seed(1)
    x = torch.randn(1, 400)
    mean, logvar = network.encode(x).chunk(2, dim=1)
    raw = network.encoder(x.view(1, 1, -1))
    assert torch.equal(mean, raw[:, :3].flatten(1)) and torch.equal(logvar, raw[:, 3:].flatten(1))


def _stft_by_hand(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT| with numpy: reflect-pad n_fft // 2 each side, Hann (periodic) frames."""
    padded = np.pad(x, n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    starts = range(0, len(padded) - n_fft + 1, hop)
    return np.abs(np.stack([np.fft.rfft(padded[s : s + n_fft] * window) for s in starts], axis=1))


def test_magnitudes_are_the_hand_computed_stft():
    x = np.random.default_rng(0).standard_normal(1000)
    got = magnitudes(torch.from_numpy(x)[None], 128, 32)[0].numpy()
    np.testing.assert_allclose(got, _stft_by_hand(x, 128, 32), rtol=1e-9, atol=1e-9)


def test_spectral_convergence_and_log_magnitude_by_hand():
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 4000)))
    s = magnitudes(x, 256, 64)
    # ||S - 2S|| / ||S|| = 1 and |log 2S - log S| = log 2 (noise: every bin far above eps)
    assert spectral_convergence(s, 2 * s).item() == pytest.approx(1.0, abs=1e-12)
    assert spectral_convergence(s, torch.zeros_like(s)).item() == pytest.approx(1.0, abs=1e-12)
    assert spectral_convergence(s, s).item() == 0.0
    assert log_magnitude_distance(s, 2 * s).item() == pytest.approx(math.log(2), rel=1e-3)


def test_a_sine_shifted_by_whole_periods_differs_only_at_its_ends():
    """A 400 Hz sine (20 samples a period at 8 kHz) moved by 5 periods: every frame
    whose window lies inside both signals is the same; the distance is what the end
    frames alone give, computed by hand."""
    t = np.arange(4000)
    x = np.sin(2 * np.pi * 400 * t / RATE)
    shifted = np.sin(2 * np.pi * 400 * (t + 100) / RATE)
    a, b = _stft_by_hand(x, 256, 64), _stft_by_hand(shifted, 256, 64)
    inside = slice(4, a.shape[1] - 4)  # frames clear of the reflected ends
    np.testing.assert_allclose(a[:, inside], b[:, inside], atol=1e-9)
    want = np.linalg.norm(a - b) / np.linalg.norm(a)
    s, s_hat = (magnitudes(torch.from_numpy(v)[None], 256, 64) for v in (x, shifted))
    assert spectral_convergence(s, s_hat).item() == pytest.approx(want, rel=1e-9)
    assert 0 < want < 0.1


def test_the_mel_distance_of_twice_the_level_is_log10_2():
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 4000)))
    assert mel_distance(x, x, RATE, 256, 40).item() == 0.0
    assert mel_distance(x, 2 * x, RATE, 256, 40).item() == pytest.approx(math.log10(2), rel=1e-3)


def test_resolutions_scale_with_the_rate():
    assert resolutions(8000) == ((128, 32), (256, 64), (512, 128))
    assert resolutions(24000) == ((512, 128), (1024, 256), (2048, 512))


def test_the_waveform_loss_is_zero_on_the_clip_and_trains_a_network():
    torch.manual_seed(0)
    t = torch.arange(2000) / RATE
    clips = torch.stack([torch.sin(2 * math.pi * f * t) for f in (300.0, 500.0, 700.0, 900.0)])
    loss = WaveformLoss(RATE)
    assert loss.loss(clips, clips).item() == 0.0
    network = build_network("waveform", latent_dim=4, width=8)
    optimiser = torch.optim.Adam(network.parameters(), lr=3e-3)
    first = None
    for _ in range(40):
        optimiser.zero_grad()
        value = loss.loss(loss.logits(network, network.encode(clips), clips), clips)
        value.backward()
        optimiser.step()
        first = value.item() if first is None else first
    assert value.item() < 0.7 * first
