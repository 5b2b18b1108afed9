"""What every verb shares: one-line errors, reading DATA, writing outputs."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


# ---------------------------------------------------------------- helpers
ARRAY_FORMATS = (".npy", ".csv")


def _check_output(path: str | Path, force: bool, formats: Sequence[str] = ()) -> Path:
    """Refuse an output we may not write, before any work is spent on it."""
    path = Path(path)
    if formats and path.suffix.lower() not in formats:
        raise CLIError(
            f"{path}: unknown output format {path.suffix!r} (use {' or '.join(formats)})."
        )
    if path.exists() and not force:
        raise CLIError(f"{path} already exists; pass --force to overwrite it.")
    if path.is_dir():
        raise CLIError(f"{path} is a directory; give a file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_array(path: Path, array: Any, columns: Sequence[str] | None = None) -> None:
    """Write rows as .csv (``columns`` as header) or else as .npy.

    ``array`` is an ndarray (flattened to rows) or a DataFrame, whose column names and
    dtypes the .csv keeps.
    """
    import pandas as pd

    from ..model_file import write_atomic

    frame = array if isinstance(array, pd.DataFrame) else None
    if path.suffix.lower() == ".csv":
        if frame is None:
            frame = pd.DataFrame(array.reshape(len(array), -1), columns=columns)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=frame is array or columns is not None)
        write_atomic(path, buffer.getvalue().encode())
    else:
        buffer = io.BytesIO()
        np.save(buffer, array.to_numpy() if frame is not None else array, allow_pickle=False)
        write_atomic(path, buffer.getvalue())


def _first_line(exc: BaseException) -> str:
    # scikit-learn's messages run over several lines; their first line is the summary.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def _about(source: str) -> Iterator[None]:
    """Name the data file in an estimator's complaint about the data it holds."""
    try:
        yield
    except ValueError as exc:
        message = _first_line(exc)
        raise CLIError(message if source in message else f"{source}: {message}") from None


def _progress(args: argparse.Namespace) -> bool:
    if getattr(args, "quiet", False):
        return False
    return bool(getattr(args, "verbose", False) or sys.stderr.isatty())


def _autoencoder_of(model: Any) -> Any:
    """The autoencoder inside a fitted detector or audio model, or the model itself."""
    return getattr(model, "autoencoder_", model)


def _load_model(path: str, *, unwrap: bool = True) -> Any:
    """Load a model file; a detector stands for its autoencoder unless ``unwrap`` is off."""
    from ..anomaly import AnomalyDetector
    from ..model_file import load

    model = load(path)
    return model.autoencoder_ if unwrap and isinstance(model, AnomalyDetector) else model


def _is_text(model: Any) -> bool:
    from ..text.autoencoder import TextAutoencoder

    return isinstance(model, TextAutoencoder)


def _is_audio(model: Any) -> bool:
    from ..audio.autoencoder import AudioAutoencoder

    return isinstance(model, AudioAutoencoder)


def _read(source: str, model: Any, column: str | None = None, skip_bad: bool = False) -> Any:
    """What ``model`` takes from ``source``: texts for a text model, clips for an audio
    model, else an array."""
    from ..data import read_data, read_texts

    if column is not None and not _is_text(model):
        raise CLIError("--column picks the text column of a table: it is for text models.")
    if skip_bad and not _is_audio(model):
        raise CLIError("--skip-bad leaves out unreadable audio files: it is for audio models.")
    if _is_text(model):
        return read_texts(source, column)
    if _is_audio(model):
        return _read_clips(source, skip_bad)
    return read_data(source)


def _read_clips(source: str, skip_bad: bool) -> list[tuple[Any, int]]:
    """The clips of a folder (or one file) as (wave, rate) pairs; with ``skip_bad``
    unreadable files are left out and counted instead of stopping the run."""
    from ..audio.clips import audio_files, read_clip

    path = Path(source)
    if not path.exists():
        raise CLIError(f"{source}: no such file or folder.")
    files = audio_files(path) if path.is_dir() else [path]
    clips, bad = [], []
    for file in files:
        try:
            clips.append(read_clip(file))
        except ValueError as exc:
            if not skip_bad:
                raise ValueError(f"{_first_line(exc)} (--skip-bad leaves such files out)") from None
            bad.append(file)
    if bad:
        print(f"skipped {len(bad)} unreadable audio file(s), first {bad[0]}", file=sys.stderr)
    if not clips:
        raise CLIError(f"{source}: no readable audio clips.")
    return clips


def _model_and_data(
    model_path: str,
    source: str,
    *,
    unwrap: bool = True,
    column: str | None = None,
    skip_bad: bool = False,
) -> tuple[Any, Any]:
    model = _load_model(model_path, unwrap=unwrap)
    return model, _read(source, model, column, skip_bad)


def _write_clips(folder: str, force: bool, waves: Sequence[Any], rate: int) -> None:
    """One WAV per waveform, 0000.wav, 0001.wav, ... in ``folder`` (made if missing)."""
    import io

    from ..audio.clips import write_clip
    from ..model_file import write_atomic

    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise CLIError(f"{out}: audio is written as one WAV per clip into a folder, not a file.")
    names = [out / f"{i:04d}.wav" for i in range(len(waves))]
    taken = [n for n in names if n.exists()]
    if taken and not force:
        raise CLIError(f"{taken[0]} exists; use --force to overwrite.")
    out.mkdir(parents=True, exist_ok=True)
    for name, wave in zip(names, waves, strict=True):
        buffer = io.BytesIO()
        write_clip(buffer, wave, rate)
        write_atomic(name, buffer.getvalue())
    print(f"wrote {len(waves)} WAV files ({rate} Hz) to {out}/")


def _write_texts(path: Path, texts: Sequence[str]) -> None:
    from ..model_file import write_atomic

    # One text per line: a line break inside a text would split it in two.
    lines = [" ".join(t.splitlines()) for t in texts]
    write_atomic(path, "".join(f"{line}\n" for line in lines).encode("utf-8"))


def _print_metrics(metrics: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(metrics, indent=2))
    else:
        for key, value in metrics.items():
            print(f"{key:28s}{value:.6g}" if isinstance(value, float) else f"{key:28s}{value}")
