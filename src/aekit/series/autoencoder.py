"""``aekit.SeriesAutoencoder``: time series as windows -> codes -> windows -> series."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..arrays.family import NETWORK, REGULARISERS, FamilyEstimator
from ..estimator import VariationalAlias
from ..objective import Objective
from ..objective.reconstruction import MSE
from ..params import (
    CODE,
    HANDLE_MISSING,
    LATENT_DIM,
    TRAINING,
    VARIATIONAL,
    WARM_START,
    Param,
    parameters,
)
from ..saving.model_file import register_estimator
from . import scoring
from .input import Series, SeriesSpec, from_rows, rows
from .scoring import SCORINGS
from .windows import stitch

SERIES = (
    Param("window", None, [None, Interval(Integral, 1, None, closed="left")], "int or None",
          "Steps per window. None: every row of X is one series (n_series, length[, "
          "n_channels]); an int: X is one long series (n_steps[, n_channels]), an array or "
          "a DataFrame, cut into windows of this many steps.",
          {"type": int, "metavar": "N", "help": "series: steps per window (one long series)"},
          int | None),
    Param("stride", None, [None, Interval(Integral, 1, None, closed="left")], "int or None",
          "Steps between the windows fit and transform take; None: window // 4 (fit "
          "moves each start on by a random 0 to stride - 1 steps, so a periodic series "
          "is seen at every phase). "
          "reconstruct and step_scores use every window (stride 1).",
          {"type": int, "help": "steps between fit windows (default window // 4)"}, int | None),
    Param("scoring", "combined", [StrOptions(set(SCORINGS))], '{"combined", "error", '
          '"code_distance"}',
          'What scores a window\'s steps: "error", their squared reconstruction error, '
          "each (step of the window, channel) divided by its mean on the fit windows; "
          '"code_distance", the distance of the window\'s code to the nearest code of the fit '
          'windows; "combined", the sum of both, each divided by its 99th percentile on the '
          "fit data. Measured (benchmarks/series.py, window 128): ECG per-step ROC AUC "
          "0.914 by error, 0.9999 by code distance, 0.993 combined; InternalBleeding16's "
          "top step inside the labelled stretch by error and combined, 140 steps past it "
          "by code distance.",
          {"choices": list(SCORINGS)}, str),
    Param("time_column", None, [None, str], "str or None",
          "The DataFrame column that holds the time (kept for output, checked sorted and "
          "unique); a DatetimeIndex is used without it.",
          {"help": "the CSV column of the time"}, str | None),
    Param("columns", None, [None, list, tuple], "list of str or None",
          "The DataFrame columns that are the channels; None: every column but the time. "
          "New data must hold them too (other columns are then left out).",
          {"nargs": "+", "metavar": "NAME", "help": "the CSV columns that are the channels"},
          list | tuple | None),
)  # fmt: skip
_MAX_CODES = 50_000  # fit codes kept for the code-distance term of the scores
_NETWORK = tuple(p for p in NETWORK if p.name not in ("image_shape", "channels_first"))


@register_estimator
class SeriesAutoencoder(VariationalAlias, FamilyEstimator):
    """Autoencoder for time series: equal-length series, or windows of one long series.

    Channels are standardised with the fit data; windows (``window`` steps, every
    ``stride``) go through a temporal convolution network (``architecture="tcn"``:
    residual dilated 1-D convolutions) or any registered network that reads flat rows.
    ``transform`` gives a code per series or per window, ``inverse_transform`` windows
    back, ``reconstruct`` the whole series (overlapping windows averaged),
    ``score_samples`` a score per window and :meth:`step_scores` one per time step.
    Every setting of the family applies (``noise``, ``sparsity``, ``contractive``), and
    ``bottleneck="gaussian"`` makes a VAE whose ``sample`` draws new windows. How windows
    and steps are scored: :mod:`aekit.series.scoring`.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    series_spec_ : aekit.series.input.SeriesSpec
        Window, channels and their standardisation.
    codes_ : ndarray of shape (n_codes, latent_dim)
        Codes of the fit windows at every step (at most 50,000, a seeded subset beyond).
    code_starts_ : ndarray of shape (n_codes,)
        Their start steps (series numbers without a window).
    error_spread_ : ndarray of shape (length, n_channels)
        Mean squared error of each step of a window and channel on the fit windows,
        which the error term divides by.
    score_scales_ : dict of float
        99th percentile on the fit data of each scoring term ("error", "code_distance"),
        which ``scoring="combined"`` divides them by.
    n_features_in_ : int
        ``X.shape[1]``: channels of a long series, steps of series without a window.
    history_, network_, training_time_
        As in :class:`aekit.Autoencoder`.

    Examples
    --------
    >>> import numpy as np, aekit
    >>> t = np.arange(2000)
    >>> stream = np.sin(t / 10)
    >>> model = aekit.SeriesAutoencoder(window=64, latent_dim=4, epochs=3, random_state=0)
    >>> model.fit(stream).step_scores(stream).shape
    (2000,)
    """

    _parameters = parameters(LATENT_DIM, SERIES, HANDLE_MISSING, _NETWORK, CODE, VARIATIONAL,
                             REGULARISERS, TRAINING, WARM_START, latent_dim=16, architecture="tcn",
                             batch_size=64)  # fmt: skip

    def fit(self, X: Any, y: Any = None) -> SeriesAutoencoder:
        """Train on ``X``: series of equal length, or one long series with ``window``;
        then keep the codes of its windows (every step, at most 50,000), which
        ``scoring="code_distance"`` measures new windows against."""
        super().fit(X)
        _, x, at = self._windows(X, 1)
        keep = np.arange(len(x))
        if len(x) > _MAX_CODES:
            keep = np.sort(np.random.default_rng(0).choice(len(x), _MAX_CODES, replace=False))
        kept = x[keep]
        self.codes_ = self._encode(rows(kept))
        self.code_starts_ = keep if at is None else at[keep]
        # Each step of a window and channel weighs by its own error on the fit data:
        # window edges and noisy channels are rebuilt worse everywhere, not only where
        # something is wrong (InternalBleeding16, bottleneck="gaussian": the top step 7457,
        # at an edge of the series, without; 4199, in the labelled stretch, with).
        squared = (self._rebuilt(kept) - kept) ** 2  # (n, length, C)
        self.error_spread_ = scoring.error_spread(squared)
        self.score_scales_ = scoring.scales(self._fit_terms(x, squared))
        return self

    def _encode(self, x: np.ndarray) -> np.ndarray:
        objective = self._objective()
        return self._map(lambda xb: objective.encode(self.network_, xb), x)

    def _fit_input(self, X: Any) -> torch.Tensor:
        self.series_spec_, series = SeriesSpec.fit(
            X, self.window, time_column=self.time_column,
            select=None if self.columns is None else list(self.columns),
            interpolate=self.handle_missing == "interpolate",
        )  # fmt: skip
        # scikit-learn's meaning, X.shape[1]: a stream's channels, a collection's length.
        spec = self.series_spec_
        self.n_features_in_ = spec.channels if spec.window is not None else spec.length
        # Fit windows start at random within each stride: at fixed multiples of it, a
        # periodic series shows the network few phases (ECG, stride 32: squared error
        # 0.0016 on those windows, 0.85 averaged over all).
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31))
        windows, _ = self.series_spec_.windows(series, self._stride(), rng)  # (or too short)
        if self.scoring != "error":  # checked before training, so a refusal loses nothing
            # The middle window, at (n - window) / 2, has a partner only from 3 windows on.
            n, needed = len(series.values), 2 if spec.window is None else 3 * spec.window
            if n < needed:
                what = "sample(s), series" if spec.window is None else "steps"
                raise ValueError(
                    f"the fit data hold {n} {what}, fewer than the {needed} that "
                    f"scoring={self.scoring!r} needs: each fit window is "
                    "measured against another that does not overlap it. Fit on more, or use "
                    "scoring='error'."
                )
        return torch.from_numpy(rows(windows))

    # ------------------------------------------------------------------ the axes
    def _check_settings(self) -> None:
        super()._check_settings()
        if self.handle_missing == "impute":
            raise ValueError(
                "handle_missing='impute' fills a table's gaps with column means; a series' "
                "are filled along time: use 'interpolate'."
            )
        if self.loss not in ("auto", "mse"):
            raise ValueError(
                f"loss={self.loss!r}: a series model works on standardised channels and "
                "learns them by squared error; use loss='auto' or 'mse'."
            )

    def _objective(self, generator: Any = None, noise_range: Any = (0.0, 1.0)) -> Objective:
        """The loss and the code; ``generator`` and ``noise_range`` for training."""
        return Objective(
            latent_dim=self.latent_dim,
            reconstruction=MSE(unit=False),
            bottleneck=self._code_bottleneck(),
            corruption=self._corruption(noise_range),
            penalties=tuple(self._penalties()),
            generator=generator,
        )

    _no_prior = (
        'this model cannot sample: fit it with bottleneck="gaussian" (CLI: --bottleneck '
        "gaussian) to draw windows."
    )

    def _stride(self) -> int | None:
        return None if self.window is None else self.stride or max(1, self.window // 4)

    def _network_config(self) -> dict[str, Any]:
        spec = self.series_spec_
        return {
            **super()._network_config(),
            "n_features": spec.channels * spec.length,
            "channels": spec.channels,
        }

    # ------------------------------------------------------------------ inference
    def _windows(self, X: Any, stride: int | None) -> tuple[Series, np.ndarray, Any]:
        """``X`` read, its standardised windows (n, length, C) every ``stride`` steps
        and their starts (None without a window)."""
        check_is_fitted(self)
        series = self.series_spec_.read(X)
        return series, *self.series_spec_.windows(series, stride)

    def transform(self, X: Any) -> np.ndarray:
        """Codes of each series (``window=None``) or each window: (n, latent_dim)."""
        _, x, _ = self._windows(X, self._stride())
        return self._encode(rows(x)).astype(np.float64)

    def _decode(self, Z: Any) -> np.ndarray:
        """Standardised windows (n, length, C) decoded from codes."""
        objective = self._objective()
        out = self._map(lambda z: objective.output(self.network_.decode(z)),
                        self._codes(Z).astype(np.float32))  # fmt: skip
        return from_rows(out, self.series_spec_.channels).astype(np.float64)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Windows (or series) decoded from codes, in the data's units: (n, length,
        n_channels), or (n, length) for data fitted without a channel axis."""
        check_is_fitted(self)
        return self._shaped(self.series_spec_.restore(self._decode(Z)))

    def _shaped(self, values: np.ndarray) -> np.ndarray:
        return values[..., 0] if self.series_spec_.flat_input else values

    def _rebuilt(self, x: np.ndarray) -> np.ndarray:
        """Standardised windows (n, length, C) through the code and back."""
        objective = self._objective()
        out = self._map(lambda xb: objective.reconstruct(self.network_, xb), rows(x))
        return from_rows(out, self.series_spec_.channels).astype(np.float64)

    def reconstruct(self, X: Any) -> Any:
        """``X`` through the code and back, in its own form: each series, or the whole
        long series stitched from every window (overlaps averaged); a DataFrame stays
        a DataFrame with its time."""
        series, x, at = self._windows(X, 1)
        out = self._rebuilt(x)
        if at is not None:
            out = stitch(out, at, len(series.values))
        out = self._shaped(self.series_spec_.restore(out))
        if series.columns is None:
            return out
        return pd.DataFrame(out, index=series.index, columns=series.columns)

    def reconstruction_error(self, X: Any, *, window: int = 1) -> np.ndarray:
        """Mean squared error of each series (or window), on standardised channels."""
        if window != 1:
            raise ValueError("window averages errors over pixels of images; a series has none.")
        _, x, _ = self._windows(X, self._stride())
        return ((self._rebuilt(x) - x) ** 2).mean(axis=(1, 2))

    def _terms(
        self, x: np.ndarray, codes: bool = True, squared: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """The scoring's terms for standardised windows ``x`` (n, length, C), each
        (n, length) (see :mod:`aekit.series.scoring`); the code distance unless ``codes``
        is False; ``squared``: the windows' squared errors, when already computed."""
        terms = {}
        if self.scoring != "code_distance":
            if squared is None:
                squared = (self._rebuilt(x) - x) ** 2
            terms["error"] = scoring.error_term(squared, self.error_spread_)
        if self.scoring != "error" and codes:
            terms["code_distance"] = scoring.distance_term(
                self._encode(rows(x)), self.codes_, x.shape[1]
            )
        return terms

    def _combine(self, terms: dict[str, np.ndarray]) -> np.ndarray:
        return scoring.combine(terms, self.scoring, self.score_scales_)

    def _scored(self, X: Any, stride: int | None) -> tuple[Series, np.ndarray, Any]:
        series, x, at = self._windows(X, stride)
        return series, self._combine(self._terms(x)), at

    def score_samples(self, X: Any) -> np.ndarray:
        """Minus the score of each series (or window, every ``stride``) by ``scoring``,
        the mean over its steps: higher is more normal."""
        return -self._scored(X, self._stride())[1].mean(axis=1)

    def step_scores(self, X: Any) -> np.ndarray:
        """One score per time step by ``scoring`` (higher is more unusual), averaged
        over every window that covers the step: (n_steps,) for a long series,
        (n_series, length) for series without a window."""
        series, values, at = self._scored(X, 1)
        return values if at is None else stitch(values, at, len(series.values))

    def _fit_terms(self, x: np.ndarray, squared: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The terms of those of the fit windows ``x`` (every step) kept as codes: every
        fit window is also a fit code, so each is measured against the codes of the
        windows that do not overlap it (of the other series, without a window).
        ``squared``: the kept windows' squared errors, when already computed."""
        # code_starts_ index the fit windows at every step (series numbers without a window).
        terms = self._terms(x[self.code_starts_], codes=False, squared=squared)
        if self.scoring != "error":
            zone = 1 if self.window is None else self.window
            length = self.series_spec_.length
            distance = scoring.distance_term(
                self.codes_, self.codes_, length, self.code_starts_, zone
            )
            if not np.all(np.isfinite(distance)):
                raise ValueError(
                    f"of the {len(self.codes_)} fit windows kept, some have no other that "
                    f"does not overlap them, which scoring={self.scoring!r} measures them "
                    "against: fit on more, or use scoring='error'."
                )
            terms["code_distance"] = distance
        return terms

    def _fit_outlier_scores(self, X: Any, window: int) -> tuple[np.ndarray, np.ndarray]:
        """What a detector sets its thresholds from, for the fit data ``X``: window
        scores (as :meth:`score_samples`) and step scores (per kept window and step,
        flattened), measured as :meth:`_fit_terms` says."""
        values = self._combine(self._fit_terms(self._windows(X, 1)[1]))
        return -values.mean(axis=1), values.ravel()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    # ------------------------------------------------------------------ files
    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        tensors = {"codes": torch.from_numpy(np.ascontiguousarray(self.codes_)),
                   "code_starts": torch.from_numpy(np.asarray(self.code_starts_)),
                   "error_spread": torch.from_numpy(self.error_spread_)}  # fmt: skip
        return {
            "n_features_in": int(self.n_features_in_),
            "series_spec": self.series_spec_.to_dict(),
            "score_scales": self.score_scales_,
        }, tensors

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        self.n_features_in_ = state["n_features_in"]
        self.series_spec_ = SeriesSpec(**state["series_spec"])
        self.codes_ = tensors["codes"].numpy()
        self.code_starts_ = tensors["code_starts"].numpy()
        self.error_spread_ = tensors["error_spread"].numpy()
        self.score_scales_ = state["score_scales"]
