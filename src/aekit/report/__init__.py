"""``aekit report``: one self-contained HTML page about a fitted model on some data.

The page holds a model card (class, parameters, data, training), metrics next to a
baseline at the same dimension, and the pictures that fit the model's data; images
and sounds are inlined, so it opens offline and makes no network request.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..modality import autoencoder_of, modality_of
from ..version import __version__
from .page import page, table
from .parts import Parts


def build_report(
    estimator: Any,
    data: Any,
    labels: Any = None,
    *,
    data_name: str = "data",
    random_state: int = 0,
) -> str:
    """The HTML of a report on a fitted aekit model and ``data`` it can take.

    Parameters
    ----------
    estimator : fitted Autoencoder, VariationalAutoencoder, AnomalyDetector,
        TextAutoencoder or AudioAutoencoder.
    data : what the estimator's ``transform`` takes (array or DataFrame, list of
        texts, list of clips).
    labels : array-like of shape (n_samples,), default=None
        Classes of the samples: they colour the latent map and are predicted from the
        codes, next to the baseline.
    data_name : str
        How the page names the data.
    random_state : int
        Seed of the subset drawn from large data and of the projections.
    """
    plugin = modality(estimator)
    items = plugin.items(data)
    n_total = len(items)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != n_total:
            raise ValueError(
                f"labels must be one per sample: got shape {labels.shape} for {n_total} samples."
            )
    keep = _subset(n_total, plugin.report_limit, random_state)
    if keep is not None:
        items = items.iloc[keep] if hasattr(items, "iloc") else _take(items, keep)
        labels = None if labels is None else labels[keep]
    parts = plugin.report(estimator, items, labels)
    used = n_total if keep is None else len(keep)
    described = f"{data_name}: {n_total} samples" + (
        f" (the report uses a random {used})" if keep is not None else ""
    )
    sections = [
        ("Model", model_card(estimator, described, plugin.shape(items))),
        ("Metrics", _metrics_table(parts, labelled=labels is not None)),
        ("Pictures", "\n".join(parts.figures)),
        *parts.sections,
        ("Training history", history_table(autoencoder_of(estimator).history_)),
    ]
    title = f"aekit report: {_class_name(estimator)} on {data_name}"
    subtitle = f"aekit {__version__}, written {datetime.now():%Y-%m-%d %H:%M}"
    return page(title, subtitle, sections)


def write_report(
    path: str | Path, estimator: Any, data: Any, labels: Any = None, **kw: Any
) -> Path:
    """Build the report (see :func:`build_report`) and write it to ``path`` atomically."""
    from ..saving.files import write_atomic

    html = build_report(estimator, data, labels, **kw)
    write_atomic(path, html.encode("utf-8"))
    return Path(path)


def modality(estimator: Any) -> Any:
    """The plug-in of a fitted aekit model; a ValueError for anything else."""
    from sklearn.utils.validation import check_is_fitted

    try:
        plugin = modality_of(estimator)
    except ValueError:
        raise ValueError(
            f"a report describes a fitted aekit model, not a {type(estimator).__name__}."
        ) from None
    check_is_fitted(estimator)
    return plugin


def _subset(n: int, limit: int, seed: int) -> np.ndarray | None:
    if n <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def _take(items: Any, keep: np.ndarray) -> Any:
    return items[keep] if isinstance(items, np.ndarray) else [items[i] for i in keep]


def _class_name(estimator: Any) -> str:
    inner = getattr(estimator, "autoencoder_", None)
    name = type(estimator).__name__
    return f"{name} ({type(inner).__name__})" if inner is not None else name


def model_card(estimator: Any, data: str, shape: str) -> str:
    """Class, parameters, data and training at a glance."""
    from sklearn.base import BaseEstimator

    model = autoencoder_of(estimator)
    history = model.history_
    val = [v for v in history.get("val_loss", []) if not math.isnan(v)]
    rows = [
        ("class", _class_name(estimator)),
        ("code width (latent_dim)", int(model.latent_dim)),
        ("data", f"{data}; {shape}"),
        ("training time", f"{getattr(model, 'training_time_', math.nan):.1f} s"),
        ("epochs", len(history["epoch"])),
        ("last training loss", float(history["train_loss"][-1])),
    ]
    if val:
        rows.append(("best validation loss", float(min(val))))
    params = [
        (name, _short(value))
        for name, value in sorted(estimator.get_params(deep=True).items())
        if not isinstance(value, BaseEstimator)
    ]
    return (
        table(["", ""], rows)
        + "<details><summary>Parameters</summary>"
        + table(["parameter", "value"], params)
        + "</details>"
    )


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def history_table(history: dict[str, list[float]]) -> str:
    columns = [
        c for c in ("epoch", "train_loss", "val_loss", "learning_rate", "time") if c in history
    ]
    rows = [
        [int(v) if c == "epoch" else float(v) for c, v in zip(columns, values, strict=True)]
        for values in zip(*(history[c] for c in columns), strict=True)
    ]
    return "<details><summary>Per epoch</summary>" + table(columns, rows) + "</details>"


def _metrics_table(parts: Parts, labelled: bool) -> str:
    rows = [
        (name, _value(ours), _value(base)) for name, ours, base in parts.metrics if ours is not None
    ]
    note = (
        "The baseline is fitted on the data of this report, which the model may not have "
        "seen: that favours the baseline."
    )
    if not labelled:
        note += " Give labels (--labels) to see how well the codes predict them."
    return table(["metric", "this model", parts.baseline], rows) + f'<p class="note">{note}</p>'


def _value(value: Any) -> Any:
    return "—" if value is None else value


__all__ = ["build_report", "modality", "write_report"]
