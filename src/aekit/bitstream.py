"""Integer codes to bytes and back: range coding (``constriction``) under per-channel
probability tables, in a small self-checking container.

A stream is a 29-byte header (``AEKZ``, format version, the first 8 bytes of the
model's checksum, count, channels, positions, payload sizes), the range coder's
32-bit words, the escaped values (those outside a channel's table, as int32) and a
CRC-32 of everything before it. Reading checks each part in that order, so another
file, another model, a cut or a flipped byte is a ``StreamError`` that says which.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

MAGIC = b"AEKZ"
VERSION = 1
_HEADER = struct.Struct("<4sB8sIHIII")  # magic, version, model, count, C, S, words, escapes
_CRC = struct.Struct("<I")

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


def pack(codes: np.ndarray, tables: Tables, model_id: bytes) -> bytes:
    """Bytes of the integer ``codes`` (n, channels, positions) coded under ``tables``."""
    c = _constriction()
    n, channels, positions = codes.shape
    if len(tables) != channels:
        raise ValueError(f"{len(tables)} probability tables for {channels} code channels.")
    encoder = c.stream.queue.RangeEncoder()
    escaped = []
    for channel, (first, probs) in enumerate(tables):
        values = codes[:, channel, :].reshape(-1).astype(np.int64)
        symbols, outside = _symbols(values, first, len(probs))
        encoder.encode(symbols, c.stream.model.Categorical(probs, perfect=False))
        escaped.append(outside)
    words = encoder.get_compressed().astype("<u4")
    escapes = np.concatenate(escaped).astype("<i4")
    body = _HEADER.pack(MAGIC, VERSION, model_id, n, channels, positions, len(words),
                        len(escapes)) + words.tobytes() + escapes.tobytes()  # fmt: skip
    return body + _CRC.pack(zlib.crc32(body))


def unpack(data: bytes, tables: Tables, model_id: bytes, positions: int) -> np.ndarray:
    """The codes (n, channels, positions), int64, that :func:`pack` wrote into ``data``."""
    n, words, escapes = _check(bytes(data), len(tables), model_id, positions)
    c = _constriction()
    decoder = c.stream.queue.RangeDecoder(words)
    codes = np.empty((n, len(tables), positions), dtype=np.int64)
    used = 0
    for channel, (first, probs) in enumerate(tables):
        model = c.stream.model.Categorical(probs, perfect=False)
        symbols = decoder.decode(model, n * positions).astype(np.int64)
        outside = symbols == len(probs) - 1
        values = symbols + first
        k = int(outside.sum())
        if used + k > len(escapes):
            raise StreamError("the stream is damaged: it escapes more values than it holds.")
        values[outside] = escapes[used : used + k]
        used += k
        codes[:, channel, :] = values.reshape(n, positions)
    if used != len(escapes):
        raise StreamError("the stream is damaged: it holds escaped values it never uses.")
    return codes


def _check(
    data: bytes, channels: int, model_id: bytes, positions: int
) -> tuple[int, np.ndarray, np.ndarray]:
    """The count, range-coder words and escapes of ``data``, after every check."""
    if data[:4] != MAGIC[: len(data)] or not data:
        raise StreamError("these bytes are not an aekit compressed stream (no AEKZ header).")
    if len(data) < _HEADER.size + _CRC.size:
        raise StreamError(f"the stream is truncated: {len(data)} bytes, shorter than a header.")
    magic, version, written_by, n, n_channels, n_positions, n_words, n_escapes = (
        _HEADER.unpack_from(data)
    )
    if version != VERSION:
        raise StreamError(
            f"the stream has format version {version}; this aekit reads version {VERSION}."
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
    size = _HEADER.size + 4 * (n_words + n_escapes) + _CRC.size
    if len(data) != size:
        cut = "truncated" if len(data) < size else "longer than it says"
        raise StreamError(f"the stream is {cut}: {len(data)} bytes where its header says {size}.")
    (crc,) = _CRC.unpack_from(data, size - _CRC.size)
    if zlib.crc32(data[: size - _CRC.size]) != crc:
        raise StreamError("the stream is damaged: its CRC-32 does not match its bytes.")
    start = _HEADER.size
    words = np.frombuffer(data, "<u4", n_words, start).astype(np.uint32)
    escapes = np.frombuffer(data, "<i4", n_escapes, start + 4 * n_words).astype(np.int64)
    return n, words, escapes
