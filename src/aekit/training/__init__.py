"""Training: the one loop (``loop.py``) and everything around it as callbacks
(``callbacks.py``), with checkpoints, devices and torchrun's process group beside it.

``aekit.training`` keeps the names it had when it was one module.
"""

from .loop import *  # noqa: F403  (the loop's public names, as aekit.training had them)
from .loop import __all__  # noqa: F401
