"""``aekit.VariationalAutoencoder``: the Autoencoder preset to a Gaussian bottleneck
(``Autoencoder(bottleneck="gaussian")`` is the same model)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..params import CODE, HANDLE_MISSING, LATENT_DIM, TRAINING, WARM_START, parameters
from ..saving.model_file import register_estimator
from .autoencoder import Autoencoder
from .family import NETWORK, REGULARISERS


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

    # A preset: Autoencoder's settings, with a Gaussian bottleneck by default.
    _parameters = parameters(LATENT_DIM, NETWORK, CODE, REGULARISERS, HANDLE_MISSING, TRAINING,
                             WARM_START, bottleneck="gaussian")  # fmt: skip

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
        return super().score_samples(X)
