"""The family's settings and steps for estimators whose rows go through a registered
network: ``Autoencoder`` (and ``ImageAutoencoder`` through it) and ``SeriesAutoencoder``.

Each takes the same network, corruption and penalty settings and turns them into the
same objects, here: the network from its config, the penalty axis in order, the
corruption, the code (sigmoid units for a sparsity target). The front end (what the
rows are) and the reconstruction loss are each estimator's own.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..estimator import NeuralEstimator
from ..networks import ACTIVATIONS, NETWORKS, build_network
from ..objective.bottleneck import BOTTLENECKS
from ..objective.corruption import NOISE_TYPES, Corruption, check_noise
from ..objective.penalties import Contractive, KLSparsity, L1Activity
from ..params import Param, one_of
from .input import column_reduce

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
    one_of(
        "loss",
        "auto",
        ("auto", "mse", "psnr", "bce"),
        "Reconstruction loss. Data in [0, 1] is modelled with a sigmoid output, other "
        'data is standardised first; "auto" uses mean squared error in both cases (a '
        'VAE: binary cross-entropy for data in [0, 1]; ImageAutoencoder: "psnr"). '
        '"psnr" averages each sample\'s log squared error, which maximises the mean '
        'PSNR (not for a VAE). "bce" needs data in [0, 1].',
        cli=False,
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
    one_of(
        "noise_type",
        "gaussian",
        NOISE_TYPES,
        '"gaussian": add noise of standard deviation noise (clipped to [0, 1] for data in '
        '[0, 1]); "masking": zero a noise fraction of the inputs (the feature mean for '
        'standardised data); "salt_pepper": set a noise fraction to the feature\'s minimum '
        "or maximum.",
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
# The denoising, sparse and contractive settings that FamilyEstimator's steps read, in
# the order every estimator of the family lists them.
REGULARISERS = (*CORRUPTION, SPARSITY, SPARSITY_TARGET, CONTRACTIVE)


class FamilyEstimator(NeuralEstimator):
    """Base class: the steps every estimator of a registered rows network shares."""

    def _check_settings(self) -> None:
        # First: a sparsity target hides the bottleneck asked for (see _bottleneck).
        if self.sparsity_target is not None and self.bottleneck != "deterministic":
            raise ValueError(
                f"sparsity_target makes the code sigmoid units, which bottleneck="
                f"{self.bottleneck!r} cannot be: use one or the other."
            )
        super()._check_settings()
        check_noise(self.noise, self.noise_type)
        if self.sparsity_target is not None and self.sparsity == 0:
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

    def _build_network(self) -> torch.nn.Module:
        return build_network(self.architecture, **self._network_config())

    def _network_config(self) -> dict[str, Any]:
        """The network's config fields this estimator fills (see aekit.networks); each
        estimator adds the shape of its rows."""
        config = {
            "latent_dim": self.latent_dim,
            "activation": self.activation,
            "code_params": BOTTLENECKS[self._bottleneck()].code_params,
        }
        if self.hidden_dims is not None:  # else the network's own default (see its config)
            config["hidden_dims"] = tuple(int(d) for d in self.hidden_dims)
        return config

    # ------------------------------------------------------------------ the axes
    def _bottleneck(self) -> str:
        return "sigmoid" if self.sparsity_target is not None else super()._bottleneck()

    def _penalties(self) -> list[Any]:
        """The penalty axis, in the order the terms are added (a Gaussian bottleneck's
        KL term comes with the bottleneck: see :class:`aekit.objective.Objective`)."""
        out: list[Any] = []
        if self.sparsity > 0:
            target = self.sparsity_target
            out.append(
                L1Activity(self.sparsity) if target is None else KLSparsity(self.sparsity, target)
            )
        if self.contractive > 0:
            out.append(Contractive(self.contractive))
        return out

    def _unit_rows(self) -> bool:
        """Whether the network's rows are data in [0, 1] (else standardised)."""
        return False

    def _fit_objective(self, train_x: Any) -> dict[str, Any]:
        if self._unit_rows() or self.noise_type != "salt_pepper" or self.noise == 0:
            return {}
        # Salt and pepper are the data's extremes in network space (0 and 1 for unit data).
        return {"noise_range": (column_reduce(train_x, "amin"), column_reduce(train_x, "amax"))}

    def _corruption(self, noise_range: Any) -> Corruption | None:
        """The corruption axis, between ``noise_range`` (the data's extremes in network
        space, for salt and pepper), clipped there for data in [0, 1]."""
        if self.noise == 0:
            return None
        return Corruption(self.noise_type, self.noise, *noise_range, clip=self._unit_rows())
