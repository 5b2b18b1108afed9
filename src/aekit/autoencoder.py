"""``aekit.Autoencoder``: a scikit-learn transformer backed by a PyTorch autoencoder."""

from __future__ import annotations

import math
import time
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .corruption import NOISE_TYPES, check_noise
from .networks import ACTIVATIONS, build_network, network_spec, restore_network
from .objective import BOTTLENECKS, Objective
from .scaling import Scaling
from .streaming import MappedRows, local_batches
from .tables import TableEncoding, is_mixed
from .training import (
    TRAINING_CONSTRAINTS,
    TrainSettings,
    check_resume,
    resolve_device,
    shuffled_batches,
    train_estimator,
)

_INFERENCE_BATCH = 4096
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Rows of a memory-mapped training set held out for validation are read into memory.
_MAX_STREAMED_VALIDATION = 50_000


class Autoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Non-linear dimensionality reduction with an autoencoder, used like PCA.

    ``fit`` learns an encoder ``x -> z`` and a decoder ``z -> x``; ``transform``
    returns the code ``z`` (``latent_dim`` columns) and ``inverse_transform`` the
    reconstruction in the original units.

    Parameters
    ----------
    latent_dim : int, default=32
        Width of the code.
    architecture : {"dense", "conv"}, default="dense"
        ``"dense"``: a multilayer perceptron. ``"conv"``: strided convolutions for
        images, given as flat rows plus ``image_shape`` or as arrays of shape
        ``(n, H, W)`` or ``(n, C, H, W)``.
    hidden_dims : tuple of int, default=None
        Encoder widths (dense) or channels per stride-2 stage (conv); the decoder
        mirrors them. ``None`` means ``(512,)`` for dense and ``(32, 64)`` for conv.
    image_shape : tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)`` of the images behind flat rows, for
        ``architecture="conv"``. ``None`` takes it from image arrays, or, for flat
        rows whose width is a perfect square, assumes square grey images.
    activation : str, default="silu"
        Hidden-layer activation: relu, leaky_relu, elu, gelu, silu, tanh or sigmoid.
    loss : {"auto", "mse", "bce"}, default="auto"
        Reconstruction loss. Data in [0, 1] is modelled with a sigmoid output, other
        data is standardised first; ``"auto"`` uses mean squared error in both cases.
        ``"bce"`` (binary cross-entropy) needs data in [0, 1].
    noise : float, default=0.0
        Corruption level while training (a denoising autoencoder); 0 turns it off.
        Applied where the network works: to the data itself when it lies in [0, 1],
        else to standardised data. ``transform`` always sees the data as given, so
        ``inverse_transform(transform(noisy))`` denoises.
    noise_type : {"gaussian", "masking", "salt_pepper"}, default="gaussian"
        ``"gaussian"``: add noise of standard deviation ``noise`` (clipped to [0, 1]
        for data in [0, 1]); ``"masking"``: zero a ``noise`` fraction of the inputs
        (the feature mean for standardised data); ``"salt_pepper"``: set a ``noise``
        fraction to the feature's minimum or maximum.
    sparsity : float, default=0.0
        Weight of the sparsity penalty: ``sparsity * mean_i sum_j |z_ij|`` (L1 on the
        code), or, with ``sparsity_target``, the weight of the KL form.
    sparsity_target : float in (0, 1), default=None
        Target mean activation rho of sigmoid code units: the code becomes
        ``sigmoid(h)`` and the penalty is ``sum_j KL(rho || mean_i z_ij)``. Needs
        ``sparsity > 0``.
    contractive : float, default=0.0
        Weight of the contractive penalty ``mean_i ||dz_i/dx_i||_F^2`` (exact: closed
        form for a dense encoder of one hidden layer, batched autograd otherwise).
    handle_missing : {"error", "impute"}, default="error"
        Missing values in a DataFrame: an error, or imputed (numeric: the column mean,
        plus an indicator input per column with gaps at fit; categorical: the
        "unknown" category).
    epochs : int, default=100
        Maximum number of passes over the data.
    batch_size : int, default=256
        Samples per optimisation step.
    learning_rate : float, default=5e-3
        Peak learning rate of Adam; it warms up, then decays on a cosine to zero.
    max_time : float, default=None
        Training budget in seconds. The learning-rate schedule is fitted to whichever
        budget ends first, and training stops cleanly when the time is spent.
    validation_fraction : float, default=0.1
        Share of the samples held out for early stopping. 0 turns validation and early
        stopping off.
    patience : int, default=10
        Epochs without validation improvement before training stops; the best weights
        are kept.
    random_state : int, RandomState instance or None, default=None
        Seed for weight initialisation, shuffling and the validation split. Without
        ``max_time``, the same seed gives the same model on CPU.
    device : str, default="auto"
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    precision : {"fp32", "bf16"}, default="fp32"
        ``"bf16"`` runs the forward passes of training under bfloat16 autocast (weights
        and optimiser stay float32): faster on GPUs with bfloat16 units.
    checkpoint_dir : str or path, default=None
        Folder for a training checkpoint written (atomically) after every epoch:
        weights, optimiser, random generators, history. See ``resume``.
    resume : bool, default=False
        Go on from the checkpoint in ``checkpoint_dir`` (same data and settings): the
        result is the uninterrupted run's, bit for bit on CPU without ``max_time``.
        Without a checkpoint there, training starts from the beginning (a warning says so).
    on_divergence : {"raise", "skip"}, default="raise"
        A NaN or infinite loss: ``"raise"`` stops training, restores the last good
        weights and raises ``TrainingDiverged`` (a ValueError); ``"skip"`` leaves that
        batch out and counts it in ``history_["skipped_batches"]``.
    verbose : bool, default=False
        Show a progress bar with the running loss.

    Attributes
    ----------
    n_features_in_ : int
        Number of input features (pixels for images).
    feature_names_in_ : ndarray of str
        Column names, when fitted on a DataFrame with string column names.
    history_ : dict of lists
        Per epoch: ``epoch``, ``train_loss``, ``val_loss`` (NaN without validation),
        ``learning_rate`` and elapsed ``time`` in seconds.
    network_ : torch.nn.Module
        The trained network, with ``encode`` and ``decode`` methods.
    image_shape_ : tuple of int or None
        ``(C, H, W)`` of the images a conv model works on; ``None`` for dense.
    scaling_ : aekit.scaling.Scaling
        How raw data maps to the network's space.
    loss_ : str
        The loss actually used.
    training_time_ : float
        Seconds spent in the training loop.

    See Also
    --------
    VariationalAutoencoder : the same estimator with a Gaussian bottleneck.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> import aekit
    >>> X = load_digits().data / 16
    >>> ae = aekit.Autoencoder(latent_dim=8, epochs=5, random_state=0).fit(X)
    >>> ae.transform(X[:3]).shape
    (3, 8)
    >>> ae.inverse_transform(ae.transform(X[:3])).shape
    (3, 64)
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "architecture": [StrOptions({"dense", "conv"})],
        "hidden_dims": [None, tuple, list],
        "image_shape": [None, tuple, list],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "loss": [StrOptions({"auto", "mse", "bce"})],
        "noise": [Interval(Real, 0, None, closed="left")],
        "noise_type": [StrOptions(set(NOISE_TYPES))],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "sparsity_target": [None, Interval(Real, 0, 1, closed="neither")],
        "contractive": [Interval(Real, 0, None, closed="left")],
        "handle_missing": [StrOptions({"error", "impute"})],
        **TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        latent_dim: int = 32,
        *,
        architecture: str = "dense",
        hidden_dims: tuple[int, ...] | None = None,
        image_shape: tuple[int, ...] | None = None,
        activation: str = "silu",
        loss: str = "auto",
        noise: float = 0.0,
        noise_type: str = "gaussian",
        sparsity: float = 0.0,
        sparsity_target: float | None = None,
        contractive: float = 0.0,
        handle_missing: str = "error",
        epochs: int = 100,
        batch_size: int = 256,
        learning_rate: float = 5e-3,
        max_time: float | None = None,
        validation_fraction: float = 0.1,
        patience: int = 10,
        random_state: int | np.random.RandomState | None = None,
        device: str = "auto",
        precision: str = "fp32",
        checkpoint_dir: str | None = None,
        resume: bool = False,
        on_divergence: str = "raise",
        verbose: bool = False,
    ):
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.image_shape = image_shape
        self.activation = activation
        self.loss = loss
        self.noise = noise
        self.noise_type = noise_type
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.contractive = contractive
        self.handle_missing = handle_missing
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_time = max_time
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.precision = precision
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.on_divergence = on_divergence
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> Autoencoder:
        """Train the autoencoder on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or image arrays
            Training data; a DataFrame's column names are remembered. A memory-mapped
            float array (``np.load(path, mmap_mode="r")``) stays on disk: statistics
            are taken a block at a time, batches are read as training needs them
            (neighbouring rows, windows in random order) and at most 50,000
            validation rows are read into memory.
        y : ignored

        Returns
        -------
        self : Autoencoder
        """
        start = time.perf_counter()  # max_time covers all of fit, preparation included
        # Input checks set n_features_in_ and feature_names_in_ as they go; if they
        # reject the input, put the previous fit back so a failed refit loses nothing.
        previous = {k: v for k, v in vars(self).items() if k.endswith("_")}
        try:
            self._validate_params()
            self._check_settings()
            table = self._fit_table(X)
            streamed = table is None and isinstance(X, np.memmap)
            if table is None:
                X, sample_shape = self._check_input(X, reset=True)
            else:  # already standardised and one-hot encoded
                X, sample_shape = table.transform(X), None
            device = resolve_device(self.device)
            hidden = self._check_hidden_dims()
            image_shape = None
            if self.architecture == "conv":
                image_shape = self._resolve_image_shape(sample_shape, X.shape[1])
            if table is None:
                scaling = Scaling.fit(X, per_feature=self.architecture == "dense")
            else:
                scaling = Scaling("standard", np.zeros(1), np.ones(1))
            if self.loss == "bce" and scaling.mode != "unit":
                raise ValueError(
                    "loss='bce' needs data in [0, 1]; these data range over "
                    f"[{X.min():.4g}, {X.max():.4g}]. Use loss='mse' or 'auto'."
                )
        except Exception:
            for key in [k for k in vars(self) if k.endswith("_")]:
                delattr(self, key)
            vars(self).update(previous)
            raise
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        self.image_shape_, self.input_shape_, self.scaling_ = image_shape, sample_shape, scaling
        self.table_ = table
        self.loss_ = "table" if table is not None else self._resolve_loss(scaling)

        if streamed:  # rows stay on disk; batches are read as training needs them
            data = MappedRows(X, scaling)
        else:
            data = _to_tensor(scaling.transform(X))
        train_x, val_x = self._split(data, rng)
        train_x = train_x.to(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.network_ = build_network(self.architecture, **self._network_config(X, hidden))
        if scaling.mode == "unit":
            # Start from the mean image rather than from sigmoid(0) = 0.5 everywhere:
            # a consistent ~1 % lower test MSE on Fashion-MNIST within a 60 s budget.
            mean = torch.from_numpy(X.mean(axis=0, dtype=np.float32))  # an init: f32 will do
            self.network_.init_output_bias(torch.logit(mean.clamp(1e-3, 1 - 1e-3)))
        self.network_.to(device)
        budget = self.max_time
        if budget is not None:
            budget -= time.perf_counter() - start
        settings = TrainSettings.of(self, budget)
        noise_range = {}
        if scaling.mode != "unit" and self.noise_type == "salt_pepper" and self.noise > 0:
            # Salt and pepper are the data's extremes in network space (0 and 1 for unit data).
            low, high = _column_range(train_x)
            noise_range = {"noise_low": low, "noise_high": high}
        objective = self._objective(
            generator=torch.Generator(device=device).manual_seed(seed + 1),  # not the shuffle's
            **noise_range,
        )
        train_estimator(
            self,
            self.network_,
            objective,
            train_x,
            None if val_x is None else val_x.to(device),
            settings=settings,
            generator=torch.Generator().manual_seed(seed),
            batches=local_batches() if streamed else shuffled_batches,
        )
        return self

    def _split(self, data: torch.Tensor | MappedRows, rng: np.random.RandomState):
        n_val = int(math.floor(self.validation_fraction * len(data)))
        if n_val < 1 or len(data) - n_val < 1:
            return data, None
        order = torch.from_numpy(rng.permutation(len(data)))
        if isinstance(data, MappedRows):  # the validation rows are read into memory
            held = order[: min(n_val, _MAX_STREAMED_VALIDATION)]
            return data.subset(order[n_val:].numpy()), data[held]
        return data[order[n_val:]], data[order[:n_val]]

    # ------------------------------------------------------------------ variants
    # A subclass (VariationalAutoencoder) changes these, and nothing else.
    def _check_settings(self) -> None:
        """Checks that span several parameters (the constraints table checks each)."""
        check_noise(self.noise, self.noise_type)
        check_resume(self.checkpoint_dir, self.resume)
        if self.sparsity_target is not None and self.sparsity == 0:
            raise ValueError(
                "sparsity_target needs sparsity > 0, the weight of its KL penalty "
                "(try sparsity=1e-3)."
            )

    def _fit_table(self, X: Any) -> TableEncoding | None:
        """The column encoding of a mixed-type DataFrame, or None for numeric data."""
        handle_missing = getattr(self, "handle_missing", "error")
        if not is_mixed(X, handle_missing):
            return None
        if self._bottleneck() == "gaussian":
            raise ValueError(
                f"{type(self).__name__} does not model categorical columns or gaps yet; "
                "use Autoencoder, or encode the columns as numbers first."
            )
        if self.architecture != "dense" or self.loss == "bce":
            raise ValueError(
                "a table with categorical columns (or handle_missing='impute') needs "
                "architecture='dense' and loss='auto' or 'mse'."
            )
        table = TableEncoding.fit(X, handle_missing)
        self.n_features_in_ = len(table.columns)
        self.feature_names_in_ = np.asarray(table.names, dtype=object)
        return table

    def _bottleneck(self) -> str:
        return "deterministic" if self.sparsity_target is None else "sigmoid"

    def _resolve_loss(self, scaling: Scaling) -> str:
        return "mse" if self.loss == "auto" else self.loss

    def _objective(self, **fit_only: Any) -> Objective:
        """The loss and the code of this model; ``fit_only``: noise range and generator."""
        return Objective(
            latent_dim=self.latent_dim,
            loss=self.loss_,
            unit=self.scaling_.mode == "unit",
            bottleneck=self._bottleneck(),
            noise=self.noise,
            noise_type=self.noise_type,
            sparsity=self.sparsity,
            contractive=self.contractive,
            **self._variant_settings(),
            **self._table_layout(),
            **fit_only,
        )

    def _variant_settings(self) -> dict[str, Any]:
        """Objective settings that only this class has."""
        return {"sparsity_target": self.sparsity_target}

    def _table_layout(self) -> dict[str, Any]:
        if getattr(self, "table_", None) is None:
            return {}
        numeric, groups = self.table_.slices()
        return {"numeric": numeric, "groups": groups}

    # ------------------------------------------------------------------ helpers
    def _network_config(self, X: np.ndarray, hidden: tuple[int, ...] | None) -> dict[str, Any]:
        config = {
            "latent_dim": self.latent_dim,
            "activation": self.activation,
            "code_params": BOTTLENECKS[self._bottleneck()],
        }
        if hidden is not None:
            config["hidden_dims"] = hidden
        if self.architecture == "conv":
            return {**config, "image_shape": self.image_shape_}
        return {**config, "n_features": X.shape[1]}

    def _check_hidden_dims(self) -> tuple[int, ...] | None:
        if self.hidden_dims is None:
            return None  # the network's own default (see its config)
        dims = tuple(self.hidden_dims)
        if not all(isinstance(d, Integral) and not isinstance(d, bool) and d >= 1 for d in dims):
            raise ValueError(
                f"hidden_dims must be a tuple of positive ints; got {self.hidden_dims!r}."
            )
        return tuple(int(d) for d in dims)

    def _resolve_image_shape(self, sample_shape: tuple[int, ...] | None, n_features: int):
        shape = self.image_shape if self.image_shape is not None else sample_shape
        if shape is None:
            side = math.isqrt(n_features)
            if side * side != n_features:
                raise ValueError(
                    f"architecture='conv' needs image_shape=(H, W) or (C, H, W): {n_features} "
                    "features are not a square image. Pass image_shape or image arrays."
                )
            shape = (side, side)
        if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in shape):
            raise ValueError(f"image_shape must hold ints; got {shape!r}.")
        shape = tuple(int(s) for s in shape)
        if len(shape) == 2:
            shape = (1, *shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(
                f"image_shape must be (H, W) or (C, H, W) of positive ints; got {shape}."
            )
        if math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape {shape} holds {math.prod(shape)} values but X has "
                f"{n_features} features."
            )
        return shape

    # ------------------------------------------------------------------ inference
    def _check_input(self, X: Any, *, reset: bool) -> tuple[np.ndarray, tuple[int, ...] | None]:
        """Validate ``X``; image arrays (ndim > 2) are flattened and their shape returned."""
        if getattr(self, "table_", None) is not None and not reset:
            return self.table_.transform(X), None
        sample_shape = None
        if not hasattr(X, "columns") and getattr(X, "ndim", 2) > 2:
            X = np.asarray(X)
            sample_shape = tuple(X.shape[1:])
            X = X.reshape(len(X), -1)
        X = validate_data(self, X, reset=reset, dtype=[np.float32, np.float64])
        # One pass each for the extremes, no array-sized temporary (validate_data has
        # ruled out NaN); float32 input cannot hold such values anyway.
        peak = max(float(X.max()), -float(X.min())) if X.dtype == np.float64 and X.size else 0.0
        if peak > _FLOAT32_MAX:
            raise ValueError(
                f"X has values up to {peak:.3g}, beyond float32 ({_FLOAT32_MAX:.3g}), in "
                "which the network computes: rescale the data."
            )
        return X, sample_shape

    def _map(self, fn, X: np.ndarray) -> np.ndarray:
        """Apply ``fn`` to float32 rows of ``X`` in batches on the model's device."""
        device = next(self.network_.parameters()).device
        self.network_.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(X), _INFERENCE_BATCH):
                xb = _to_tensor(X[start : start + _INFERENCE_BATCH])
                out.append(fn(xb.to(device)).cpu().numpy())
        return np.concatenate(out) if out else np.empty((0, 0), np.float32)

    def transform(self, X: Any) -> np.ndarray:
        """Encode ``X`` into codes of shape (n_samples, latent_dim).

        Float32 input gives float32 codes; anything else gives float64.
        """
        check_is_fitted(self)
        objective = self._objective()

        def encode(block: Any) -> np.ndarray:
            X, _ = self._check_input(block, reset=False)
            Z = self._map(
                lambda xb: objective.encode(self.network_, xb), self.scaling_.transform(X)
            )
            return Z.astype(_out_dtype(X), copy=False)

        return _blockwise(encode, X)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Decode codes back to data in the original units and shape."""
        check_is_fitted(self)
        objective = self._objective()

        def decode(block: Any) -> Any:
            Z = check_array(block, dtype=[np.float32, np.float64])
            if Z.shape[1] != self.latent_dim:
                raise ValueError(
                    f"codes have {Z.shape[1]} columns but this autoencoder's latent_dim is "
                    f"{self.latent_dim}."
                )
            out = self._map(
                lambda z: objective.output(self.network_.decode(z)), Z.astype(np.float32)
            )
            if self.table_ is not None:
                return self.table_.inverse_transform(out)
            X = self.scaling_.inverse_transform(out, dtype=_out_dtype(Z))
            if self.input_shape_ is not None:
                X = X.reshape(len(X), *self.input_shape_)
            return X

        return _blockwise(decode, Z)

    def reconstruction_error(self, X: Any, *, window: int = 1) -> np.ndarray:
        """Mean squared reconstruction error of each sample, shape (n_samples,).

        Measured where the network works: on the data itself when it lies in [0, 1],
        else on standardised data, so every feature counts alike. A variational model
        reconstructs from the posterior mean.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or images
            Data in the layout the model was fitted on.
        window : int, default=1
            For images: the residual ``x - x_hat`` is averaged over ``window x window``
            neighbourhoods before it is squared. 1 is the per-pixel error; 3 or 5 let
            pixel-scale texture, which no reconstruction gets exactly right, cancel out,
            so misfits of shape weigh most (the better outlier score on pictures of
            objects; see :class:`aekit.AnomalyDetector`).
        """
        if isinstance(window, bool) or not isinstance(window, Integral) or window < 1:
            raise ValueError(f"window must be a positive int; got {window!r}.")
        if window == 1:
            return self._per_sample(X, "reconstruction_error")
        grid = self._pixel_grid()
        if grid is None:
            raise ValueError(
                f"window={window} averages the error over neighbouring pixels, but this "
                "model's data are not images (no image shape, not a square number of "
                "features). Use window=1."
            )
        if window > min(grid[1:]):
            raise ValueError(f"window={window} is larger than the {grid[1]}x{grid[2]} images.")
        return self._per_sample(X, "reconstruction_error", window=int(window), image_shape=grid)

    def _pixel_grid(self) -> tuple[int, int, int] | None:
        """``(C, H, W)`` behind each row, or None for non-image data.

        Known for a conv model and for image arrays (3-D samples read as ``(C, H, W)``,
        as the conv network reads them); otherwise a square number of features is a
        grey image, the rule ``architecture="conv"`` follows.
        """
        check_is_fitted(self)
        if self.table_ is not None:
            return None
        if self.image_shape_ is not None:
            return tuple(self.image_shape_)
        shape = self.input_shape_
        if shape is not None:
            return (1, *shape) if len(shape) == 2 else tuple(shape) if len(shape) == 3 else None
        side = math.isqrt(self.n_features_in_)
        return (1, side, side) if side * side == self.n_features_in_ else None

    def score_samples(self, X: Any) -> np.ndarray:
        """Negative :meth:`reconstruction_error` of each sample (higher is better)."""
        return -self.reconstruction_error(X)

    def _per_sample(self, X: Any, measure: str, **options: Any) -> np.ndarray:
        """One float64 per sample of ``X``: the objective's ``measure`` (a method name)."""
        check_is_fitted(self)
        fn = getattr(self._objective(), measure)

        def measure_block(block: Any) -> np.ndarray:
            X, _ = self._check_input(block, reset=False)
            per_sample = self._map(
                lambda xb: fn(self.network_, xb, **options), self.scaling_.transform(X)
            )
            return per_sample.astype(np.float64)

        return _blockwise(measure_block, X)

    def sample(self, n_samples: int = 1, random_state: Any = None) -> np.ndarray:
        """Not available: a plain autoencoder has no prior over its codes to draw from.

        Raises ``ValueError``; :class:`VariationalAutoencoder` samples.
        """
        raise ValueError(
            f"{type(self).__name__} cannot sample: its code space has no prior to draw "
            "from. Train a VariationalAutoencoder (CLI: --model vae) to generate data."
        )

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` over ``X`` (higher is better): the negative mean
        reconstruction error, or a VAE's mean ELBO."""
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self) -> int:
        return self.latent_dim

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.non_deterministic = self.max_time is not None
        return tags

    # ------------------------------------------------------------------ files
    def save(self, path: str) -> None:
        """Write the fitted model to one safetensors file (no pickle); see :func:`aekit.load`."""
        from .model_file import save

        save(self, path)

    def _file_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """JSON-ready fitted state and the tensors that go with it."""
        check_is_fitted(self)
        state = {
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (
                [str(c) for c in self.feature_names_in_]
                if hasattr(self, "feature_names_in_")
                else None
            ),
            "input_shape": self.input_shape_,
            "image_shape": self.image_shape_,
            "network": network_spec(self.network_),
            "scaling_mode": self.scaling_.mode,
            "table": None if self.table_ is None else self.table_.to_dict(),
            "loss": self.loss_,
            "history": self.history_,
            "training_time": self.training_time_,
        }
        tensors = {f"network.{k}": v for k, v in self.network_.state_dict().items()}
        tensors["scaling.mean"] = torch.from_numpy(self.scaling_.mean)
        tensors["scaling.scale"] = torch.from_numpy(self.scaling_.scale)
        return state, tensors

    def _load_file_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.n_features_in_ = state["n_features_in"]
        if state["feature_names_in"] is not None:
            self.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        self.input_shape_ = None if state["input_shape"] is None else tuple(state["input_shape"])
        self.image_shape_ = None if state["image_shape"] is None else tuple(state["image_shape"])
        self.scaling_ = Scaling(
            state["scaling_mode"], tensors["scaling.mean"].numpy(), tensors["scaling.scale"].numpy()
        )
        table = state.get("table")
        self.table_ = None if table is None else TableEncoding.from_dict(table)
        self.loss_ = state["loss"]
        self.history_ = state["history"]
        self.training_time_ = state["training_time"]
        self.network_ = restore_network(state["network"], tensors, self.device)


def _blockwise(fn: Any, X: Any) -> Any:
    """``fn`` over blocks of rows of ``X``, joined: a memory-mapped array is read a block
    at a time instead of being copied (and converted) whole."""
    from .streaming import row_blocks

    parts = [fn(block) for block in row_blocks(X)]
    if len(parts) == 1:
        return parts[0]
    if hasattr(parts[0], "columns"):
        import pandas as pd

        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)


def _column_range(rows: torch.Tensor | MappedRows) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature minimum and maximum of training rows, in blocks when they are on disk."""
    if isinstance(rows, torch.Tensor):
        return rows.amin(dim=0), rows.amax(dim=0)
    step = 65_536
    parts = [rows[start : start + step] for start in range(0, len(rows), step)]
    low = torch.stack([p.amin(dim=0) for p in parts]).amin(dim=0)
    return low, torch.stack([p.amax(dim=0) for p in parts]).amax(dim=0)


def _to_tensor(X: np.ndarray) -> torch.Tensor:
    # from_numpy shares memory; a read-only array (a memmap, say) must be copied first.
    X = np.ascontiguousarray(X, dtype=np.float32)
    return torch.from_numpy(X if X.flags.writeable else X.copy())


def _out_dtype(X: np.ndarray) -> type:
    return np.float32 if X.dtype == np.float32 else np.float64
