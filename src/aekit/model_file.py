"""Model files: one safetensors file whose metadata holds a JSON header.

Layout (plain safetensors, readable by any safetensors tool)::

    8 bytes   little-endian length N of the JSON header
    N bytes   safetensors header; its "__metadata__" holds {"aekit": "<JSON>"} with
              format_version, aekit_version, estimator class name, parameters and
              fitted state (scaling mode, network name and config, history, ...)
    rest      raw tensor bytes

Loading parses the header itself before handing anything to safetensors, never
unpickles, and only builds estimator classes from a fixed registry, so a file can
describe a model but never run code.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as dump_tensors

FORMAT_VERSION = 1
_HEADER_LIMIT = 100 * 2**20  # no real header comes near this; a larger one is damage


class ModelFileError(ValueError):
    """A model file is missing, damaged, foreign or from a newer aekit."""

    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)


def _registry() -> dict[str, type]:
    from .anomaly import AnomalyDetector
    from .audio.autoencoder import AudioAutoencoder
    from .autoencoder import Autoencoder
    from .text.autoencoder import TextAutoencoder
    from .variational import VariationalAutoencoder

    classes = (
        Autoencoder,
        VariationalAutoencoder,
        AnomalyDetector,
        TextAutoencoder,
        AudioAutoencoder,
    )
    return {cls.__name__: cls for cls in classes}


def build_estimator(name: str, params: dict[str, Any]) -> Any:
    """An unfitted estimator of a registered class from JSON parameters (never code)."""
    cls = _registry()[name]
    return cls(**{k: _from_json(v) for k, v in params.items()})


def pack_inner(model: Any, prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fitted inner estimator (an anomaly detector's or an audio model's autoencoder)
    as a header entry and its tensors under ``prefix``."""
    state, tensors = model._file_state()
    entry = {
        "estimator": type(model).__name__,
        "params": _jsonable(model.get_params(deep=False)),
        "state": state,
    }
    return entry, {f"{prefix}{k}": v for k, v in tensors.items()}


def unpack_inner(entry: dict[str, Any], tensors: dict[str, Any], prefix: str) -> Any:
    """The fitted estimator that :func:`pack_inner` stored."""
    model = build_estimator(entry["estimator"], entry["params"])
    own = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    model._load_file_state(entry["state"], own)
    return model


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "__estimator__" in value:  # a wrapped estimator
        return build_estimator(value["__estimator__"], value["params"])
    return tuple(value) if isinstance(value, list) else value


def _jsonable(value: Any) -> Any:
    if type(value).__name__ in _registry() and hasattr(value, "get_params"):
        return {"__estimator__": type(value).__name__, "params": _jsonable(value.get_params(False))}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.random.RandomState):
        return None  # a generator's state is not a parameter worth keeping
    return value


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A crash midway leaves either the old file or the new one, never half of one.
    """
    with atomic_writer(path) as f:
        f.write(data)


@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: a temporary file next to it, synced and
    renamed over ``path`` when the block ends, deleted if the block raises."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _default_mode())
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(estimator: Any, path: str | os.PathLike) -> None:
    """Save a fitted estimator to ``path`` (see the module docstring for the layout).

    In a torchrun job only rank 0 writes; the other ranks hold the same model.
    """
    from . import __version__
    from .distributed import is_main

    if not is_main():
        return

    state, tensors = estimator._file_state()
    header = {
        "format_version": FORMAT_VERSION,
        "aekit_version": __version__,
        "estimator": type(estimator).__name__,
        "params": _jsonable(estimator.get_params(deep=False)),
        "state": _jsonable(state),
    }
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    write_atomic(path, dump_tensors(tensors, metadata={"aekit": json.dumps(header)}))


def read_header(path: str | os.PathLike) -> dict[str, Any]:
    """Return the aekit header of a model file, checking it without loading tensors."""
    header, _ = _read(path, tensors=False)
    return header


def load(path: str | os.PathLike) -> Any:
    """Load an estimator saved with ``save``; raise :class:`ModelFileError` on a bad file."""
    header, data = _read(path, tensors=True)
    try:
        tensors = load_tensors(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise ModelFileError(path, f"tensor data is damaged ({exc}).") from None
    try:
        estimator = build_estimator(header["estimator"], header["params"])
        estimator._load_file_state(header["state"], tensors)
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise ModelFileError(path, f"the model description is inconsistent ({exc!r}).") from None
    return estimator


def _read(path: str | os.PathLike, *, tensors: bool) -> tuple[dict[str, Any], bytes]:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "no such model file.")
    size = path.stat().st_size
    not_ours = "not an aekit model file (empty, truncated, damaged or another format)."
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise ModelFileError(path, not_ours)
        (n,) = struct.unpack("<Q", prefix)
        if n < 2 or n > min(_HEADER_LIMIT, size - 8):
            raise ModelFileError(path, not_ours)
        raw = f.read(n)
        data = prefix + raw + f.read() if tensors else b""
    try:
        meta = json.loads(raw.decode("utf-8"))
        header = json.loads(meta["__metadata__"]["aekit"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, RecursionError):
        raise ModelFileError(path, not_ours) from None
    if not isinstance(header, dict) or not isinstance(header.get("format_version"), int):
        raise ModelFileError(path, "the aekit header is damaged (no format version).")
    if header["format_version"] > FORMAT_VERSION:
        raise ModelFileError(
            path,
            f"written in model format {header['format_version']} by aekit "
            f"{header.get('aekit_version', '?')}; this aekit reads format {FORMAT_VERSION} and "
            "older. Upgrade aekit to load it.",
        )
    if header.get("estimator") not in _registry() or not isinstance(header.get("params"), dict):
        raise ModelFileError(path, f"unknown estimator {header.get('estimator')!r} in the header.")
    return header, data
