"""Arrays larger than memory: ``.npy`` files read and written a block of rows at a time.

Reading goes through plain file reads into one block at a time rather than a memory
map, so the pages of a large file never pile up in the process's resident memory;
writing appends blocks after a header that already holds the final shape, through a
temporary file renamed into place at the end.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data import DataError
from ..saving.files import atomic_writer

BLOCK_BYTES = 32 << 20  # about 32 MB of rows per block


def block_rows(row_bytes: int) -> int:
    """Rows per block for rows of ``row_bytes`` bytes."""
    return max(1, BLOCK_BYTES // max(1, row_bytes))


def row_blocks(X: Any) -> Iterator[Any]:
    """Consecutive slices of the rows of an array (a memory map included) or DataFrame;
    anything else (lists, array-likes) as one block."""
    if not (isinstance(X, np.ndarray) and X.ndim >= 1) and not hasattr(X, "iloc"):
        yield X
        return
    n = len(X)
    step = block_rows(int(np.prod(X.shape[1:], dtype=np.int64)) * 8)
    take = X.iloc if hasattr(X, "iloc") else X
    for start in range(0, n, step):
        yield take[start : start + step]
    if n == 0:
        yield take[0:0]


def npy_layout(path: str | os.PathLike) -> tuple[tuple[int, ...], np.dtype, int]:
    """Shape, dtype and data offset of a C-ordered ``.npy`` file (header only read)."""
    path = Path(path)
    fmt = np.lib.format
    try:
        with open(path, "rb") as f:
            major, _ = fmt.read_magic(f)
            read_header = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            offset = f.tell()
    except Exception as exc:  # numpy's header parser raises many kinds on a damaged file
        raise DataError(f"{path}: not a readable .npy array ({exc}).") from None
    if fortran or dtype.hasobject or len(shape) < 1:
        raise DataError(f"{path}: streaming needs a C-ordered numeric array of rows.")
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if path.stat().st_size < expected:
        raise DataError(
            f"{path}: the file is truncated ({path.stat().st_size} < {expected} bytes)."
        )
    return tuple(shape), dtype, offset


def read_npy_blocks(path: str | os.PathLike) -> Iterator[np.ndarray]:
    """The rows of a ``.npy`` file, one block (a fresh array) at a time."""
    shape, dtype, offset = npy_layout(path)
    row_items = int(np.prod(shape[1:], dtype=np.int64))
    step = block_rows(row_items * dtype.itemsize)
    with open(path, "rb") as f:
        f.seek(offset)
        for start in range(0, shape[0], step):
            rows = min(step, shape[0] - start)
            block = np.fromfile(f, dtype=dtype, count=rows * row_items)
            yield block.reshape(rows, *shape[1:])


@contextmanager
def npy_writer(path: str | os.PathLike, shape: tuple[int, ...], dtype: Any) -> Iterator[Any]:
    """Write a ``.npy`` of ``shape`` block by block: ``write(block)`` appends rows; the
    file appears (atomically) only if exactly ``shape[0]`` rows were written."""
    dtype = np.dtype(dtype)
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
              "shape": tuple(int(s) for s in shape)}  # fmt: skip
    written = 0
    with atomic_writer(path) as f:
        np.lib.format.write_array_header_2_0(f, header)

        def write(block: np.ndarray) -> None:
            nonlocal written
            block = np.ascontiguousarray(block, dtype=dtype)
            if block.shape[1:] != tuple(shape[1:]):
                raise ValueError(f"block rows of shape {block.shape[1:]}, not {shape[1:]}")
            f.write(block.tobytes())
            written += len(block)

        yield write
        if written != shape[0]:
            raise ValueError(f"{written} rows written to {path}, expected {shape[0]}")


class MappedRows:
    """Training rows left on disk: a memory-mapped array read a batch at a time.

    Stands in for the tensor of training data in :func:`aekit.training.train`:
    ``rows[index]`` gathers those rows (ids into ``rows``), makes network rows of them
    with ``to_network`` (flat rows in, scaled float32 out) and returns a tensor on
    ``device``; only the batches in flight are in memory.
    """

    def __init__(self, X: np.ndarray, to_network: Any, device: Any = "cpu", ids: Any = None):
        self.X = X
        self.to_network = to_network
        self.device = torch.device(device)
        # Sorted, so a window of neighbouring ids is a stretch of the file.
        self.ids = np.arange(len(X)) if ids is None else np.sort(np.asarray(ids))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: Any) -> torch.Tensor:
        if isinstance(index, slice):
            picked = self.ids[index]
        else:
            picked = np.sort(self.ids[torch.as_tensor(index).cpu().numpy()])
        # Fancy indexing reads the rows into a fresh, writable array.
        rows = self.to_network(np.asarray(self.X[picked]).reshape(len(picked), -1))
        return torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32)).to(self.device)

    def to(self, device: Any) -> MappedRows:
        return MappedRows(self.X, self.to_network, device, self.ids)

    def subset(self, index: Any) -> MappedRows:
        """The rows at positions ``index`` (of this set), still on disk."""
        return MappedRows(self.X, self.to_network, self.device, self.ids[np.asarray(index)])


def local_batches(window: int = 4096):
    """A batch plan for rows on disk: windows of ``window`` neighbouring rows in random
    order, each shuffled within, cut into batches, so reads stay close together while
    every epoch still mixes the data."""

    def plan(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
        starts = torch.randperm(math.ceil(n / window), generator=generator) * window
        order = []
        for start in starts.tolist():
            size = min(window, n - start)
            order.append(start + torch.randperm(size, generator=generator))
        return list(torch.cat(order).split(batch_size))

    return plan
