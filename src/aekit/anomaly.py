"""``aekit.AnomalyDetector``: what an autoencoder reconstructs badly is unusual."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .estimator import Wrapper
from .params import TRAINING, Declared, Param, inherited, parameters
from .saving.model_file import ESTIMATORS, register_estimator


@register_estimator
class AnomalyDetector(Wrapper, Declared, OutlierMixin, BaseEstimator):
    """Outlier detection by reconstruction: scikit-learn's outlier-detector API.

    An autoencoder learns the training data; samples it reconstructs badly are
    outliers. Any autoencoder setting works: dense or conv, denoising, sparse,
    variational. The score is the negative reconstruction error for every model,
    a VAE included (from its posterior mean): a VAE's ELBO is a likelihood, and
    likelihoods rank simple images (few bright pixels) as typical whatever their
    class, which makes them a poor outlier score (one-class Fashion-MNIST: mean ROC
    AUC 0.72 by ELBO against 0.92 by reconstruction error). On images the error is
    taken after averaging the residual over small neighbourhoods (``window``): mean
    ROC AUC 0.935 there against 0.921 per pixel.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    autoencoder_ : Autoencoder
        The fitted autoencoder.
    offset_ : float
        Threshold on ``score_samples``: ``decision_function = score_samples - offset_``.
    window_ : int
        The ``window`` in use.
    step_offset_ : float
        With a :class:`SeriesAutoencoder` inside: the threshold on the negative step
        scores (``-step_scores``) that :meth:`predict_steps` uses.
    n_features_in_ : int
        Number of input features.

    Notes
    -----
    The threshold comes from the training data, which the autoencoder has seen, so
    new normal data scores slightly lower on average than the training data did.

    Examples
    --------
    >>> import numpy as np, aekit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6))  # 2-dim structure
    >>> det = aekit.AnomalyDetector(
    ...     aekit.Autoencoder(latent_dim=2, epochs=50, random_state=0), contamination=0.05
    ... ).fit(X)
    >>> det.predict(np.vstack([X[:3], 10 * rng.normal(size=(1, 6))]))
    array([ 1,  1,  1, -1])
    """

    _parameters = parameters(
        Param("autoencoder", None, [None, HasMethods(["fit", "reconstruction_error", "transform"])],
              "Autoencoder or VariationalAutoencoder",
              "The (unfitted) model to learn the data with; it is cloned at fit. None means "
              "Autoencoder(). Its settings are this detector's nested parameters "
              "(autoencoder__latent_dim ...), for set_params and GridSearchCV."),
        Param("contamination", "auto",
              [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
              '"auto" or float in (0, 0.5]',
              "Expected share of outliers in the training data: offset_ is that quantile of "
              'the training scores. "auto" uses the box-plot rule instead, on the logarithm of '
              "the error (-score): training errors whose log lies above Q3 + 1.5 * IQR are "
              "outliers (on the scores themselves if any error is 0).",
              {"metavar": "auto|F",
               "help": "save an AnomalyDetector: expected share of outliers in DATA, or auto"}),
        Param("pixel_window", "auto",
              [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
              '"auto" or int >= 1',
              "For images: side of the neighbourhood over which the residual is averaged "
              "before squaring (see Autoencoder.reconstruction_error); 1 is the plain per-pixel "
              'error. "auto" is 3 for pictures (the model knows their shape or they are a '
              "square number of features, at least 8x8, in [0, 1]) and 1 for everything else, "
              "tables and series included.",
              {"metavar": "auto|N",
               "help": "detector: side of the pixel neighbourhood the error is averaged over"}),
        Param("window", "deprecated",
              [StrOptions({"auto", "deprecated"}), Interval(Integral, 1, None, closed="left")],
              '"auto" or int >= 1',
              "Deprecated: the old name of pixel_window, which it sets (with a FutureWarning); "
              "window is a series' steps per window (SeriesAutoencoder).", None),
        inherited(TRAINING, "autoencoder"),
    )  # fmt: skip

    def fit(self, X: Any, y: Any = None) -> AnomalyDetector:
        """Fit the autoencoder on ``X`` and set the threshold from its scores."""
        self._validate_params()
        pixel_window = self._pixel_window()
        model = self._inner(_default_autoencoder).fit(X)
        window = model._outlier_window(pixel_window)
        scores, steps = model._fit_outlier_scores(X, window)
        if steps is not None:  # a series model: a threshold per time step too
            self.step_offset_ = _offset(-steps, self.contamination)
        self._adopt(model, _offset(scores, self.contamination), window)
        return self

    def _pixel_window(self) -> str | int:
        """``pixel_window``, or what the old ``window`` says (with a FutureWarning)."""
        if self.window == "deprecated":
            return self.pixel_window
        warnings.warn(
            "AnomalyDetector(window=...) is deprecated and will be removed: use pixel_window "
            "(CLI: --pixel-window); window is a series' steps per window.",
            FutureWarning,
            stacklevel=3,
        )
        if self.pixel_window != "auto" and self.pixel_window != self.window:
            raise ValueError(
                f"window={self.window!r} and pixel_window={self.pixel_window!r} disagree: "
                "set pixel_window alone."
            )
        return self.window

    @classmethod
    def _params_from_file(cls, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(super()._params_from_file(params))
        if params.get("window", "deprecated") != "deprecated":  # written before pixel_window
            params["pixel_window"] = params["window"]
        params["window"] = "deprecated"
        return params

    def score_samples(self, X: Any) -> np.ndarray:
        """Negative reconstruction error of each sample: higher is more normal."""
        check_is_fitted(self)
        return self.autoencoder_._outlier_scores(X, self.window_)

    def decision_function(self, X: Any) -> np.ndarray:
        """``score_samples(X) - offset_``: negative for outliers."""
        return self.score_samples(X) - self.offset_

    def predict(self, X: Any) -> np.ndarray:
        """+1 for inliers, -1 for outliers."""
        return np.where(self.decision_function(X) < 0, -1, 1)

    def predict_steps(self, X: Any) -> np.ndarray:
        """+1 or -1 for each time step of a series (a SeriesAutoencoder inside): its
        step score against the threshold the fit series' step scores set."""
        check_is_fitted(self)
        if not hasattr(self, "step_offset_"):
            raise ValueError(
                f"predict_steps needs a series model inside (aekit.SeriesAutoencoder); this "
                f"detector holds a {type(self.autoencoder_).__name__}: use predict."
            )
        return np.where(-self.autoencoder_.step_scores(X) < self.step_offset_, -1, 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = _default_autoencoder() if self.autoencoder is None else self.autoencoder
        timed = self.max_time is not None
        tags.non_deterministic = timed or inner.__sklearn_tags__().non_deterministic
        return tags

    def reconstruct(self, X: Any) -> Any:
        """``X`` through the autoencoder inside and back (a detector has no codes of its
        own)."""
        check_is_fitted(self)
        return self.autoencoder_.reconstruct(X)

    # ------------------------------------------------------------------ files
    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        step_offset = getattr(self, "step_offset_", None)  # a series model's only
        return {"offset": float(self.offset_), "window": self.window_,
                "step_offset": step_offset}, {}  # fmt: skip

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        self._adopt(self.autoencoder_, float(state["offset"]), int(state.get("window", 1)))
        if state.get("step_offset") is not None:
            self.step_offset_ = float(state["step_offset"])

    def _adopt(self, model: Any, offset: float, window: int) -> None:
        self.autoencoder_ = model
        self.offset_ = offset
        self.window_ = window
        self.n_features_in_ = model.n_features_in_
        names = model._feature_names()
        if names is not None:
            self.feature_names_in_ = names


def _default_autoencoder() -> Any:
    """``Autoencoder()``, found by its registered name: the detector serves every
    modality and imports none."""
    return ESTIMATORS["Autoencoder"]()


def reconstruction_scores(model: Any, X: Any, window: str | int) -> np.ndarray:
    """A fitted model's outlier scores under ``window`` ("auto" or int), higher for more
    normal samples: what :class:`AnomalyDetector` scores by (the model says how)."""
    return model._outlier_scores(X, model._outlier_window(window))


def _offset(scores: np.ndarray, contamination: str | float) -> float:
    if contamination != "auto":
        return float(np.percentile(scores, 100.0 * contamination))
    if np.all(scores < 0):
        # Scores are negative errors: their logarithm is far less skewed than the
        # errors, so the box-plot fence there marks a real tail.
        q1, q3 = np.percentile(np.log(-scores), [25, 75])
        return float(-np.exp(q3 + 1.5 * (q3 - q1)))
    q1, q3 = np.percentile(scores, [25, 75])
    return float(q1 - 1.5 * (q3 - q1))
