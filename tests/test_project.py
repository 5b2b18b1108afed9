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


# ---------------------------------------------------------------- structure
SRC = ROOT / "src" / "aekit"
PLUGINS = {"array_plugin.py", "array_report.py", "text/plugin.py", "text/report.py",
           "audio/plugin.py", "audio/report.py",
           "images/plugin.py", "images/report.py",
           "series/plugin.py", "series/report.py"}  # fmt: skip


def _module_names() -> dict[str, Path]:
    names = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names[name] = path
    return names


def _import_graph() -> dict[str, set[str]]:
    """Module -> the aekit modules it imports, at the top or inside functions. ``from .
    import x`` imports the package as well as ``x``, so it counts as an edge to both."""
    import ast

    modules, graph = _module_names(), {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                if node.level:
                    target = f"{base}.{node.module}" if node.module else base
                else:
                    target = node.module
                edges |= {target, *(f"{target}.{a.name}" for a in node.names)}
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def test_the_package_has_no_import_cycle():
    graph, state, path = _import_graph(), {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = path[path.index(nxt) :] + [nxt]
                if set(cycle) != {"aekit"}:  # the root re-exporting itself is no cycle
                    pytest.fail("import cycle: " + " -> ".join(cycle))
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert "aekit.model_file" in graph and not any(
        m.startswith(("aekit.autoencoder", "aekit.text", "aekit.audio"))
        for m in graph["aekit.model_file"]
    )  # the loader imports no estimator: they register themselves


def test_no_type_test_of_an_estimator_outside_its_plugin():
    pattern = re.compile(r"isinstance\([^)]*\b\w*(Autoencoder|Detector)\b|\b_is_\w+\(")
    found = [
        f"{path.relative_to(SRC)}:{i}"
        for path in SRC.rglob("*.py")
        if str(path.relative_to(SRC)) not in PLUGINS
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []
    assert pattern.search("isinstance(model, TextAutoencoder)")  # the pattern does bite


def test_the_loop_is_small_and_no_class_is_large():
    import ast

    sizes = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                sizes[f"{path.relative_to(SRC)}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert sizes["training.py:train"] <= 60
    large = {k: v for k, v in sizes.items() if v > 350 and not k.split(":")[1][0].islower()}
    assert large == {}


def test_each_parameter_is_declared_once():
    import ast

    from aekit.params import TRAINING, Param

    declared = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            call = isinstance(node, ast.Call) and getattr(node.func, "id", None)
            if call in ("Param", "positive_int") and isinstance(node.args[0], ast.Constant):
                declared.append(node.args[0].value)
    repeated = sorted({n for n in declared if declared.count(n) > 1})
    # Each wrapper declares the model it wraps, and what it needs of it, itself. "window"
    # and "handle_missing" are two settings under one name each (the series issue names
    # the series ones): AnomalyDetector's pixel neighbourhood and SeriesAutoencoder's
    # steps per window; a table's imputation and a series' interpolation along time.
    assert repeated == ["autoencoder", "handle_missing", "window"] and len(declared) > 40
    import aekit

    for cls in (aekit.Autoencoder, aekit.VariationalAutoencoder, aekit.TextAutoencoder,
                aekit.AudioAutoencoder, aekit.AnomalyDetector):  # fmt: skip
        names = [p.name for p in cls._parameters]
        assert all(isinstance(p, Param) for p in cls._parameters)
        assert set(p.name for p in TRAINING) <= set(names), cls.__name__
        assert list(cls._parameter_constraints) == names
        assert cls().get_params().keys() == set(names)
        assert all(f"{n} :" in cls.__doc__ for n in names), cls.__name__


def test_training_parameters_reach_the_model_inside_a_wrapper():
    import aekit

    audio = aekit.AudioAutoencoder(latent_dim=32, max_time=180)  # was a TypeError
    inner = audio._inner(lambda: aekit.Autoencoder(architecture="conv"))
    assert (inner.max_time, inner.latent_dim, inner.architecture) == (180, 32, "conv")
    detector = aekit.AnomalyDetector(aekit.Autoencoder(epochs=7), max_time=5, random_state=3)
    inner = detector._inner(aekit.Autoencoder)
    assert (inner.epochs, inner.max_time, inner.random_state) == (7, 5, 3)
    assert detector.get_params()["autoencoder__epochs"] == 7  # nested parameters still work


@pytest.mark.parametrize("pytest_status, ci_status", [(0, 0), (1, 1), (5, 1)])
def test_ci_fails_when_pytest_collects_nothing(tmp_path, pytest_status, ci_status):
    import subprocess

    script = ROOT.joinpath(".ci", "run").read_text()
    test_command = _readme_commands()[1]
    tail = script.split(test_command, 1)[1]  # what CI does with pytest's exit status
    run = tmp_path / "tail.sh"
    run.write_text(f"(exit {pytest_status}){tail}")
    assert subprocess.run(["bash", str(run)], capture_output=True).returncode == ci_status
    assert "dataset-fashion-mnist" in script and "chromium" in script


def test_readme_own_network_example_runs(tmp_path, monkeypatch):
    import numpy as np

    from aekit.networks import NETWORKS

    readme = ROOT.joinpath("README.md").read_text()
    section = readme.split("### Your own networks", 1)[1]
    network, callbacks = re.findall(r"```python\n(.+?)\n```", section, re.S)[:2]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(NETWORKS, "tiny", None)  # the README's name, freed for its class
    NETWORKS.pop("tiny")
    X = np.random.default_rng(0).random((50, 6))
    space = {"X": X}
    exec(network, space)
    assert (tmp_path / "t.aek").is_file()
    import aekit

    assert type(aekit.load(tmp_path / "t.aek").network_).__name__ == "Tiny"
    exec(callbacks.replace('"runs/ae"', repr(str(tmp_path / "runs"))), space)
