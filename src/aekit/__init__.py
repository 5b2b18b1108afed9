"""aekit: autoencoders as an everyday tool.

>>> import aekit
>>> ae = aekit.Autoencoder(latent_dim=32)            # doctest: +SKIP
>>> Z = ae.fit(X).transform(X)                        # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from .anomaly import AnomalyDetector
from .audio.autoencoder import AudioAutoencoder
from .autoencoder import Autoencoder
from .model_file import ModelFileError, load
from .text.autoencoder import TextAutoencoder
from .text.metrics import exact_match, word_accuracy
from .variational import VariationalAutoencoder

try:
    __version__ = version("aekit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AnomalyDetector",
    "AudioAutoencoder",
    "Autoencoder",
    "ModelFileError",
    "TextAutoencoder",
    "VariationalAutoencoder",
    "exact_match",
    "load",
    "word_accuracy",
    "__version__",
]
