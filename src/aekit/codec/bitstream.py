"""Integer codes to bytes and back: range coding (``constriction``) under probability
tables (one per channel, or one chosen per value by a hyperprior), in a small
self-checking container.

A stream is a 31-byte header (``AEKZ``, format version, the first 8 bytes of the
model's checksum, count, channels, positions, payload sizes), the range coder's
32-bit words, the escaped values (those outside their table, as int32), a CRC-32 of
the values themselves (from version 2) and a CRC-32 of everything before it. Reading
checks each part in that order, so another file, another model, a cut or a flipped
byte is a ``StreamError`` that says which; and the values' CRC catches a reader whose
probabilities differ from the writer's (floats computed differently), which would
otherwise decode intact bytes to other values.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

MAGIC = b"AEKZ"
# 1: without the values' CRC-32; 2: tables picked in floats; 3: in exact arithmetic
# (``exact.py``). The container is the same; older versions are still read.
VERSION = 3
_HEADER = struct.Struct("<4sB8sIHIII")  # magic, version, model, count, C, S, words, escapes
_CRC = struct.Struct("<I")
# What every stream spends besides its values: the header, the two CRC-32s and (at least)
# the range coder's last word.
FIXED_BYTES = _HEADER.size + 2 * _CRC.size + 4
# A stream holds at most this many values (73,000 images of a Fashion-MNIST codec): a
# header is read before the values are, and a forged count must not claim gigabytes.
MAX_VALUES = 2**26

Tables = Sequence[tuple[int, np.ndarray]]  # per channel: first value, probabilities + escape


class StreamError(ValueError):
    """Bytes that are not a whole stream of this model."""


def _constriction():
    try:
        import constriction
    except ImportError as error:
        raise ImportError(
            "compress and decompress need constriction: pip install 'aekit[codec]' "
            "(or constriction)."
        ) from error
    return constriction


def _symbols(values: np.ndarray, first: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Table symbols of ``values`` (the last one, ``size - 1``, is the escape) and the
    values that needed it."""
    symbols = values - first
    outside = (symbols < 0) | (symbols >= size - 1)
    symbols[outside] = size - 1
    return symbols.astype(np.int32), values[outside]


class Packer:
    """Integer values coded one group after another, each value under the table its
    index names; :class:`Unpacker` takes them back in the same order."""

    def __init__(self) -> None:
        self._c = _constriction()
        self._encoder = self._c.stream.queue.RangeEncoder()
        self._escaped: list[np.ndarray] = []
        self._values_crc = 0

    def put(self, values: np.ndarray, index: np.ndarray, tables: Tables) -> Packer:
        """Code ``values`` (any shape, integers), each under ``tables[index]``."""
        values = np.asarray(values, dtype=np.int64).reshape(-1)
        self._values_crc = zlib.crc32(values.astype("<i8").tobytes(), self._values_crc)
        for k, where in _groups(np.asarray(index).reshape(-1), len(tables)):
            first, probs = tables[k]
            symbols, outside = _symbols(values[where], first, len(probs))
            self._encoder.encode(symbols, self._c.stream.model.Categorical(probs, perfect=False))
            self._escaped.append(outside)
        return self

    def finish(self, model_id: bytes, n: int, channels: int, positions: int) -> bytes:
        """The stream: header, coded words, escapes, CRC-32."""
        if n * channels * positions > MAX_VALUES:
            raise ValueError(
                f"{n} codes of {channels * positions} values are more than one "
                f"stream holds ({MAX_VALUES:,} values): compress them in parts."
            )
        words = self._encoder.get_compressed().astype("<u4")
        escapes = np.concatenate([np.zeros(0, np.int64), *self._escaped]).astype("<i4")
        body = (_HEADER.pack(MAGIC, VERSION, model_id, n, channels, positions, len(words),
                             len(escapes)) + words.tobytes() + escapes.tobytes()
                + _CRC.pack(self._values_crc))  # fmt: skip
        return body + _CRC.pack(zlib.crc32(body))


class Unpacker:
    """The values of a checked stream, group by group, as :class:`Packer` put them."""

    def __init__(self, data: bytes, model_id: bytes, channels: int, positions: int) -> None:
        self.version, self.n, words, self._escapes, self._written_crc = _check(
            bytes(data), channels, model_id, positions
        )
        self._c = _constriction()
        self._decoder = self._c.stream.queue.RangeDecoder(words)
        self._used, self._values_crc = 0, 0

    def take(self, index: np.ndarray, tables: Tables) -> np.ndarray:
        """Values of ``index``'s shape, each decoded under ``tables[index]``."""
        index = np.asarray(index)
        values = np.empty(index.size, dtype=np.int64)
        for k, where in _groups(index.reshape(-1), len(tables)):
            first, probs = tables[k]
            model = self._c.stream.model.Categorical(probs, perfect=False)
            try:
                symbols = self._decoder.decode(model, len(where)).astype(np.int64)
            except (AssertionError, ValueError, RuntimeError, OverflowError) as error:
                # constriction's own words ("compressed data that is invalid for the
                # employed entropy model") name neither the stream nor the cause
                raise StreamError(_OTHER_VALUES) from error
            outside = symbols == len(probs) - 1
            got = symbols + first
            count = int(outside.sum())
            if self._used + count > len(self._escapes):
                raise StreamError("the stream is damaged: it escapes more values than it holds.")
            got[outside] = self._escapes[self._used : self._used + count]
            self._used += count
            values[where] = got
        self._values_crc = zlib.crc32(values.astype("<i8").tobytes(), self._values_crc)
        return values.reshape(index.shape)

    def finish(self) -> None:
        if self._used != len(self._escapes):
            raise StreamError("the stream is damaged: it holds escaped values it never uses.")
        if self._written_crc is not None and self._written_crc != self._values_crc:
            raise StreamError(_OTHER_VALUES)


