"""File plumbing every part shares: atomic writes and the safetensors header.

Nothing here knows about models or data: model files, checkpoints, data downloads,
reports and CLI outputs all write through :func:`atomic_writer`, and model files and
checkpoints read their JSON header through :func:`read_safetensors_header`.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

HEADER_LIMIT = 100 * 2**20  # no real header comes near this; a larger one is damage


class HeaderError(ValueError):
    """The start of a file is not a safetensors header."""


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A crash midway leaves either the old file or the new one, never half of one.
    """
    with atomic_writer(path) as f:
        f.write(data)


@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: a temporary file next to it, synced and
    renamed over ``path`` when the block ends, deleted if the block raises."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _unwritten(path, exc) from None
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _default_mode())
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a file-size limit, a vanished folder
        Path(tmp).unlink(missing_ok=True)
        raise _unwritten(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _unwritten(path: Path, exc: OSError) -> OSError:
    """The error of a write that failed: the file, the cause, and what is there now."""
    before = "the file there is as it was" if path.exists() else "nothing was written there"
    error = OSError(f"{path}: could not be written ({exc.strerror or exc}); {before}.")
    error.errno = exc.errno  # still a full disk (ENOSPC) or a size limit (EFBIG) to callers
    return error


def read_safetensors_header(f: BinaryIO, size: int) -> tuple[dict[str, Any], bytes]:
    """The parsed JSON header of a safetensors file open at its start, and its raw
    bytes (length prefix included); ``size`` is the file's length in bytes.

    Raises :class:`HeaderError` for anything that is not such a header: too short, a
    length beyond the file, bytes that are not UTF-8 JSON of an object.
    """
    prefix = f.read(8)
    if len(prefix) < 8:
        raise HeaderError("shorter than a safetensors header")
    (n,) = struct.unpack("<Q", prefix)
    if n < 2 or n > min(HEADER_LIMIT, size - 8):
        raise HeaderError("header length out of range")
    raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise HeaderError("header is not JSON") from None
    if not isinstance(header, dict):
        raise HeaderError("header is not a JSON object")
    return header, prefix + raw


def metadata_entry(header: dict[str, Any], key: str) -> Any:
    """The JSON document stored under ``key`` of a safetensors header's metadata."""
    try:
        return json.loads(header["__metadata__"][key])
    except (KeyError, TypeError, json.JSONDecodeError, RecursionError):
        raise HeaderError(f"no {key!r} entry in the metadata") from None
