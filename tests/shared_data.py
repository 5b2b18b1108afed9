"""Where the tests find the data sets of DESIGN.md, and what they do when one is absent.

On a developer's machine a test whose data is absent skips, saying where it looked. CI
always has them (`.ci/run` sets AEKIT_REQUIRE_DATA): there the same test fails, so a
missing data set can never turn a run green by skipping what it should check.
"""

import os
from pathlib import Path

import pytest

# The shared data sets live next to the checkout (../shared/data).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def missing(message: str) -> None:
    """Skip with ``message``, or fail with it where the data is required (CI)."""
    if os.environ.get("AEKIT_REQUIRE_DATA"):
        pytest.fail(f"{message} (AEKIT_REQUIRE_DATA is set: CI must have it)")
    pytest.skip(message)
