"""What every neural estimator shares, written once.

:class:`NeuralEstimator` holds the fit skeleton (checks, the preprocessing step, the
seed, the validation split, building the network, the budget, the generators and the
one training loop), batched inference, ``score``, ``sample`` and the model file's
common part. A subclass supplies the steps that differ: how its input becomes the
network's rows (``_fit_input``), which network it builds, and its objective.

:class:`Wrapper` is for estimators around an autoencoder (the audio model, the
anomaly detector): they take the training parameters too and hand them on.
"""

from __future__ import annotations

import math
import time
import warnings
from contextlib import contextmanager
from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .networks import network_spec, restore_network
from .objective.bottleneck import BOTTLENECKS, Gaussian
from .params import TRAINING, Declared
from .saving.model_file import pack_inner, save, unpack_inner
from .training.devices import model_device, resolve_device
from .training.loop import check_resume, settings_of, shuffled_batches, train_estimator


def to_tensor(X: Any) -> torch.Tensor:
    """Float32 rows as a tensor: shares memory, but copies a read-only array (a memmap)."""
    if isinstance(X, torch.Tensor):
        return X
    X = np.ascontiguousarray(X, dtype=np.float32)
    return torch.from_numpy(X if X.flags.writeable else X.copy())


def check_n_samples(n_samples: Any) -> int:
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
    return int(n_samples)


