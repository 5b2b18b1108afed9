"""Pictures of what an autoencoder learned, in scikit-learn's Display style.

Each ``XDisplay.from_estimator(model, X, ...)`` computes what it needs from a fitted
model and draws it; ``plot(ax=...)`` draws again on any axes; the matplotlib artists
stay on the display as attributes ending in ``_``.

The Displays here are generic; a modality's own (arrays, text, audio, series) live in
its folder and join this namespace through :func:`register_display` when the modality
is imported (``import aekit`` imports them all), so ``aekit.plotting.ReconstructionDisplay``
works while this package imports no modality.
"""

from .anomaly import AnomalyScoreDisplay
from .generative import InterpolationDisplay, ManifoldDisplay
from .history import TrainingCurvesDisplay
from .latent import LatentMapDisplay

__all__ = [
    "AnomalyScoreDisplay",
    "InterpolationDisplay",
    "LatentMapDisplay",
    "ManifoldDisplay",
    "TrainingCurvesDisplay",
]


def register_display(cls: type) -> type:
    """Class decorator: make a modality's Display an attribute of ``aekit.plotting``."""
    globals()[cls.__name__] = cls
    if cls.__name__ not in __all__:
        __all__.append(cls.__name__)
    return cls
