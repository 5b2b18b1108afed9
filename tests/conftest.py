import os
from pathlib import Path

import numpy as np
import pytest

from shared_data import SHARED_DATA, missing

os.environ.setdefault("MPLBACKEND", "Agg")  # figures without a screen


@pytest.fixture(scope="session")
def series_data() -> Path:
    """The time series folder (absent: skips, or fails in CI; see shared_data.py)."""
    folder = SHARED_DATA / "series"
    if not (folder / "ecg-diff-count-3_TEST.csv").is_file():
        missing(f"the time series were not found in {folder} (see DESIGN.md, shared data)")
    return folder


@pytest.fixture(scope="session")
def fsdd() -> Path:
    """The Free Spoken Digit Dataset folder (absent: skips, or fails in CI)."""
    folder = SHARED_DATA / "fsdd"
    if not any(folder.glob("*.wav")):
        missing(f"FSDD clips not found in {folder} (see DESIGN.md, shared data)")
    return folder


@pytest.fixture
def unit_data():
    """Small [0, 1] data with low-dimensional structure (a 3-factor mixture)."""
    rng = np.random.default_rng(0)
    factors = rng.random((200, 3))
    mixing = rng.random((3, 20))
    return (factors @ mixing / 3.0).astype(np.float32)


@pytest.fixture
def table_data():
    """Unbounded data with very different column scales."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=(150, 4))
    X = np.hstack([base, base @ rng.normal(size=(4, 4))]) * np.array([1, 10, 100, 1000] * 2)
    return X + 50.0


@pytest.fixture(scope="session")
def tiny_audio():
    """A barely trained AudioAutoencoder on three 8 kHz tones, and the tones."""
    pytest.importorskip("librosa")
    import aekit

    rate = 8000
    t = np.arange(2000) / rate
    clips = [(0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32) for f in (300, 900, 1500)]
    inner = aekit.Autoencoder(2, architecture="conv", hidden_dims=(4, 8), epochs=2, random_state=0)
    return aekit.AudioAutoencoder(autoencoder=inner, sample_rate=rate).fit(clips * 2), clips
