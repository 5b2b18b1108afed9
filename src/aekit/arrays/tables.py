"""Mixed-type tables: a DataFrame's numeric and categorical columns <-> one float matrix.

Numeric columns are standardised; categorical columns (object, category or bool
dtype) are one-hot encoded, with one extra "unknown" slot per non-bool column that
categories never seen at fit map to. The network reconstructs the same layout; the
loss is squared error on numeric columns plus cross-entropy per categorical column,
averaged over columns, and :meth:`TableEncoding.inverse_transform` turns the network's
output back into a DataFrame with the original columns, dtypes and categories.

Missing values are an error unless ``handle_missing="impute"``: then a numeric gap
takes the column mean and a missing-value indicator column (``<name>__missing``) is
added to the input, and a missing category is treated as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

_CATEGORY_TYPES = (str, bool, int, float, np.bool_, np.integer, np.floating)


def is_mixed(X: Any, handle_missing: str) -> bool:
    """Whether ``X`` needs the table encoding: a DataFrame with a non-numeric column,
    or any DataFrame when missing values are to be imputed."""
    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        return False
    if handle_missing == "impute":
        return True
    return any(not _numeric(X[c]) for c in X.columns)


def _numeric(column) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


@dataclass
class Column:
    name: str
    kind: str  # "numeric" or "categorical"
    dtype: str  # the pandas dtype to give back
    mean: float = 0.0
    scale: float = 1.0
    categories: list[Any] = field(default_factory=list)
    ordered: bool = False
    missing_flag: bool = False  # numeric column with an indicator input (impute)

    @property
    def unknown_slot(self) -> bool:
        return self.kind == "categorical" and self.dtype != "bool"

    @property
    def width(self) -> int:
        if self.kind == "numeric":
            return 1 + self.missing_flag
        return len(self.categories) + self.unknown_slot


@dataclass
class TableEncoding:
    columns: list[Column]
    handle_missing: str = "error"

    # ------------------------------------------------------------ fitting
    @classmethod
    def fit(cls, frame, handle_missing: str = "error") -> TableEncoding:
        import pandas as pd

        if frame.shape[1] == 0 or len(frame) == 0:
            raise ValueError(f"the table has shape {frame.shape}; it needs rows and columns.")
        names = [str(c) for c in frame.columns]
        if len(set(names)) != len(names):
            raise ValueError("the table's column names are not unique.")
        _check_missing(frame, handle_missing)
        columns = []
        for name, raw in zip(names, frame.columns, strict=True):
            series = frame[raw]
            if _numeric(series):
                values = _numeric_values(name, series)
                observed = values[~np.isnan(values)]
                if observed.size == 0:
                    raise ValueError(f"column {name!r} has no values.")
                scale = float(observed.std()) or 1.0
                columns.append(
                    Column(
                        name,
                        "numeric",
                        str(series.dtype),
                        mean=float(observed.mean()),
                        scale=scale,
                        missing_flag=bool(np.isnan(values).any()),
                    )
                )
                continue
            if isinstance(series.dtype, pd.CategoricalDtype):
                categories = list(series.cat.categories)
                ordered = bool(series.cat.ordered)
            elif pd.api.types.is_bool_dtype(series):
                categories, ordered = [False, True], False
            else:
                categories = sorted(series.dropna().unique().tolist(), key=_sort_key)
                ordered = False
            bad = [c for c in categories if not isinstance(c, _CATEGORY_TYPES)]
            if bad:
                raise ValueError(
                    f"column {name!r} holds {type(bad[0]).__name__} values; categories must "
                    "be strings, numbers or booleans."
                )
            categories = [_plain(c) for c in categories]
            dtype = "bool" if pd.api.types.is_bool_dtype(series) else str(series.dtype)
            columns.append(
                Column(name, "categorical", dtype, categories=categories, ordered=ordered)
            )
        return cls(columns, handle_missing)

    # ------------------------------------------------------------ layout
    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns)

    def slices(self) -> tuple[list[int], list[tuple[int, int]]]:
        """Positions of the numeric values (indicators included) and of each one-hot group."""
        numeric, groups, start = [], [], 0
        for c in self.columns:
            if c.kind == "numeric":
                numeric.extend(range(start, start + c.width))
            else:
                groups.append((start, start + c.width))
            start += c.width
        return numeric, groups

    # ------------------------------------------------------------ data -> matrix
    def check_frame(self, frame) -> Any:
        """The columns of ``frame`` in fit order; missing or extra columns are an error."""
        import pandas as pd

        if not isinstance(frame, pd.DataFrame):
            raise ValueError(
                "this model was fitted on a DataFrame with categorical columns or gaps; "
                f"pass a DataFrame with columns {self.names}, not {type(frame).__name__}."
            )
        given = {str(c): c for c in frame.columns}
        missing = [n for n in self.names if n not in given]
        extra = [n for n in given if n not in set(self.names)]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing column(s) {missing}")
            if extra:
                parts.append(f"unexpected column(s) {extra}")
            raise ValueError("the table does not match the fitted columns: " + "; ".join(parts))
        # Same columns in another order: taken by name (documented), never by position.
        return frame[[given[n] for n in self.names]]

    def transform(self, frame) -> np.ndarray:
        frame = self.check_frame(frame)
        _check_missing(frame, self.handle_missing)
        blocks = []
        for column, raw in zip(self.columns, frame.columns, strict=True):
            series = frame[raw]
            if column.kind == "numeric":
                if not _numeric(series):
                    raise ValueError(f"column {column.name!r} was numeric at fit; now it is not.")
                values = _numeric_values(column.name, series)
                gaps = np.isnan(values)
                block = [np.where(gaps, 0.0, (values - column.mean) / column.scale)]
                if column.missing_flag:
                    block.append(gaps.astype(np.float64))
                blocks.extend(block)
                continue
            blocks.extend(self._one_hot(column, series).T)
        return np.column_stack(blocks).astype(np.float64)

    @staticmethod
    def _one_hot(column: Column, series) -> np.ndarray:
        import pandas as pd

        # Values are matched to the fitted categories by value; gaps and unseen values
        # get code -1 and go to the "unknown" slot.
        index = pd.Index(column.categories, dtype=object)
        codes = index.get_indexer(series.astype(object)).astype(np.int64)
        unseen = codes < 0
        if unseen.any():
            if not column.unknown_slot:
                value = series[unseen].iloc[0]
                raise ValueError(f"column {column.name!r} holds {value!r}; expected bool.")
            codes[unseen] = len(column.categories)
        out = np.zeros((len(series), column.width))
        out[np.arange(len(series)), codes] = 1.0
        return out

    # ------------------------------------------------------------ matrix -> data
    def inverse_transform(self, out: np.ndarray):
        """The network's output (numeric values and per-column logits) as a DataFrame."""
        import pandas as pd

        data, start = {}, 0
        for c in self.columns:
            block = out[:, start : start + c.width]
            start += c.width
            if c.kind == "numeric":
                values = block[:, 0].astype(np.float64) * c.scale + c.mean
                if np.dtype(c.dtype).kind in "iu":
                    values = np.round(values)
                data[c.name] = pd.Series(values).astype(c.dtype)
                continue
            chosen = block[:, : len(c.categories)].argmax(axis=1)  # never "unknown"
            values = [c.categories[i] for i in chosen]
            if c.dtype == "category":
                dtype = pd.CategoricalDtype(c.categories, ordered=c.ordered)
                data[c.name] = pd.Series(pd.Categorical(values, dtype=dtype))
            else:
                data[c.name] = pd.Series(values, dtype=c.dtype)
        return pd.DataFrame(data)

    # ------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        return {
            "handle_missing": self.handle_missing,
            "columns": [vars(c) for c in self.columns],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> TableEncoding:
        return cls([Column(**c) for c in state["columns"]], state["handle_missing"])


