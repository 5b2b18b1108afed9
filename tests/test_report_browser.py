"""Reports in a real browser: headless Chromium loads each one with no console error,
no failed request and no request leaving the file, and paints a page that is not blank.

`.ci/run` installs Chromium when it is missing and sets AEKIT_REQUIRE_BROWSER, so in CI
a missing browser fails this file instead of skipping it.
"""

import io
import os
from importlib.util import find_spec

import numpy as np
import pytest

import aekit
from aekit.data import load_digits
from aekit.demo import run_demo
from aekit.report import write_report
from chromium import find_chromium, visit


@pytest.fixture(scope="module")
def browser():
    path = find_chromium()
    if path is None:
        message = "Chromium not found (apt-get install chromium)"
        if os.environ.get("AEKIT_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def painted_share(png: bytes) -> float:
    """Share of the screenshot's pixels that are not (near) white."""
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png), format="png")[..., :3]
    return float(np.mean(pixels.min(axis=2) < 0.9))


def assert_clean(page):
    assert not page.console_errors, page.console_errors
    assert not page.failed_requests, page.failed_requests
    assert all(u.startswith(("data:", "file:")) for u in page.requests), page.requests
    assert painted_share(page.screenshot) > 0.02  # text, tables and plots, not a blank page


def test_the_checker_sees_errors_and_failed_requests(browser, tmp_path):
    # The control: a page with what the reports must not have is caught on all counts.
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
        '<img src="http://127.0.0.1:9/x.png"><img src="missing.png">'
        '<script>console.error("boom")</script></body></html>'
    )
    page = visit(bad.as_uri(), executable=browser)
    assert any("boom" in e for e in page.console_errors)
    assert len(page.failed_requests) == 2
    assert any(u.startswith("http://") for u in page.requests)
    assert painted_share(page.screenshot) < 0.02  # and it is blank


@pytest.fixture(scope="module")
def reports(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("reports")
    X, y = load_digits()
    X, y = X[:400], y[:400]
    run_demo(folder / "demo", max_time=2.0)
    made = {"demo": folder / "demo" / "report.html"}
    vae = aekit.VariationalAutoencoder(latent_dim=2, epochs=3, random_state=0).fit(X)
    made["vae"] = write_report(folder / "vae.html", vae, X, y)
    det = aekit.AnomalyDetector(aekit.Autoencoder(latent_dim=4, epochs=3, random_state=0)).fit(X)
    made["detector"] = write_report(folder / "detector.html", det, X, np.where(y == 0, -1, 1))
    posts = ["really need chipotle today", "lol", "hi all", "brb <3"] * 5
    text = aekit.TextAutoencoder(latent_dim=4, hidden_dim=16, epochs=3, synthetic=0,
                                 validation_fraction=0, random_state=0).fit(posts)  # fmt: skip
    made["text"] = write_report(folder / "text.html", text, posts, [0, 1, 2, 3] * 5)
    if find_spec("librosa") is not None:  # the audio extra
        audio, clips = request.getfixturevalue("tiny_audio")
        made["audio"] = write_report(folder / "audio.html", audio, clips)
    return made


@pytest.mark.parametrize("kind", ["demo", "vae", "detector", "text", "audio"])
def test_report_loads_cleanly(browser, reports, kind):
    if kind not in reports:
        pytest.skip("audio reports need the audio extra (librosa)")
    assert_clean(visit(reports[kind].as_uri(), executable=browser))
