"""Project wiring: CI runs exactly the README's test command; dependencies stay sane."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    setup = ROOT.joinpath("README.md").read_text().split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup)


def test_readme_opens_with_two_setup_commands():
    demo, tests = _readme_commands()[:2]
    assert "aekit demo" in demo
    assert "pytest" in tests
    assert "-c constraints.txt" in demo and "-c constraints.txt" in tests


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _readme_commands()[1]
    ci_lines = ROOT.joinpath(".ci", "run").read_text().splitlines()
    assert test_command in ci_lines


def test_torch_is_a_range_in_the_package_and_pinned_for_ci():
    project = tomllib.loads(ROOT.joinpath("pyproject.toml").read_text())["project"]
    torch_req = [d for d in project["dependencies"] if d.startswith("torch")]
    assert torch_req == ["torch>=2.4"]
    pins = ROOT.joinpath("constraints.txt").read_text().splitlines()
    assert "torch==2.13.0" in pins
    assert "all" in project["optional-dependencies"] and "dev" in project["optional-dependencies"]
    assert project["scripts"]["aekit"] == "aekit.cli:main"


@pytest.mark.parametrize(
    "module",
    [
        "aekit.autoencoder",
        "aekit.variational",
        "aekit.anomaly",
        "aekit.text.autoencoder",
        "aekit.audio.autoencoder",
        "aekit.text.metrics",
        *(f"aekit.plotting.{name}" for name in ("reconstruction", "latent", "history")),
        *(f"aekit.plotting.{name}" for name in ("generative", "anomaly", "text", "audio")),
    ],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