_OTHER_VALUES = (
    "the stream decoded to other values than were written, its bytes intact: it was "
    "coded under other probabilities (a format 1 or 2 stream from another machine: "
    "decompress it where it was compressed), or its bytes were forged."
)


def _groups(index: np.ndarray, n_tables: int):
    """``(k, positions)`` for each table ``k`` in use, positions in their order."""
    if index.size and (index.min() < 0 or index.max() >= n_tables):
        raise ValueError(f"table indices must lie in [0, {n_tables}).")
    small = np.int16 if n_tables <= np.iinfo(np.int16).max else np.int32
    order = np.argsort(index.astype(small), kind="stable")  # a radix sort for int16
    ks, starts = np.unique(index[order], return_index=True)
    for k, lo, hi in zip(ks, starts, [*starts[1:], len(order)], strict=True):
        yield int(k), order[lo:hi]


def columns(shape: tuple[int, ...]) -> np.ndarray:
    """An index for values of ``shape``: each under the table of its column (axis 1)."""
    return np.broadcast_to(np.arange(shape[1]).reshape(1, -1, *[1] * (len(shape) - 2)), shape)


def pack(codes: np.ndarray, tables: Tables, model_id: bytes) -> bytes:
    """Bytes of the integer ``codes`` (n, channels, positions), a table per channel."""
    n, channels, positions = codes.shape
    if len(tables) != channels:
        raise ValueError(f"{len(tables)} probability tables for {channels} code channels.")
    packer = Packer().put(codes, columns(codes.shape), tables)
    return packer.finish(model_id, n, channels, positions)


def unpack(data: bytes, tables: Tables, model_id: bytes, positions: int) -> np.ndarray:
    """The codes (n, channels, positions), int64, that :func:`pack` wrote into ``data``."""
    reader = Unpacker(data, model_id, len(tables), positions)
    codes = reader.take(columns((reader.n, len(tables), positions)), tables)
    reader.finish()
    return codes


def _check(
    data: bytes, channels: int, model_id: bytes, positions: int
) -> tuple[int, int, np.ndarray, np.ndarray, int | None]:
    """The format version, count, range-coder words, escapes and values' CRC-32 (None
    before version 2) of ``data``, after every check."""
    if data[:4] != MAGIC[: len(data)] or not data:
        raise StreamError("these bytes are not an aekit compressed stream (no AEKZ header).")
    if len(data) < _HEADER.size + _CRC.size:
        raise StreamError(f"the stream is truncated: {len(data)} bytes, shorter than a header.")
    magic, version, written_by, n, n_channels, n_positions, n_words, n_escapes = (
        _HEADER.unpack_from(data)
    )
    if not 1 <= version <= VERSION:
        raise StreamError(
            f"the stream has format version {version}; this aekit reads versions 1 to {VERSION}."
        )
    if written_by != model_id:
        raise StreamError(
            f"the stream was written by another model (model id {written_by.hex()}, this "
            f"one is {model_id.hex()}): decompress it with the model that compressed it."
        )
    if (n_channels, n_positions) != (channels, positions):
        raise StreamError(
            f"the stream holds codes of {n_channels} x {n_positions}; this model's are "
            f"{channels} x {positions}."
        )
    if n * channels * positions > MAX_VALUES:
        raise StreamError(f"the stream is damaged: it says it holds {n} codes, more than a "
                          f"stream holds ({MAX_VALUES:,} values).")  # fmt: skip
    checked = _CRC.size if version >= 2 else 0
    size = _HEADER.size + 4 * (n_words + n_escapes) + checked + _CRC.size
    if len(data) != size:
        cut = "truncated" if len(data) < size else "longer than it says"
        raise StreamError(f"the stream is {cut}: {len(data)} bytes where its header says {size}.")
    (crc,) = _CRC.unpack_from(data, size - _CRC.size)
    if zlib.crc32(data[: size - _CRC.size]) != crc:
        raise StreamError("the stream is damaged: its CRC-32 does not match its bytes.")
    start = _HEADER.size
    words = np.frombuffer(data, "<u4", n_words, start).astype(np.uint32)
    escapes = np.frombuffer(data, "<i4", n_escapes, start + 4 * n_words).astype(np.int64)
    values_crc = _CRC.unpack_from(data, size - 2 * _CRC.size)[0] if checked else None
    return version, n, words, escapes, values_crc
