"""``aekit.export``, kept as the public path of :mod:`aekit.saving.export`: the same
module object, so ``aekit.export.export_onnx`` is the one function."""

import sys

from .saving import export

sys.modules[__name__] = export
