"""Modality plug-ins: what the command line, reports, plots and export know of each
kind of data, in one object per modality, looked up from the estimator.

A modality (arrays and tables, text, audio, ...) registers one :class:`Modality`
with :func:`register_modality` in its own folder: the estimator classes it serves,
the ``--model`` names that train them, how ``DATA`` is read, how decoded output and
samples are written, which metrics ``evaluate`` prints, what ``info`` shows, the
report's sections and whether ONNX export applies. ``aekit.cli``, ``aekit.report``
and ``aekit.export`` call :func:`modality_of` and never test an estimator's type.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import UsageError

# The flags that say how DATA is read, and what each is for.
READ_FLAGS = {
    "column": "--column picks the text column of a table",
    "skip_bad": "--skip-bad leaves out unreadable files",
    "max_pixels": "--max-pixels refuses image files that declare more pixels",
}
_BY_ESTIMATOR: dict[str, Modality] = {}
_BY_MODEL: dict[str, Modality] = {}


class Modality:
    """Base class of a plug-in; every method has the behaviour most modalities want."""

    name = ""
    estimators: tuple[str, ...] = ()  # estimator class names it serves
    models: dict[str, str] = {}  # --model choices it trains -> their help
    read_flags: tuple[str, ...] = ()  # of READ_FLAGS: how its DATA is read
    report_limit = 2000  # samples a report uses at most (a seeded subset beyond)
    front_end = ""  # what its estimators need besides a network ("a tokenizer", ...)

    # ------------------------------------------------------------ training
    def parameters(self) -> list[Any]:
        """The declarations (:class:`aekit.params.Param`) ``aekit train`` makes flags of."""
        return []

    def accepts(self, model: str) -> set[str]:
        """The flag names (parameter names) ``--model model`` takes."""
        return {p.name for p in self.parameters()} | set(self.read_flags)

    def refusal(self, model: str, name: str, owners: list[str]) -> str:
        """Why the flag of parameter ``name`` does not go with ``--model model``;
        ``owners``: the --model choices that take it."""
        return f"{flag(name)} does not apply to --model {model}."

    def estimator(self, model: str, params: dict[str, Any]) -> Any:
        """The unfitted estimator for ``--model model`` with the flags given (by name)."""
        raise NotImplementedError

    def serving(self, estimator: Any) -> Modality:
        """The plug-in that serves ``estimator`` (one registered here, or a wrapper's
        inner model's)."""
        return self

    # ------------------------------------------------------------ data in and out
    def read(self, source: str, **options: Any) -> Any:
        """What the modality's estimators take, read from DATA; ``options``: those of
        :data:`READ_FLAGS` that were given (a flag left off is None or False)."""
        for name, value in options.items():
            if value is not None and value is not False and name not in self.read_flags:
                takers = [m for m, p in _BY_MODEL.items() if name in p.read_flags]
                raise UsageError(f"{READ_FLAGS[name]}: it is for --model {' and '.join(takers)}.")
        return self._read(source, **{k: v for k, v in options.items() if k in self.read_flags})

    def _read(self, source: str, **options: Any) -> Any:
        from .data import read_data

        return read_data(source)

    def encode(self, model: Any, source: str, out: Path, **read: Any) -> str:
        """``aekit encode``: the codes of DATA (read with the ``read`` options) into
        ``out`` (checked); the line to print."""
        from .saving.outputs import write_array

        data = self.read(source, **read)
        with about(source):
            codes = model.transform(data)
        write_array(out, codes, list(model.get_feature_names_out()))
        beside = self._beside_codes(data, out)
        return f"wrote {codes.shape[0]} codes of width {codes.shape[1]} to {out}{beside}"

    def _beside_codes(self, data: Any, out: Path) -> str:
        """What ``encode`` writes next to the codes of ``data`` in ``out`` (the words to
        add to its line); nothing by default."""
        return ""

    def decode(self, model: Any, codes_source: str, output: str, force: bool) -> str:
        """Decode the codes in ``codes_source`` and write them to ``output``; the line to print."""
        raise NotImplementedError

    def compress(self, model: Any, source: str, out: Path, **read: Any) -> str:
        """``aekit compress``: DATA as one stream of bytes into ``out``; the line to print."""
        raise UsageError(_NO_CODEC)

    def decompress(self, model: Any, stream: str, output: str, force: bool) -> str:
        """``aekit decompress``: the stream's data written to ``output``; the line to print."""
        raise UsageError(_NO_CODEC)

    def sample(self, model: Any, draw: Any, output: str, force: bool) -> str:
        """``aekit sample``: ``draw()`` (the samples) written to ``output``; the line to print."""
        raise NotImplementedError

    def scores(self, model: Any, data: Any) -> Any:
        """``aekit score``: one normality score per sample (higher is more normal)."""
        return model.score_samples(data)

    def score_table(self, model: Any, data: Any) -> tuple[Any, float | None]:
        """``aekit score``'s table, a row per sample (per time step for a series) with a
        "score" column (higher is more normal), and the model's threshold on those
        scores (None without one)."""
        import pandas as pd

        return pd.DataFrame({"score": self.scores(model, data)}), getattr(model, "offset_", None)

    def metrics(self, model: Any, data: Any) -> dict[str, Any]:
        """``aekit evaluate``: named figures of ``model`` on ``data``."""
        raise NotImplementedError

    def labels(self, source: str, spec: str, data: Any) -> tuple[Any, Any] | None:
        """``--labels spec`` as a part of DATA: (data without them, labels), or None."""
        if hasattr(data, "columns") and spec in data.columns:
            return data.drop(columns=[spec]), data[spec].to_numpy()
        return None

    # ------------------------------------------------------------ info, report, export
    def describe(self, entry: dict[str, Any]) -> list[str]:
        """``aekit info`` lines for a model file's header entry (no weights loaded)."""
        return []

    @staticmethod
    def network_lines(state: dict[str, Any]) -> list[str]:
        """``aekit info``'s network line for a header state."""
        network = state["network"]
        return [f"  network     {network['name']} {network['config']}"]

    @staticmethod
    def trained_lines(state: dict[str, Any], params: dict[str, Any]) -> list[str]:
        """``aekit info``'s training and parameter lines for a header state."""
        history, lines = state.get("history", {}), []
        if history.get("epoch"):
            lines.append(
                f"  trained     {history['epoch'][-1]} epochs in {state['training_time']:.1f}s; "
                f"final train loss {history['train_loss'][-1]:.5g}"
            )
        lines.append("  parameters  " + ", ".join(f"{k}={v!r}" for k, v in params.items()))
        return lines

    def items(self, data: Any) -> list[Any] | Any:
        """``data`` as the report's sequence of samples."""
        from .data import as_list

        return as_list(data, "samples")

    def shape(self, items: Any) -> str:
        """How the report describes one sample."""
        return "samples"

    def report(self, estimator: Any, items: Any, labels: Any) -> Any:
        """The report's :class:`aekit.report.parts.Parts` for this modality."""
        raise NotImplementedError

    def onnx_model(self, estimator: Any) -> Any:
        """The fitted model ONNX export writes, or a ValueError saying why none."""
        raise ValueError(
            f"ONNX export covers dense and conv autoencoders (and VAEs, detectors); a "
            f"{type(estimator).__name__} needs {self.front_end} front end, which ONNX files "
            "do not hold."
        )


_NO_CODEC = (
    "this model is not a codec: compress and decompress take an ImageAutoencoder trained "
    "with --bottleneck quantized (aekit train images/ --model image --bottleneck quantized)."
)


def names_beside(out: Path, names: list[str]) -> str:
    """Write which file each item of ``out`` came from into ``out`` with .txt, for
    ``decode`` and ``decompress`` to name their files after (see :func:`stems_beside`);
    the words ``encode`` and ``compress`` add to their line."""
    from .saving.files import write_atomic

    order = out.with_suffix(".txt")
    write_atomic(order, "".join(f"{name}\n" for name in names).encode())
    return f" (file order in {order})"


def stems_beside(source: str, n: int) -> list[str]:
    """The names of the ``n`` source files that the list beside ``source`` (same name,
    .txt) gives, for the decoded items; none (numbered files) without one, or when two
    share a name."""
    order = Path(source).with_suffix(".txt")
    names = order.read_text().splitlines() if order.is_file() else []
    stems = [Path(n).stem for n in names] if len(names) == n else []
    return stems if len(set(stems)) == len(stems) else []


def read_each(files: list[Any], read: Any, what: str, skip_bad: bool) -> list[Any]:
    """``read(file)`` for each file: one that is unreadable (a ValueError) stops the run
    with its name, or with ``skip_bad`` is left out and counted on stderr."""
    from .data import read_files

    try:
        with warnings.catch_warnings():  # said on stderr here, in the command's words
            warnings.simplefilter("ignore")
            out, bad = read_files(files, read, skip_bad, what)
    except ValueError as exc:
        raise UsageError(f"{first_line(exc)} (--skip-bad leaves such files out)") from None
    if bad:
        print(f"skipped {len(bad)} unreadable {what} file(s), first {bad[0]}", file=sys.stderr)
    return out


@contextmanager
def about(source: str) -> Iterator[None]:
    """Name the data file in an estimator's complaint about the data it holds."""
    try:
        yield
    except ValueError as exc:
        message = first_line(exc)
        raise UsageError(message if source in message else f"{source}: {message}") from None


def first_line(exc: BaseException) -> str:
    # scikit-learn's messages run over several lines; their first line is the summary.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def auto_or(text: str | None, kind: type, name: str) -> Any:
    """A flag's value: "auto" (also when left out) or a number of ``kind``."""
    if text is None or text == "auto":
        return "auto"
    try:
        return kind(text)
    except ValueError:
        raise UsageError(f"{name} must be 'auto' or a number; got {text!r}.") from None


def flag(name: str) -> str:
    """The command-line flag of parameter ``name``."""
    return "--" + name.replace("_", "-")


def register_modality(plugin: Modality) -> Modality:
    """Make ``plugin`` the modality of its estimators and ``--model`` choices; a name
    already taken by another plug-in is an error."""
    for table, names in ((_BY_ESTIMATOR, plugin.estimators), (_BY_MODEL, plugin.models)):
        for name in names:
            if table.get(name, plugin) is not plugin:
                raise ValueError(f"{name!r} already belongs to the {table[name].name} modality.")
            table[name] = plugin
    return plugin


def modality_of(estimator: Any) -> Modality:
    """The plug-in of an estimator (its class or a base class registered); a
    ValueError for anything that is not an aekit model."""
    for cls in type(estimator).__mro__:
        if cls.__name__ in _BY_ESTIMATOR:
            return _BY_ESTIMATOR[cls.__name__].serving(estimator)
    raise ValueError(f"{type(estimator).__name__} is not an aekit model.")


def modality_named(estimator_name: str) -> Modality | None:
    """The plug-in of an estimator class name (as a model file's header gives it)."""
    return _BY_ESTIMATOR.get(estimator_name)


def modality_for_model(model: str) -> Modality:
    """The plug-in that trains ``--model model``."""
    return _BY_MODEL[model]


def models() -> dict[str, Modality]:
    """Every ``--model`` choice and its plug-in, in registration order."""
    return dict(_BY_MODEL)


def plugins() -> list[Modality]:
    """Every registered plug-in, in registration order."""
    return list(dict.fromkeys(_BY_MODEL.values()))


def autoencoder_of(estimator: Any) -> Any:
    """The autoencoder that does the work: inside a detector or an audio model, or itself."""
    return getattr(estimator, "autoencoder_", estimator)