def _differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> str:
    """What differs between two network specs, as "name: old -> new" items."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = _differences(a, b, f"{prefix}{key}.")
            out += [inner] if inner else []
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return "; ".join(out)


class NeuralEstimator(Declared, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class: see the module docstring. Not for direct use."""

    _inference_batch = 4096  # rows per forward pass at inference
    _loop_settings: dict[str, Any] = {}  # extra settings for the loop (gradient clipping)

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> Any:
        """Train on ``X`` (see the class docstring for what ``X`` may be); returns self."""
        start = time.perf_counter()  # max_time covers all of fit, preparation included
        with self._kept_on_error():
            self._validate_params()
            self._check_settings()
            device = resolve_device(self.device)
            rows = self._fit_input(X)
            rng = check_random_state(self.random_state)
            seed = int(rng.randint(np.iinfo(np.int32).max))
            train_x, val_x = self._split(rows, rng)
            train_x = self._training_rows(train_x, rng)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                network = self._build_network()  # may refuse the data's shape
            warm = self._warm_start(network)
            self.network_ = network
        if not warm:
            self._init_network(train_x)
        self.network_.to(device)
        budget = None if self.max_time is None else self.max_time - (time.perf_counter() - start)
        objective = self._objective(
            generator=torch.Generator(device=device).manual_seed(seed + 1),  # not the shuffle's
            **self._fit_objective(train_x),
        )
        train_estimator(
            self,
            self.network_,
            objective,
            train_x.to(device),
            None if val_x is None else val_x.to(device),
            settings=settings_of(self, budget, **self._loop_settings),
            generator=torch.Generator().manual_seed(seed),
            batches=self._batch_plan(train_x),
        )
        return self

    @contextmanager
    def _kept_on_error(self):
        """Input checks set fitted attributes as they go; if they reject the input, put
        the previous fit back, so a failed refit loses nothing."""
        previous = {k: v for k, v in vars(self).items() if k.endswith("_")}
        try:
            yield
        except Exception:
            for key in [k for k in vars(self) if k.endswith("_")]:
                delattr(self, key)
            vars(self).update(previous)
            raise

    def _warm_start(self, network: torch.nn.Module) -> bool:
        """With ``warm_start``, give ``network`` the weights of the previous fit's (a
        ValueError when the two differ); whether it did."""
        previous = getattr(self, "network_", None)
        if not getattr(self, "warm_start", False) or previous is None:
            return False
        old, new = network_spec(previous), network_spec(network)
        if old != new:
            changed = _differences(old, new)
            raise ValueError(
                f"warm_start=True needs the network of the previous fit, but this data and "
                f"these settings make another: {changed}. Set warm_start=False to start "
                "afresh."
            )
        network.load_state_dict(previous.state_dict())
        return True

    def _check_settings(self) -> None:
        """Checks that span several parameters (the constraints table checks each)."""
        check_resume(self.checkpoint_dir, self.resume)
        if self._bottleneck() not in (*self._bottlenecks, "sigmoid"):
            takes = " or ".join(repr(b) for b in self._bottlenecks)
            raise ValueError(
                f"bottleneck={self._bottleneck()!r} is not one {type(self).__name__} makes: it "
                f'takes {takes} (bottleneck="quantized", a codec, is ImageAutoencoder\'s).'
            )
        if self._bottleneck() != "gaussian":  # the prior's settings would do nothing
            defaults = {p.name: p.default for p in self._parameters}
            for name in ("beta", "kl_warmup", "free_bits"):
                if getattr(self, name) != defaults[name]:
                    raise ValueError(
                        f"{name} is a setting of a variational model: set "
                        'bottleneck="gaussian" too (CLI: --bottleneck gaussian).'
                    )

    def _split(self, rows: Any, rng: np.random.RandomState) -> tuple[Any, Any]:
        """Training and validation rows: a random ``validation_fraction`` held out."""
        n_val = int(math.floor(self.validation_fraction * len(rows)))
        if n_val < 1 or len(rows) - n_val < 1:
            return rows, None
        order = torch.from_numpy(rng.permutation(len(rows)))
        return self._take(rows, order[n_val:]), self._take(rows, order[:n_val], validation=True)

    def _take(self, rows: Any, index: torch.Tensor, validation: bool = False) -> Any:
        return rows[index]

    def _training_rows(self, train_x: Any, rng: np.random.RandomState) -> Any:
        """The rows to train on, from the training part of the split (text adds more)."""
        return train_x

    def _init_network(self, train_x: Any) -> None:
        """Set up the fresh network from the data (the decoder's starting output)."""

    def _fit_objective(self, train_x: Any) -> dict[str, Any]:
        """Objective settings that come from the training rows."""
        return {}

    def _batch_plan(self, train_x: Any) -> Any:
        return shuffled_batches

    # ------------------------------------------------------------------ the code
    _bottlenecks: tuple[str, ...] = ("deterministic", "gaussian")  # what it can make

    def _bottleneck(self) -> str:
        """The bottleneck axis's choice: the one place that reads the setting."""
        return self.bottleneck

    def _code_bottleneck(self) -> Any:
        """The bottleneck object for the objective; a Gaussian one brings its prior's
        KL term (beta, kl_warmup, free_bits), which :class:`Objective` adds."""
        name = self._bottleneck()
        if name == "gaussian":
            return Gaussian(self.beta, self.kl_warmup, self.free_bits)
        return BOTTLENECKS[name]()

    # ------------------------------------------------------------------ outlier scores
    # What AnomalyDetector asks of the model inside it: every estimator answers, a
    # modality with its own scoring (series) overrides.
    def _outlier_window(self, window: str | int) -> int:
        """The detector's ``window`` for this fitted model: itself, or 1 for "auto"."""
        return 1 if window == "auto" else int(window)

    def _outlier_scores(self, X: Any, window: int) -> np.ndarray:
        """One score per sample of ``X``, higher for more normal ones, that a detector
        thresholds: this model's :meth:`score_samples`."""
        return self.score_samples(X)

    def _fit_outlier_scores(self, X: Any, window: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The scores of the fit data ``X`` that a detector sets its threshold from, and
        per time step those it sets its step threshold from (None: no steps)."""
        return self._outlier_scores(X, window), None

    def _feature_names(self) -> np.ndarray | None:
        """``feature_names_in_`` when fitted on named columns, else None."""
        return getattr(self, "feature_names_in_", None)

    def _picture_shape(self) -> tuple[int, ...] | None:
        """(H, W) or (C, H, W) when this model's samples are pictures that plots and
        reports can draw, else None; a modality whose samples may be pictures says so."""
        return None

    @property
    def has_prior(self) -> bool:
        """Whether the codes have a prior to draw from (a variational model)."""
        return BOTTLENECKS[self._bottleneck()] is Gaussian

    # ------------------------------------------------------------------ inference
    def _map(self, fn: Any, rows: Any) -> np.ndarray:
        """``fn`` over batches of ``rows`` (array or tensor) on the model's device, as
        one array: a memory-mapped array is converted a batch at a time."""
        device = model_device(self.network_)
        self.network_.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(rows), self._inference_batch):
                batch = to_tensor(rows[start : start + self._inference_batch])
                out.append(fn(batch.to(device)).cpu().numpy())
        return np.concatenate(out) if out else np.empty((0, 0), np.float32)

    def _codes(self, Z: Any) -> np.ndarray:
        """Codes of shape (n, latent_dim), checked."""
        from sklearn.utils.validation import check_array

        Z = check_array(Z, dtype=[np.float32, np.float64])
        if Z.shape[1] != self.latent_dim:
            raise ValueError(
                f"codes have {Z.shape[1]} columns but this {type(self).__name__}'s latent_dim "
                f"is {self.latent_dim}."
            )
        return Z

    def sample(self, n_samples: int = 1, random_state: Any = None) -> Any:
        """Decode ``n_samples`` draws from the prior N(0, I) (variational models only;
        others raise ValueError): the decoder's mean, as ``inverse_transform`` gives it."""
        check_is_fitted(self)
        if not self.has_prior:
            raise ValueError(self._no_prior)
        rng = check_random_state(random_state)
        codes = rng.standard_normal((check_n_samples(n_samples), self.latent_dim))
        return self.inverse_transform(codes)

    _no_prior = "this model cannot sample: its code space has no prior to draw from."

    def reconstruct(self, X: Any) -> Any:
        """``inverse_transform(transform(X))``: each sample through the code and back."""
        return self.inverse_transform(self.transform(X))

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` over ``X`` (higher is better)."""
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self) -> int:
        return self.latent_dim

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.max_time is not None
        return tags

    # ------------------------------------------------------------------ files
    def save(self, path: Any) -> None:
        """Write the fitted model to one safetensors file (no pickle); see :func:`aekit.load`."""
        save(self, path)

    def _file_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """JSON-ready fitted state and the tensors that go with it."""
        check_is_fitted(self)
        state = {
            "network": network_spec(self.network_),
            "history": self.history_,
            "training_time": self.training_time_,
        }
        tensors = {f"network.{k}": v for k, v in self.network_.state_dict().items()}
        own, own_tensors = self._own_file_state()
        return {**own, **state}, {**tensors, **own_tensors}

    def _load_file_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self._load_own_file_state(state, tensors)
        self.history_ = state["history"]
        self.training_time_ = state["training_time"]
        self.network_ = restore_network(state["network"], tensors, self.device)

    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {}, {}

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        pass


class VariationalAlias:
    """Mixin for the estimators that took ``variational=True`` before every estimator
    took ``bottleneck="gaussian"`` (text, series): the old spelling still works, with a
    FutureWarning naming the new one; model files that hold it load without one."""

    def _bottleneck(self) -> str:
        return "gaussian" if self.variational is True else super()._bottleneck()

    def _check_settings(self) -> None:
        if self.variational != "deprecated":
            warnings.warn(
                f"variational={self.variational!r} is deprecated and will be removed: use "
                'bottleneck="gaussian" (CLI: --bottleneck gaussian) for a variational model.',
                FutureWarning,
                stacklevel=4,
            )
            if self.variational is True and self.bottleneck not in ("deterministic", "gaussian"):
                raise ValueError(
                    f"variational=True and bottleneck={self.bottleneck!r} disagree: set "
                    'bottleneck="gaussian" alone.'
                )
        super()._check_settings()

    @classmethod
    def _params_from_file(cls, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(super()._params_from_file(params))
        if params.get("variational") is True:  # written before bottleneck="gaussian"
            params["bottleneck"] = "gaussian"
        if "variational" in params:
            params["variational"] = "deprecated"
        return params


class Wrapper:
    """Mixin for estimators around an ``autoencoder`` parameter that also take the
    training parameters (declared ``inherited``: None means the autoencoder's own).

    It owns what every such estimator does alike: handing the parameters on, the
    fitted check (``autoencoder_``), ``score``, ``reconstruct``, ``save`` and the model
    file's state (the inner model under "autoencoder"); a subclass adds its own state
    through ``_own_file_state`` / ``_load_own_file_state``.
    """

    _forwarded: tuple[str, ...] = tuple(p.name for p in TRAINING)
    _must_agree: tuple[str, ...] = ()  # given here and there, these must be equal

    def _check_settings(self) -> None:
        """Checks that span several parameters; the inner model's own run at its fit."""

    def _inner(self, default: Any) -> Any:
        """The unfitted inner model: ``autoencoder`` cloned (or ``default()``), with the
        parameters given here taking the place of its own (as a meta-estimator's
        ``random_state`` does); those of ``_must_agree`` may not differ from a
        non-default value there: a setting lives in one place."""
        model = default() if self.autoencoder is None else clone(self.autoencoder)
        own = model.get_params(deep=False)
        defaults = {p.name: p.default for p in getattr(type(model), "_parameters", ())}
        given = {n: getattr(self, n) for n in self._forwarded if getattr(self, n) is not None}
        for name, value in given.items():
            if name not in own:
                raise ValueError(f"{name}={value!r}: the {type(model).__name__} inside takes no "
                                 f"{name}.")  # fmt: skip
            inner = own[name]
            chosen = self.autoencoder is not None and inner != defaults.get(name, inner)
            if name in self._must_agree and chosen and inner != value:
                raise ValueError(
                    f"{name}={value!r} disagrees with the autoencoder's {name}={inner!r}: "
                    "set it in one place."
                )
        return model.set_params(**given) if given else model

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "autoencoder_")

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` over ``X`` (higher is better)."""
        return float(np.mean(self.score_samples(X)))

    def reconstruct(self, X: Any) -> Any:
        """``inverse_transform(transform(X))``: each sample through the code and back."""
        return self.inverse_transform(self.transform(X))

    # ------------------------------------------------------------------ files
    def save(self, path: Any) -> None:
        """Write the fitted model to one safetensors file (no pickle); see :func:`aekit.load`."""
        save(self, path)

    def _file_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        check_is_fitted(self)
        inner, tensors = pack_inner(self.autoencoder_, "autoencoder.")
        own, own_tensors = self._own_file_state()
        return {**own, "autoencoder": inner}, {**tensors, **own_tensors}

    def _load_file_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.autoencoder_ = unpack_inner(state["autoencoder"], tensors, "autoencoder.")
        self._load_own_file_state(state, tensors)

    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {}, {}

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        pass