@dataclass
class TableLoss:
    """The reconstruction loss of a mixed table (see :func:`table_loss`), per sample
    averaged over the batch; ``numeric`` and ``groups`` from :meth:`TableEncoding.slices`."""

    numeric: list[int]
    groups: list[tuple[int, int]]
    name = "table"

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def logits(self, network: Any, code: torch.Tensor, x: torch.Tensor, generator=None):
        return network.decode(code)

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        return logits

    def loss(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.error(logits, x).mean()

    def error(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return table_loss(logits, x, self.numeric, self.groups)


def table_loss(
    logits: torch.Tensor, x: torch.Tensor, numeric: list[int], groups: list[tuple[int, int]]
) -> torch.Tensor:
    """Per-sample loss: squared error per numeric value plus cross-entropy per
    categorical column, averaged over them."""
    total = torch.zeros(len(x), device=x.device, dtype=x.dtype)
    if numeric:
        total = total + (logits[:, numeric] - x[:, numeric]).square().sum(dim=1)
    for start, stop in groups:
        target = x[:, start:stop].argmax(dim=1)
        total = total + F.cross_entropy(logits[:, start:stop], target, reduction="none")
    return total / (len(numeric) + len(groups))


def _numeric_values(name: str, series) -> np.ndarray:
    """A numeric column as float64 with NaN for gaps; infinities are an error."""
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise ValueError(f"column {name!r} holds infinite values.")
    return values


def _check_missing(frame, handle_missing: str) -> None:
    if handle_missing == "impute":
        return
    gaps = [str(c) for c in frame.columns if frame[c].isna().any()]
    if gaps:
        raise ValueError(
            f"missing values in column(s) {gaps[:5]}; fill them, or pass "
            "handle_missing='impute' to impute them (with indicator inputs)."
        )


def _plain(value: Any) -> Any:
    # numpy scalars -> Python ones, so categories survive JSON and compare alike.
    return value.item() if isinstance(value, np.generic) else value


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)
