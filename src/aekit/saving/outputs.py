"""Writing what the command line produces: arrays, tables and texts, atomically, never
over an existing file unless asked."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from .files import write_atomic

ARRAY_FORMATS = (".npy", ".csv")


def check_output(path: str | Path, force: bool, formats: Sequence[str] = ()) -> Path:
    """Refuse an output we may not write, before any work is spent on it."""
    path = Path(path)
    if formats and path.suffix.lower() not in formats:
        raise UsageError(
            f"{path}: unknown output format {path.suffix!r} (use {' or '.join(formats)})."
        )
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; pass --force to overwrite it.")
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_array(path: Path, array: Any, columns: Sequence[str] | None = None) -> None:
    """Write rows as .csv (``columns`` as header) or else as .npy.

    ``array`` is an ndarray (flattened to rows) or a DataFrame, whose column names and
    dtypes the .csv keeps.
    """
    import pandas as pd

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


def write_texts(path: Path, texts: Sequence[str]) -> None:
    """One text per line (a line break inside a text would split it in two)."""
    lines = [" ".join(t.splitlines()) for t in texts]
    write_atomic(path, "".join(f"{line}\n" for line in lines).encode("utf-8"))
