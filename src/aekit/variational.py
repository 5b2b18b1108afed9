"""``aekit.VariationalAutoencoder``: the Autoencoder with a Gaussian bottleneck."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .autoencoder import Autoencoder
from .corruption import check_noise
from .scaling import Scaling
from .training import check_resume


class VariationalAutoencoder(Autoencoder):
    """A (beta-)variational autoencoder: a generative model that is also a transformer.

    The encoder gives a Gaussian posterior N(mu, sigma^2) per sample; training draws
    codes from it with the reparameterisation trick and maximises the evidence lower
    bound (ELBO) ``E[log p(x|z)] - beta * KL(q(z|x) || N(0, I))``. ``transform``
    returns the posterior mean, ``sample`` decodes draws from the prior and ``score``
    is the mean ELBO per sample.

    The likelihood is Bernoulli for data in [0, 1] (``loss="auto"`` or ``"bce"``) and
    a unit-variance Gaussian on standardised data otherwise (``loss="mse"``); lower
    ``beta`` trades a less regular code space for sharper reconstructions.

    Parameters
    ----------
    latent_dim : int, default=32
        Number of Gaussian code units.
    beta : float, default=1.0
        Weight of the KL term (beta-VAE); 1 gives the plain ELBO.
    kl_warmup : float in [0, 1], default=0.1
        Share of the training run over which the KL weight ramps linearly from 0 to
        ``beta``, so the decoder learns to use the code before the prior pulls it in
        (against posterior collapse). 0 turns the warm-up off.
    free_bits : float, default=0.0
        Nats of KL per code unit (batch mean) that training does not penalise, which
        keeps units from collapsing onto the prior. Validation and ``score`` use the
        plain ELBO.
    **others
        ``architecture``, ``hidden_dims``, ``image_shape``, ``activation``, ``loss``,
        ``noise``, ``noise_type``, ``sparsity`` (L1 on the posterior mean),
        ``contractive`` (on the posterior mean), ``epochs``, ``batch_size``,
        ``learning_rate``, ``max_time``, ``validation_fraction``, ``patience``,
        ``random_state``, ``device``, ``verbose``: as in :class:`Autoencoder`.

    Attributes
    ----------
    As in :class:`Autoencoder`; ``history_`` losses are negative ELBOs (with the
    warmed-up beta and free bits while training).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> import aekit
    >>> X = load_digits().data / 16
    >>> vae = aekit.VariationalAutoencoder(latent_dim=4, epochs=5, random_state=0).fit(X)
    >>> vae.transform(X[:3]).shape
    (3, 4)
    >>> vae.sample(2, random_state=0).shape
    (2, 64)
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **{k: v for k, v in Autoencoder._parameter_constraints.items() if k != "sparsity_target"},
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup": [Interval(Real, 0, 1, closed="both")],
        "free_bits": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        latent_dim: int = 32,
        *,
        beta: float = 1.0,
        kl_warmup: float = 0.1,
        free_bits: float = 0.0,
        architecture: str = "dense",
        hidden_dims: tuple[int, ...] | None = None,
        image_shape: tuple[int, ...] | None = None,
        activation: str = "silu",
        loss: str = "auto",
        noise: float = 0.0,
        noise_type: str = "gaussian",
        sparsity: float = 0.0,
        contractive: float = 0.0,
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
        self.beta = beta
        self.kl_warmup = kl_warmup
        self.free_bits = free_bits
        self.architecture = architecture
        self.hidden_dims = hidden_dims
        self.image_shape = image_shape
        self.activation = activation
        self.loss = loss
        self.noise = noise
        self.noise_type = noise_type
        self.sparsity = sparsity
        self.contractive = contractive
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

    # The hooks through which Autoencoder's fit, transform and scores become a VAE's.
    def _check_settings(self) -> None:
        check_noise(self.noise, self.noise_type)
        check_resume(self.checkpoint_dir, self.resume)

    def _bottleneck(self) -> str:
        return "gaussian"

    def _resolve_loss(self, scaling: Scaling) -> str:
        if self.loss == "auto":
            return "bce" if scaling.mode == "unit" else "mse"
        return self.loss

    def _variant_settings(self) -> dict[str, Any]:
        return {"beta": self.beta, "kl_warmup": self.kl_warmup, "free_bits": self.free_bits}

    # ------------------------------------------------------------------ generative side
    def sample(self, n_samples: int = 1, random_state: Any = None) -> np.ndarray:
        """Decode ``n_samples`` draws from the prior N(0, I) into data.

        Returns the decoder's mean (probabilities for data in [0, 1]) in the data's
        units and shape, as ``inverse_transform`` does.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
        rng = check_random_state(random_state)
        return self.inverse_transform(rng.standard_normal((int(n_samples), self.latent_dim)))

    def score_samples(self, X: Any) -> np.ndarray:
        """Evidence lower bound of each sample, in nats (higher is better).

        Computed in the network's space (the data itself when in [0, 1], else
        standardised), with a fixed set of posterior draws, so it is deterministic.
        """
        return self._per_sample(X, "elbo")
