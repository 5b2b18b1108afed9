"""``aekit.VariationalAutoencoder``: the Autoencoder with a Gaussian bottleneck."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval

from ..objective.penalties import PriorKL
from ..params import BETA, KL_WARMUP, LATENT_DIM, TRAINING, WARM_START, Param, parameters
from ..saving.model_file import register_estimator
from .autoencoder import CONTRACTIVE, CORRUPTION, NETWORK, SPARSITY, Autoencoder

FREE_BITS = Param(
    "free_bits", 0.0, [Interval(Real, 0, None, closed="left")], "float",
    "Nats of KL per code unit (batch mean) that training does not penalise, which keeps "
    "units from collapsing onto the prior. Validation and score use the plain ELBO.",
    {"type": float, "help": "vae: KL nats per unit left unpenalised"}, float)  # fmt: skip


@register_estimator
class VariationalAutoencoder(Autoencoder):
    """A (beta-)variational autoencoder: a generative model that is also a transformer.

    The encoder gives a Gaussian posterior N(mu, sigma^2) per sample; training draws
    codes from it with the reparameterisation trick and maximises the evidence lower
    bound (ELBO) ``E[log p(x|z)] - beta * KL(q(z|x) || N(0, I))``. ``transform``
    returns the posterior mean, ``sample`` decodes draws from the prior and ``score``
    is the mean ELBO per sample.

    The likelihood is Bernoulli for data in [0, 1] (``loss="auto"`` or ``"bce"``) and
    a unit-variance Gaussian on standardised data otherwise (``loss="mse"``); lower
    ``beta`` trades a less regular code space for sharper reconstructions. Sparsity and
    the contractive penalty act on the posterior mean.

    Parameters
    ----------
    {parameters}

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

    _parameters = parameters(LATENT_DIM, BETA, KL_WARMUP, FREE_BITS, NETWORK, CORRUPTION,
                             SPARSITY, CONTRACTIVE, TRAINING, WARM_START)  # fmt: skip

    # The hooks through which Autoencoder's fit, transform and scores become a VAE's.
    def _bottleneck(self) -> str:
        return "gaussian"

    def _table_refusal(self) -> str:
        return (
            f"{type(self).__name__} does not model categorical columns or gaps yet; "
            "use Autoencoder, or encode the columns as numbers first."
        )

    def _resolve_loss(self) -> str:
        if self.loss == "auto":
            return "bce" if self.scaling_.mode == "unit" else "mse"
        return self.loss

    def _penalties(self) -> list[Any]:
        return [PriorKL(self.beta, self.kl_warmup, self.free_bits), *super()._penalties()]

    def sample(self, n_samples: int = 1, random_state: Any = None) -> np.ndarray:
        """Decode ``n_samples`` draws from the prior N(0, I) into data.

        Returns the decoder's mean (probabilities for data in [0, 1]) in the data's
        units and shape, as ``inverse_transform`` does.
        """
        return super().sample(n_samples, random_state)

    def score_samples(self, X: Any) -> np.ndarray:
        """Evidence lower bound of each sample, in nats (higher is better).

        Computed in the network's space (the data itself when in [0, 1], else
        standardised), with a fixed set of posterior draws, so it is deterministic.
        """
        return self._per_sample(X, "elbo")
