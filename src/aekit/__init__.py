"""aekit: autoencoders as an everyday tool.

>>> import aekit
>>> ae = aekit.Autoencoder(latent_dim=32)            # doctest: +SKIP
>>> Z = ae.fit(X).transform(X)                        # doctest: +SKIP
"""

from .version import __version__  # noqa: I001  (first: every part may name it)

from .training import callbacks
from .anomaly import AnomalyDetector
from .audio.autoencoder import AudioAutoencoder
from .arrays.autoencoder import Autoencoder
from .images.autoencoder import ImageAutoencoder
from .images.input import read_images
from .audio.clips import read_clips
from .saving.model_file import ModelFileError, load
from .networks import register_network
from .series.autoencoder import SeriesAutoencoder
from .text.autoencoder import TextAutoencoder
from .text.metrics import exact_match, word_accuracy
from .arrays.variational import VariationalAutoencoder

# The modality plug-ins register themselves for the command line, reports and export.
from .arrays import plugin as array_plugin  # noqa: E402, F401  isort: skip
from .text import plugin as _text_plugin  # noqa: E402, F401  isort: skip
from .audio import plugin as _audio_plugin  # noqa: E402, F401  isort: skip
from .images import plugin as _image_plugin  # noqa: E402, F401  isort: skip
from .series import plugin as _series_plugin  # noqa: E402, F401  isort: skip

__all__ = [
    "AnomalyDetector",
    "AudioAutoencoder",
    "Autoencoder",
    "ImageAutoencoder",
    "ModelFileError",
    "SeriesAutoencoder",
    "TextAutoencoder",
    "VariationalAutoencoder",
    "callbacks",
    "exact_match",
    "load",
    "read_clips",
    "read_images",
    "register_network",
    "word_accuracy",
    "__version__",
]
