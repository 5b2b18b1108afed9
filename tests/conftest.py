import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # figures without a screen

# The shared data sets of DESIGN.md live next to the checkout.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def fsdd() -> Path:
    """The Free Spoken Digit Dataset folder (skips, saying where it looked, if absent)."""
    folder = SHARED_DATA / "fsdd"
    if not any(folder.glob("*.wav")):
        pytest.skip(f"FSDD clips not found in {folder} (see DESIGN.md, shared data)")
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
