"""Model files: one safetensors file whose metadata holds a JSON header.

Layout (plain safetensors, readable by any safetensors tool)::

    8 bytes   little-endian length N of the JSON header
    N bytes   safetensors header; its "__metadata__" holds {"aekit": "<JSON>"} with
              format_version, aekit_version, estimator class name, parameters and
              fitted state (scaling mode, network name and config, history, ...)
    rest      raw tensor bytes

Loading parses the header itself before handing anything to safetensors, never
unpickles, and only builds estimator classes that registered themselves with
:func:`register_estimator`, so a file can describe a model but never run code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as dump_tensors

from ..networks.registry import UnknownNetwork
from ..training.distributed import is_main
from ..version import __version__
from .files import HeaderError, metadata_entry, read_safetensors_header, write_atomic

FORMAT_VERSION = 1
# Estimator class name -> class, filled by @register_estimator in each estimator's module.
ESTIMATORS: dict[str, type] = {}


class ModelFileError(ValueError):
    """A model file is missing, damaged, foreign or from a newer aekit."""

    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)


def register_estimator(cls: type) -> type:
    """Class decorator: model files may name ``cls`` (by its class name) and be loaded
    into it. A second class of the same name is an error."""
    name = cls.__name__
    if name in ESTIMATORS and ESTIMATORS[name] is not cls:
        raise ValueError(f"an estimator named {name!r} is already registered for model files.")
    ESTIMATORS[name] = cls
    return cls


def build_estimator(name: str, params: dict[str, Any]) -> Any:
    """An unfitted estimator of a registered class from JSON parameters (never code)."""
    cls = ESTIMATORS[name]
    return cls(**cls._params_from_file({k: _from_json(v) for k, v in params.items()}))


def pack_inner(model: Any, prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fitted inner estimator (an anomaly detector's or an audio model's autoencoder)
    as a header entry and its tensors under ``prefix``."""
    state, tensors = model._file_state()
    entry = {"estimator": type(model).__name__, "params": _params(model), "state": state}
    return entry, {f"{prefix}{k}": v for k, v in tensors.items()}


def unpack_inner(entry: dict[str, Any], tensors: dict[str, Any], prefix: str) -> Any:
    """The fitted estimator that :func:`pack_inner` stored."""
    model = build_estimator(entry["estimator"], entry["params"])
    own = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    model._load_file_state(entry["state"], own)
    return model


def _params(estimator: Any) -> dict[str, Any]:
    # Callbacks are code, and belong to a training run, not to the model.
    params = {k: v for k, v in estimator.get_params(deep=False).items() if k != "callbacks"}
    return _jsonable(params)


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "__estimator__" in value:  # a wrapped estimator
        return build_estimator(value["__estimator__"], value["params"])
    return tuple(value) if isinstance(value, list) else value


def _jsonable(value: Any) -> Any:
    if ESTIMATORS.get(type(value).__name__) is type(value):
        return {"__estimator__": type(value).__name__, "params": _params(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.random.RandomState):
        return None  # a generator's state is not a parameter worth keeping
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def save(estimator: Any, path: str | os.PathLike) -> None:
    """Save a fitted estimator to ``path`` (see the module docstring for the layout).

    In a torchrun job only rank 0 writes; the other ranks hold the same model.
    """
    if not is_main():
        return
    import json

    state, tensors = estimator._file_state()
    header = {
        "format_version": FORMAT_VERSION,
        "aekit_version": __version__,
        "estimator": type(estimator).__name__,
        "params": _params(estimator),
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
    except UnknownNetwork as exc:  # registered by code that was not imported here
        raise ModelFileError(path, str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise ModelFileError(path, f"the model description is inconsistent ({exc!r}).") from None
    return estimator


def _read(path: str | os.PathLike, *, tensors: bool) -> tuple[dict[str, Any], bytes]:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "no such model file.")
    not_ours = "not an aekit model file (empty, truncated, damaged or another format)."
    with open(path, "rb") as f:
        try:
            meta, raw = read_safetensors_header(f, path.stat().st_size)
            header = metadata_entry(meta, "aekit")
        except HeaderError:
            raise ModelFileError(path, not_ours) from None
        data = raw + f.read() if tensors else b""
    if not isinstance(header, dict) or not isinstance(header.get("format_version"), int):
        raise ModelFileError(path, "the aekit header is damaged (no format version).")
    if header["format_version"] > FORMAT_VERSION:
        raise ModelFileError(
            path,
            f"written in model format {header['format_version']} by aekit "
            f"{header.get('aekit_version', '?')}; this aekit reads format {FORMAT_VERSION} and "
            "older. Upgrade aekit to load it.",
        )
    if header.get("estimator") not in ESTIMATORS or not isinstance(header.get("params"), dict):
        raise ModelFileError(path, f"unknown estimator {header.get('estimator')!r} in the header.")
    return header, data
