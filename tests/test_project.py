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
        "aekit.arrays.autoencoder",
        "aekit.arrays.variational",
        "aekit.anomaly",
        "aekit.text.autoencoder",
        "aekit.audio.autoencoder",
        "aekit.text.metrics",
        "aekit.arrays.displays",
        *(f"aekit.plotting.{name}" for name in ("latent", "history")),
        *(f"aekit.plotting.{name}" for name in ("generative", "anomaly")),
        "aekit.text.displays",
        "aekit.audio.displays",
    ],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- structure
SRC = ROOT / "src" / "aekit"
MODALITIES = ("arrays", "images", "text", "audio", "series")
# Every modality folder holds these: its estimator, its front end (how its data becomes
# the network's rows and back), its plug-in (how the CLI, reports and export reach it),
# its report part and its Displays.
MODALITY_FILES = {"__init__.py", "autoencoder.py", "input.py", "plugin.py", "report.py",
                  "displays.py"}  # fmt: skip
# Generic folders: they serve every modality and import none.
GENERIC = ("cli", "report", "plotting", "saving", "training", "objective", "networks", "codec")
GENERIC_ROOT = ("estimator", "modality", "params", "data", "anomaly", "demo")
# The package root: the parts every modality shares, plus the two old public paths
# (aliases of the modules that moved into training/ and saving/).
ROOT_MODULES = {"__init__.py", "__main__.py", "version.py", "errors.py", "estimator.py",
                "anomaly.py", "modality.py", "params.py", "data.py", "demo.py",
                "callbacks.py", "export.py"}  # fmt: skip


def test_the_tree_shows_the_design():
    folders = {p.name for p in SRC.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(MODALITIES) | set(GENERIC)
    assert {p.name for p in SRC.glob("*.py")} == ROOT_MODULES
    for modality in MODALITIES:
        files = {p.name for p in (SRC / modality).glob("*.py")}
        assert MODALITY_FILES <= files, f"{modality}/ lacks {MODALITY_FILES - files}"


def test_generic_code_imports_no_modality():
    graph = _import_graph()
    found = [
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.split(".")[1:2] and module.split(".")[1] in GENERIC + GENERIC_ROOT
        for target in targets
        if target.split(".")[1:2] and target.split(".")[1] in MODALITIES
    ]
    assert found == []
    assert "aekit.arrays.autoencoder" in graph["aekit.arrays.plugin"]  # the graph does see


def test_old_public_paths_still_work():
    import aekit
    import aekit.callbacks
    import aekit.export
    import aekit.training
    from aekit.callbacks import Callback, TensorBoard  # noqa: F401
    from aekit.plotting import SeriesAnomalyDisplay, SpectrogramDisplay, TextReconstructionDisplay
    from aekit.training import TrainSettings, train  # noqa: F401

    assert aekit.callbacks is aekit.training.callbacks  # one module, two names
    assert aekit.export.export_onnx is aekit.saving.export.export_onnx
    assert SeriesAnomalyDisplay.__module__ == "aekit.series.displays"
    assert {SpectrogramDisplay.__name__, TextReconstructionDisplay.__name__} <= set(
        aekit.plotting.__all__
    )


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
    assert "aekit.saving.model_file" in graph and not any(
        m.startswith(("aekit.arrays.autoencoder", "aekit.text", "aekit.audio"))
        for m in graph["aekit.saving.model_file"]
    )  # the loader imports no estimator: they register themselves


def _lines_outside_modalities():
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).parts[0] not in MODALITIES:
            for i, line in enumerate(path.read_text().splitlines(), 1):
                yield f"{path.relative_to(SRC)}:{i}", line


def test_no_type_test_of_an_estimator_outside_its_folder():
    pattern = re.compile(r"isinstance\([^)]*\b\w*(Autoencoder|Detector)\b|\b_is_\w+\(")
    assert [where for where, line in _lines_outside_modalities() if pattern.search(line)] == []
    assert pattern.search("isinstance(model, TextAutoencoder)")  # the pattern does bite


def test_no_dispatch_on_what_an_estimator_has_outside_its_folder():
    """``hasattr(model, "a_method")`` is a type test in another form: every estimator
    declares the methods generic code calls. Fitted attributes (ending in ``_``) may be
    asked for."""
    pattern = re.compile(
        r"hasattr\((model|estimator|part|inner|self\.autoencoder_?|autoencoder), "
        r"\"(?!\w*_\")\w+\"\)"
    )
    assert [where for where, line in _lines_outside_modalities() if pattern.search(line)] == []
    assert pattern.search('if hasattr(model, "fit_scores"):')  # the pattern does bite
    assert not pattern.search('hasattr(model, "history_")')


def test_the_loop_is_small_and_no_class_is_large():
    import ast

    sizes = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                sizes[f"{path.relative_to(SRC)}:{node.name}"] = node.end_lineno - node.lineno + 1
    assert sizes["training/loop.py:train"] <= 60
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
    # Each wrapper declares the model it wraps, and what it needs of it, itself.
    # AnomalyDetector's "window" is the deprecated old name of its pixel_window (a
    # FutureWarning says so); "window" means a series' steps per window.
    assert repeated == ["autoencoder", "window"] and len(declared) > 40
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


@pytest.mark.parametrize(
    "pytest_status, ruff_status, ci_status", [(0, 0, 0), (1, 0, 1), (5, 0, 1), (0, 1, 1)]
)
def test_ci_fails_when_pytest_collects_nothing_or_ruff_complains(
    tmp_path, pytest_status, ruff_status, ci_status
):
    import subprocess

    script = ROOT.joinpath(".ci", "run").read_text()
    test_command = _readme_commands()[1]
    tail = script.split(test_command, 1)[1]  # what CI does with pytest's exit status
    assert ".venv/bin/ruff check ." in tail and ".venv/bin/ruff format --check ." in tail
    ruff = tmp_path / "ruff"  # stands in for ruff, with the status asked for
    ruff.write_text(f"#!/bin/sh\nexit {ruff_status}\n")
    ruff.chmod(0o755)
    run = tmp_path / "tail.sh"
    run.write_text(f"(exit {pytest_status}){tail.replace('.venv/bin/ruff', str(ruff))}")
    assert subprocess.run(["bash", str(run)], capture_output=True).returncode == ci_status


def test_ci_has_what_the_tests_need_or_fails():
    script = ROOT.joinpath(".ci", "run").read_text()
    assert "dataset-fashion-mnist" in script and "chromium" in script
    install = script.split("apt-get install", 1)[1].split("\nfi\n", 1)[0]
    assert "exit 1" in install  # a package apt cannot install fails CI, not a warning
    assert "AEKIT_REQUIRE_DATA=1" in script and "AEKIT_REQUIRE_BROWSER=1" in script


def test_a_missing_data_set_fails_where_it_is_required(monkeypatch):
    from shared_data import missing

    monkeypatch.setenv("AEKIT_REQUIRE_DATA", "1")
    with pytest.raises(pytest.fail.Exception, match="CI must have it"):
        missing("no such data")
    monkeypatch.delenv("AEKIT_REQUIRE_DATA")
    with pytest.raises(pytest.skip.Exception):
        missing("no such data")


def test_pillow_is_declared_and_pinned():
    project = tomllib.loads(ROOT.joinpath("pyproject.toml").read_text())["project"]
    assert any(d.lower().startswith("pillow") for d in project["dependencies"])
    pins = [p.lower() for p in ROOT.joinpath("constraints.txt").read_text().splitlines()]
    assert any(p.startswith("pillow==") for p in pins)


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
