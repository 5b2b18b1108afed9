"""``aekit.callbacks``, kept as the public path of :mod:`aekit.training.callbacks`: the
same module object, so patching or subclassing through either name is one thing."""

import sys

from .training import callbacks

sys.modules[__name__] = callbacks
