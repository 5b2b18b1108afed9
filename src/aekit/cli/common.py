"""What every verb shares: one-line errors, loading a model, its plug-in."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sklearn.base import TransformerMixin

from ..modality import Modality, UsageError, first_line, modality_of


class CLIError(UsageError):
    """A user-facing error: printed as one line, exit status 2."""


def _progress(args: argparse.Namespace) -> bool:
    if getattr(args, "quiet", False):
        return False
    return bool(getattr(args, "verbose", False) or sys.stderr.isatty())


def _load_model(path: str, *, unwrap: bool = True) -> tuple[Any, Modality]:
    """A model file's estimator and its plug-in; a detector stands for its autoencoder
    unless ``unwrap`` is off (the verbs that code and decode need a transformer)."""
    from ..saving.model_file import load

    model = load(path)
    if unwrap and not isinstance(model, TransformerMixin):
        model = model.autoencoder_
    return model, modality_of(model)


def _print_metrics(metrics: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(metrics, indent=2))
    else:
        for key, value in metrics.items():
            print(f"{key:28s}{value:.6g}" if isinstance(value, float) else f"{key:28s}{value}")


__all__ = ["CLIError", "first_line"]


def read_options(args: argparse.Namespace) -> dict[str, Any]:
    """How DATA is read, from the flags of :data:`~aekit.modality.READ_FLAGS` given."""
    from ..modality import READ_FLAGS

    return {name: getattr(args, name, None) for name in READ_FLAGS}
