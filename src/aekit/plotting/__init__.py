"""Pictures of what an autoencoder learned, in scikit-learn's Display style.

Each ``XDisplay.from_estimator(model, X, ...)`` computes what it needs from a fitted
model and draws it; ``plot(ax=...)`` draws again on any axes; the matplotlib artists
stay on the display as attributes ending in ``_``.
"""

from .anomaly import AnomalyScoreDisplay
from .audio import SpectrogramDisplay
from .generative import InterpolationDisplay, ManifoldDisplay
from .history import TrainingCurvesDisplay
from .latent import LatentMapDisplay
from .reconstruction import ReconstructionDisplay
from .series import SeriesAnomalyDisplay
from .text import TextReconstructionDisplay

__all__ = [
    "AnomalyScoreDisplay",
    "InterpolationDisplay",
    "LatentMapDisplay",
    "ManifoldDisplay",
    "ReconstructionDisplay",
    "SeriesAnomalyDisplay",
    "SpectrogramDisplay",
    "TextReconstructionDisplay",
    "TrainingCurvesDisplay",
]
