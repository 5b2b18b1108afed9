"""``aekit.Autoencoder``: a scikit-learn transformer backed by a PyTorch autoencoder."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..estimator import NeuralEstimator
from ..networks import ACTIVATIONS, NETWORKS, build_network, config_fields
from ..objective import Objective
from ..objective.bottleneck import BOTTLENECKS
from ..objective.corruption import NOISE_TYPES, Corruption, check_noise
from ..objective.penalties import Contractive, KLSparsity, L1Activity
from ..objective.reconstruction import BCE, MSE, LogMSE
from ..params import LATENT_DIM, TRAINING, WARM_START, Param, parameters
from ..saving.model_file import register_estimator
from .input import ArrayInput, blockwise, column_reduce, out_dtype
from .layout import image_shape_of
from .streaming import MappedRows, local_batches
from .tables import TableLoss

# Rows of a memory-mapped training set held out for validation are read into memory.
_MAX_STREAMED_VALIDATION = 50_000
_FLOAT = Interval(Real, 0, None, closed="left")

# ---------------------------------------------------------------- parameters
NETWORK = (
    Param(
        "architecture",
        "dense",
        [str],
        "str",
        'A registered network: "dense" (a multilayer perceptron), "conv" (strided '
        "convolutions for images, given as flat rows plus image_shape or as arrays of "
        "shape (n, H, W) or (n, C, H, W)), or one of your own "
        "(aekit.register_network).",
        None,
        str,
    ),
    Param(
        "hidden_dims",
        None,
        [None, tuple, list],
        "tuple of int",
        "Encoder widths (dense) or channels per stride-2 stage (conv); the decoder "
        "mirrors them. None means the network's own default: (512,) for dense and "
        "(32, 64) for conv.",
        {"type": int, "nargs": "+", "metavar": "N"},
        tuple[int, ...] | None,
    ),
    Param(
        "image_shape",
        None,
        [None, tuple, list],
        "tuple of int",
        "(H, W) or (C, H, W) of the images behind flat rows, for a network that reads "
        "images (conv). None takes it from image arrays, or, for flat rows whose width is "
        "a perfect square, assumes square grey images.",
        {"type": int, "nargs": "+", "metavar": "N", "help": "H W or C H W"},
        tuple[int, ...] | None,
    ),
    Param(
        "channels_first",
        False,
        ["boolean"],
        "bool",
        "Image arrays (n, H, W, C) are channels-last when their last axis is 1, 3 or 4, as "
        "numpy, PIL and matplotlib hold them; True reads 3-D samples as (C, H, W) instead. "
        "A 3-D sample shape that fits neither is an error naming this setting.",
        {"action": "store_true", "help": "image arrays are (n, C, H, W)"},
        bool,
    ),
    Param(
        "activation",
        "silu",
        [StrOptions(set(ACTIVATIONS))],
        "str",
        "Hidden-layer activation: relu, leaky_relu, elu, gelu, silu, tanh or sigmoid.",
        None,
        str,
    ),
    Param(
        "loss",
        "auto",
        [StrOptions({"auto", "mse", "psnr", "bce"})],
        '{"auto", "mse", "psnr", "bce"}',
        "Reconstruction loss. Data in [0, 1] is modelled with a sigmoid output, other "
        'data is standardised first; "auto" uses mean squared error in both cases (a '
        'VAE: binary cross-entropy for data in [0, 1]; ImageAutoencoder: "psnr"). '
        '"psnr" averages each sample\'s log squared error, which maximises the mean '
        'PSNR (not for a VAE). "bce" needs data in [0, 1].',
        None,
        str,
    ),
)
CORRUPTION = (
    Param(
        "noise",
        0.0,
        [_FLOAT],
        "float",
        "Corruption level while training (a denoising autoencoder); 0 turns it off. "
        "Applied where the network works: to the data itself when it lies in [0, 1], else "
        "to standardised data. transform always sees the data as given, so "
        "inverse_transform(transform(noisy)) denoises.",
        {"type": float, "help": "denoising: corruption level while training"},
        float,
    ),
    Param(
        "noise_type",
        "gaussian",
        [StrOptions(set(NOISE_TYPES))],
        '{"gaussian", "masking", "salt_pepper"}',
        '"gaussian": add noise of standard deviation noise (clipped to [0, 1] for data in '
        '[0, 1]); "masking": zero a noise fraction of the inputs (the feature mean for '
        'standardised data); "salt_pepper": set a noise fraction to the feature\'s minimum '
        "or maximum.",
        {"choices": list(NOISE_TYPES)},
        str,
    ),
)
SPARSITY = Param(
    "sparsity",
    0.0,
    [_FLOAT],
    "float",
    "Weight of the sparsity penalty: sparsity * mean_i sum_j |z_ij| (L1 on the "
    "code), or, with sparsity_target, the weight of the KL form.",
    {"type": float, "help": "weight of the L1 (or KL) code penalty"},
    float,
)
SPARSITY_TARGET = Param(
    "sparsity_target",
    None,
    [None, Interval(Real, 0, 1, closed="neither")],
    "float in (0, 1)",
    "Target mean activation rho of sigmoid code units: the code becomes sigmoid(h) and the "
    "penalty is sum_j KL(rho || mean_i z_ij). Needs sparsity > 0.",
    {"type": float, "help": "target mean activation (KL form)"},
    float | None,
)
CONTRACTIVE = Param(
    "contractive",
    0.0,
    [_FLOAT],
    "float",
    "Weight of the contractive penalty mean_i ||dz_i/dx_i||_F^2 (exact: closed "
    "form for a dense encoder of one hidden layer, batched autograd "
    "otherwise).",
    {"type": float, "help": "weight of the Jacobian penalty"},
    float,
)
HANDLE_MISSING = Param(
    "handle_missing",
    "error",
    [StrOptions({"error", "impute"})],
    '{"error", "impute"}',
    "Missing values in a DataFrame: an error, or imputed (numeric: the column mean, plus an "
    'indicator input per column with gaps at fit; categorical: the "unknown" category).',
    None,
    str,
)


@register_estimator
class Autoencoder(NeuralEstimator):
    """Non-linear dimensionality reduction with an autoencoder, used like PCA.

    ``fit`` learns an encoder ``x -> z`` and a decoder ``z -> x``; ``transform``
    returns the code ``z`` (``latent_dim`` columns) and ``inverse_transform`` the
    reconstruction in the original units.

    Parameters
    ----------
    {parameters}

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
    input_ : aekit.arrays.input.ArrayInput
        How raw data maps to the network's rows and back (``scaling_``, ``table_``,
        ``input_shape_`` and ``image_shape_`` are its parts).
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

    _parameters = parameters(LATENT_DIM, NETWORK, CORRUPTION, SPARSITY, SPARSITY_TARGET,
                             CONTRACTIVE, HANDLE_MISSING, TRAINING, WARM_START)  # fmt: skip
    _no_prior = (
        "Autoencoder cannot sample: its code space has no prior to draw from. Train a "
        "VariationalAutoencoder (CLI: --model vae) to generate data."
    )

    # ------------------------------------------------------------------ fit steps
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
        return super().fit(X)

    def _check_settings(self) -> None:
        super()._check_settings()
        check_noise(self.noise, self.noise_type)
        if self.loss == "psnr" and self.has_prior:
            raise ValueError(
                "loss='psnr' is not a likelihood, which a variational model's ELBO needs: "
                "use loss='auto', 'mse' or 'bce'."
            )
        if getattr(self, "sparsity_target", None) is not None and self.sparsity == 0:
            raise ValueError(
                "sparsity_target needs sparsity > 0, the weight of its KL penalty "
                "(try sparsity=1e-3)."
            )
        if self.architecture not in NETWORKS:
            raise ValueError(
                f"architecture={self.architecture!r} is not a registered network; registered: "
                f"{', '.join(sorted(NETWORKS))} (aekit.register_network adds your own)."
            )
        if self.hidden_dims is not None:
            dims = tuple(self.hidden_dims)
            if not all(
                isinstance(d, Integral) and not isinstance(d, bool) and d >= 1 for d in dims
            ):
                raise ValueError(
                    f"hidden_dims must be a tuple of positive ints; got {self.hidden_dims!r}."
                )

    def _fit_input(self, X: Any) -> torch.Tensor | MappedRows:
        images = "image_shape" in config_fields(self.architecture)
        self.input_, rows = ArrayInput.fit(
            self, X, images=images, image_shape=self.image_shape,
            channels_first=self.channels_first,
            handle_missing=getattr(self, "handle_missing", "error"),
            table_allowed=self._table_refusal(), unit_only=self.loss == "bce",
        )  # fmt: skip
        self.loss_ = self._resolve_loss()
        return rows

    def _table_refusal(self) -> str | None:
        """Why a table with categorical columns cannot be modelled here, or None."""
        if self.architecture != "dense" or self.loss == "bce":
            return (
                "a table with categorical columns (or handle_missing='impute') needs "
                "architecture='dense' and loss='auto' or 'mse'."
            )
        return None

    def _resolve_loss(self) -> str:
        if self.table_ is not None:
            return "table"
        return "mse" if self.loss == "auto" else self.loss

    def _take(self, rows: Any, index: torch.Tensor, validation: bool = False) -> Any:
        if not isinstance(rows, MappedRows):
            return rows[index]
        if validation:  # the validation rows are read into memory
            return rows[index[:_MAX_STREAMED_VALIDATION]]
        return rows.subset(index.numpy())

    def _build_network(self) -> torch.nn.Module:
        return build_network(self.architecture, **self._network_config())

    def _network_config(self) -> dict[str, Any]:
        """The network's config fields this estimator fills (see aekit.networks)."""
        config = {
            "latent_dim": self.latent_dim,
            "activation": self.activation,
            "code_params": BOTTLENECKS[self._bottleneck()].code_params,
            "n_features": self.n_features_in_ if self.table_ is None else self.table_.width,
            "image_shape": self.image_shape_,
        }
        if self.hidden_dims is not None:  # else the network's own default (see its config)
            config["hidden_dims"] = tuple(int(d) for d in self.hidden_dims)
        return config

    def _init_network(self, train_x: Any) -> None:
        if self.scaling_.mode == "unit" and hasattr(self.network_, "init_output_bias"):
            # Start from the mean image rather than from sigmoid(0) = 0.5 everywhere:
            # a consistent ~1 % lower test MSE on Fashion-MNIST within a 60 s budget.
            mean = column_reduce(train_x, "mean")
            self.network_.init_output_bias(torch.logit(mean.clamp(1e-3, 1 - 1e-3)))

    def _fit_objective(self, train_x: Any) -> dict[str, Any]:
        if self.scaling_.mode == "unit" or self.noise_type != "salt_pepper" or self.noise == 0:
            return {}
        # Salt and pepper are the data's extremes in network space (0 and 1 for unit data).
        return {"noise_range": (column_reduce(train_x, "amin"), column_reduce(train_x, "amax"))}

    def _batch_plan(self, train_x: Any) -> Any:
        return local_batches() if isinstance(train_x, MappedRows) else super()._batch_plan(train_x)

    # ------------------------------------------------------------------ the five axes
    def _bottleneck(self) -> str:
        return "deterministic" if getattr(self, "sparsity_target", None) is None else "sigmoid"

    def _penalties(self) -> list[Any]:
        """The penalty axis, in the order the terms are added."""
        out: list[Any] = []
        target = getattr(self, "sparsity_target", None)
        if self.sparsity > 0:
            out.append(
                L1Activity(self.sparsity) if target is None else KLSparsity(self.sparsity, target)
            )
        if self.contractive > 0:
            out.append(Contractive(self.contractive))
        return out

    def _objective(self, generator: Any = None, noise_range: Any = (0.0, 1.0)) -> Objective:
        """The loss and the code of this model; ``generator`` and ``noise_range`` for training."""
        unit = self.scaling_.mode == "unit"
        if self.loss_ == "table":
            reconstruction = TableLoss(*self.table_.slices())
        else:
            losses = {"bce": BCE, "psnr": LogMSE}
            reconstruction = losses.get(self.loss_, MSE)(unit=unit)
        corruption = None
        if self.noise > 0:
            corruption = Corruption(self.noise_type, self.noise, *noise_range, clip=unit)
        return Objective(
            latent_dim=self.latent_dim,
            reconstruction=reconstruction,
            bottleneck=BOTTLENECKS[self._bottleneck()](),
            corruption=corruption,
            penalties=tuple(self._penalties()),
            generator=generator,
        )

    # ------------------------------------------------------------------ fitted parts
    scaling_ = property(lambda self: self.input_.scaling, doc="How raw data maps to network space.")
    table_ = property(lambda self: self.input_.table, doc="The column encoding of a mixed table.")
    input_shape_ = property(lambda self: self.input_.input_shape, doc="Each sample's shape.")
    image_shape_ = property(lambda self: self.input_.image_shape, doc="(C, H, W) for images.")

    # ------------------------------------------------------------------ inference
    def transform(self, X: Any) -> np.ndarray:
        """Encode ``X`` into codes of shape (n_samples, latent_dim).

        Float32 input gives float32 codes; anything else gives float64.
        """
        check_is_fitted(self)
        objective = self._objective()

        def encode(block: Any) -> np.ndarray:
            X = self.input_.check(self, block)
            Z = self._map(
                lambda xb: objective.encode(self.network_, xb), self.scaling_.transform(X)
            )
            return Z.astype(out_dtype(X), copy=False)

        return blockwise(encode, X)

    def inverse_transform(self, Z: Any) -> Any:
        """Decode codes back to data in the original units and shape."""
        check_is_fitted(self)
        objective = self._objective()

        def decode(block: Any) -> Any:
            Z = self._codes(block)
            out = self._map(
                lambda z: objective.output(self.network_.decode(z)), Z.astype(np.float32)
            )
            return self.input_.restore(out, out_dtype(Z))

        return blockwise(decode, Z)

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
        """``(C, H, W)`` behind each row, or None for non-image data (see aekit.arrays.layout)."""
        check_is_fitted(self)
        return self.input_.pixel_grid(self.n_features_in_)

    def _outlier_window(self, window: str | int) -> int:
        """ "auto": 3 for pictures of at least 8x8 in [0, 1], whose pixel-scale texture no
        reconstruction gets right (averaging it out lets misfits of shape count), else 1."""
        if window != "auto":
            return int(window)
        grid = self._pixel_grid()
        pictures = grid is not None and min(grid[1:]) >= 8 and self.scaling_.mode == "unit"
        return 3 if pictures else 1

    def _outlier_scores(self, X: Any, window: int) -> np.ndarray:
        """Negative reconstruction error, averaged over ``window`` pixels first (a VAE's
        too, from its posterior mean: its ELBO ranks simple images as typical)."""
        if window > 1:
            return -self.reconstruction_error(X, window=window)
        return -self.reconstruction_error(X)

    def _picture_shape(self) -> tuple[int, ...] | None:
        """Pictures: fitted on image arrays or with ``image_shape``, or flat rows of a
        square number (8x8 or more) of features; never a table (see aekit.arrays.layout)."""
        if not hasattr(self, "input_") or self.table_ is not None:
            return None
        if self.input_shape_ is None and self.image_shape_ is None and self.n_features_in_ < 64:
            return None
        return image_shape_of(self)

    def score_samples(self, X: Any) -> np.ndarray:
        """Negative :meth:`reconstruction_error` of each sample (higher is better)."""
        return -self.reconstruction_error(X)

    def _per_sample(self, X: Any, measure: str, **options: Any) -> np.ndarray:
        """One float64 per sample of ``X``: the objective's ``measure`` (a method name)."""
        check_is_fitted(self)
        fn = getattr(self._objective(), measure)

        def measure_block(block: Any) -> np.ndarray:
            rows = self.scaling_.transform(self.input_.check(self, block))
            return self._map(lambda xb: fn(self.network_, xb, **options), rows).astype(np.float64)

        return blockwise(measure_block, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------------ files
    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        state, tensors = self.input_.to_state()
        names = getattr(self, "feature_names_in_", None)
        state.update({
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": None if names is None else [str(c) for c in names],
            "loss": self.loss_,
        })  # fmt: skip
        return state, tensors

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        self.n_features_in_ = state["n_features_in"]
        if state["feature_names_in"] is not None:
            self.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        self.input_ = ArrayInput.from_state(state, tensors)
        self.loss_ = state["loss"]
