"""The loss side of the pipeline: one module per axis and :class:`Objective`, which
holds one choice of each.

    x --corruption--> x~ --encoder--> h --bottleneck--> z --decoder--> x^
    loss = reconstruction(x^, x) + penalties(h, z, encoder)
"""

from .objective import Objective

__all__ = ["Objective"]
