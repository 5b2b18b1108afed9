"""Real bits: a codec network's integer codes to a checked stream and back
(``stream.py``), range-coded under integer tables (``bitstream.py``, constriction)."""

from .bitstream import StreamError
from .stream import read, read_frames, write, write_frames

__all__ = ["StreamError", "read", "read_frames", "write", "write_frames"]
