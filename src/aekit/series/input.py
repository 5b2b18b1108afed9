"""The series front end: what a user holds -> standardised windows the network reads.

Two forms. Without ``window``, each row is one series of equal length (UCR style):
``(n_series, length)`` or ``(n_series, length, n_channels)``. With ``window``, the
input is one long series, ``(n_steps,)`` or ``(n_steps, n_channels)``, an array or a
DataFrame (its time kept from a DatetimeIndex or ``time_column``), cut into windows.
Channels are standardised by their mean and spread on the fit data; a constant channel
keeps scale 1 (it is centred, never divided by zero). Gaps (NaN) are an error, or
filled by linear interpolation along time when asked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array

from .windows import cut


@dataclass
class Series:
    """One input made ready: ``values`` (n_steps, C) for a stream or (n, L, C) for a
    collection, float64, with what output needs to look like the input."""

    values: np.ndarray
    index: Any = None  # a stream's time (pandas Index), or None
    columns: list[str] | None = None  # a DataFrame's channel names
    flat: bool = False  # given without a channel axis


@dataclass
class SeriesSpec:
    """The fitted front end, saved in the model file."""

    window: int | None  # None: every row is a series of `length` steps
    length: int  # steps per window (= per series without a window)
    channels: int
    mean: list[float]
    scale: list[float]
    flat_input: bool  # fitted on data without a channel axis: output has none either
    columns: list[str] | None = None  # a DataFrame's channels at fit
    time_column: str | None = None
    select: list[str] | None = None  # the DataFrame columns asked for (all numeric: None)
    interpolate: bool = False  # fill gaps along time, or refuse them

    @classmethod
    def fit(cls, X: Any, window: int | None, **reading: Any) -> tuple[SeriesSpec, Series]:
        """The spec of the fit data ``X`` and ``X`` read; ``reading``: ``time_column``,
        ``select`` and ``interpolate``, as :func:`read` takes them."""
        series = read(X, window, **reading)
        values = series.values.reshape(-1, series.values.shape[-1])
        mean, scale = values.mean(axis=0), values.std(axis=0)
        scale[scale < 1e-12 * np.maximum(1.0, np.abs(mean))] = 1.0  # a constant channel
        length = window if window is not None else series.values.shape[1]
        spec = cls(window, int(length), values.shape[1], mean.tolist(), scale.tolist(),
                   series.flat, series.columns, **reading)  # fmt: skip
        return spec, series

    def read(self, X: Any) -> Series:
        """New data in the fitted form, checked against the fitted channels."""
        series = read(X, self.window, self.time_column, self.select, self.interpolate)
        got = series.values.shape[-1]
        if got != self.channels:
            raise ValueError(f"this model was fitted on {self.channels} channel(s); X has {got}.")
        if (
            self.columns is not None
            and series.columns is not None
            and series.columns != self.columns
        ):
            raise ValueError(
                f"X's columns {series.columns} are not the fitted ones {self.columns}."
            )
        if self.window is None and series.values.shape[1] != self.length:
            raise ValueError(f"X has {series.values.shape[1]} features, but SeriesAutoencoder "
                             f"is expecting {self.length} features as input (series of "
                             f"{self.length} steps).")  # fmt: skip
        return series

    def standardise(self, values: np.ndarray) -> np.ndarray:
        return (values - np.asarray(self.mean)) / np.asarray(self.scale)

    def restore(self, values: np.ndarray) -> np.ndarray:
        """Standardised values (..., C) back in the data's units."""
        return values * np.asarray(self.scale) + np.asarray(self.mean)

    def windows(
        self, series: Series, stride: int | None, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Standardised windows (n, length, C) of ``series`` and their start steps
        (None for a collection, whose rows are the windows); ``rng`` jitters the starts."""
        values = self.standardise(series.values)
        if self.window is None:
            return values, None
        return cut(values, self.window, stride or 1, rng)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rows(windows: np.ndarray) -> np.ndarray:
    """Windows (n, length, C) as the network's float32 rows: channel-major."""
    return (
        np.ascontiguousarray(windows.transpose(0, 2, 1))
        .reshape(len(windows), -1)
        .astype(np.float32)
    )


def from_rows(out: np.ndarray, channels: int) -> np.ndarray:
    """The network's rows back as windows (n, length, C)."""
    return out.reshape(len(out), channels, -1).transpose(0, 2, 1)


def read(
    X: Any,
    window: int | None,
    time_column: str | None = None,
    select: list[str] | None = None,
    interpolate: bool = False,
) -> Series:
    """``X`` as float64 values: (n_steps, C) with a window, (n, L, C) without; of a
    DataFrame, the ``select`` columns (every other one but the time when None)."""
    if window is None:
        if isinstance(X, pd.DataFrame | pd.Series) or time_column is not None or select:
            raise ValueError(
                "a DataFrame (or time_column, columns) is one long series: set window (CLI: "
                "--window N) to cut it into windows; without window each row of an array is "
                "one series."
            )
        values = _numeric(X, ensure_2d=True)
        flat = values.ndim == 2
        if flat:
            values = values[:, :, None]
        if values.ndim != 3:
            raise ValueError(f"series without window are (n_series, length) or (n_series, "
                             f"length, n_channels); got shape {values.shape}.")  # fmt: skip
        return Series(_gaps(values, interpolate), flat=flat)
    index, columns, flat = None, None, isinstance(X, pd.Series)
    if flat:
        X = X.to_frame()
    if isinstance(X, pd.DataFrame):
        X, index = _time(X, time_column)
        if select:
            missing = [c for c in select if c not in X.columns]
            if missing:
                raise ValueError(f"columns {missing} are not in X (its columns: "
                                 f"{[str(c) for c in X.columns]}).")  # fmt: skip
            X = X[list(select)]
        bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            raise ValueError(f"non-numeric column(s) {bad}: a series holds numbers only "
                             "(select its channels with columns, or name the time in "
                             "time_column).")  # fmt: skip
        columns = [str(c) for c in X.columns]
        X = X.to_numpy(dtype=np.float64)
    elif time_column is not None or select:
        raise ValueError("time_column and columns name DataFrame columns; X is an array.")
    values = _numeric(X, ensure_2d=False)
    if values.ndim == 1:
        values, flat = values[:, None], True
    if values.ndim != 2:
        raise ValueError(f"a series cut into windows is (n_steps,) or (n_steps, n_channels); "
                         f"got shape {values.shape}.")  # fmt: skip
    return Series(_gaps(values[None], interpolate, stream=True)[0], index, columns, flat)


def _numeric(X: Any, ensure_2d: bool) -> np.ndarray:
    """scikit-learn's checks (sparse, complex, empty, non-numeric), gaps left to _gaps."""
    return check_array(X, dtype=np.float64, ensure_2d=ensure_2d, allow_nd=True,
                       ensure_all_finite=False, input_name="X")  # fmt: skip


def _gaps(values: np.ndarray, interpolate: bool, stream: bool = False) -> np.ndarray:
    """``values`` (n, L, C) without gaps: NaN filled by linear interpolation along the
    steps (the ends by the nearest value) when ``interpolate``, else an error;
    ``stream``: the one row is a long series (places are then (step, channel))."""
    bad = ~np.isfinite(values)
    if not bad.any():
        return values
    infinite = np.isinf(values)
    if not interpolate or infinite.any():
        first = np.argwhere(infinite if interpolate else bad)[0].tolist()
        where = tuple(first[1:] if stream else first)
        n = int((infinite if interpolate else bad).sum())
        hint = "infinite values are not gaps" if interpolate else (
            "fill them first, or set handle_missing='interpolate'")  # fmt: skip
        raise ValueError(f"X holds {n} missing or infinite value(s), the first at {where}: "
                         f"{hint}.")  # fmt: skip
    empty = bad.all(axis=1)
    if empty.any():
        series, channel = np.argwhere(empty)[0].tolist()
        what = f"channel {channel}" + ("" if stream else f" of series {series}")
        raise ValueError(f"{what} holds no value at all: there is nothing to interpolate from.")
    n, length, c = values.shape
    # One column per (series, channel), the steps down the rows: pandas fills along time.
    frame = pd.DataFrame(values.transpose(1, 0, 2).reshape(length, n * c))
    filled = frame.interpolate(method="linear", limit_direction="both").to_numpy()
    return filled.reshape(length, n, c).transpose(1, 0, 2)


def _time(frame: pd.DataFrame, time_column: str | None) -> tuple[pd.DataFrame, Any]:
    """The channels of ``frame`` and its time: ``time_column``, or a DatetimeIndex."""
    if time_column is not None:
        if time_column not in frame.columns:
            raise ValueError(f"time_column={time_column!r} is not a column of X "
                             f"(columns: {[str(c) for c in frame.columns]}).")  # fmt: skip
        index = pd.Index(_as_time(frame[time_column]), name=time_column)
        frame = frame.drop(columns=[time_column])
    elif isinstance(frame.index, pd.DatetimeIndex):
        index = frame.index
    else:
        return frame, frame.index
    if index.has_duplicates:
        raise ValueError(f"the time {index.name or 'index'} has duplicated steps, such as "
                         f"{index[index.duplicated()][0]!r}.")  # fmt: skip
    if not index.is_monotonic_increasing:
        raise ValueError(f"the time {index.name or 'index'} is not sorted: sort X by it first.")
    return frame, index


def _as_time(column: pd.Series) -> pd.Series:
    """A time column as numbers or datetimes (text read from a CSV is parsed), so that
    its order is the order of time, not of spelling."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return column
    try:
        return pd.to_datetime(column, format="ISO8601")
    except (ValueError, TypeError):
        first = column.iloc[0] if len(column) else None
        raise ValueError(f"the time column {column.name!r} holds neither numbers nor dates "
                         f"(such as {first!r}).") from None  # fmt: skip
