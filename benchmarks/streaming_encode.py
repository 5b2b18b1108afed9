"""Encode a .npy larger than comfortable memory with `aekit encode`, in constant memory.

Writes a ~4 GB float32 array of 784-pixel rows (block by block), trains a small dense
autoencoder on its first 5,000 rows, then runs ``aekit encode MODEL big.npy -o codes.npy``
under ``/usr/bin/time -v`` and prints the peak resident memory and rows per second.
Target: peak RSS under 1 GB. The files go to ``--dir`` (default: a temporary folder,
removed afterwards).

    python benchmarks/streaming_encode.py [--gb 4] [--dir PATH]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import aekit
from aekit.arrays.streaming import npy_writer

FEATURES = 784


def make_big(path: Path, rows: int, seed: int = 0) -> None:
    """Rows with 16-dimensional structure in [0, 1], written 50,000 at a time."""
    rng = np.random.default_rng(seed)
    basis = rng.random((16, FEATURES)).astype(np.float32) / 16
    with npy_writer(path, (rows, FEATURES), np.float32) as write:
        for start in range(0, rows, 50_000):
            n = min(50_000, rows - start)
            write(rng.random((n, 16), dtype=np.float32) @ basis)


def peak_rss_mb(time_output: str) -> float:
    kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_output)
    return int(kb.group(1)) / 1024 if kb else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=4.0, help="size of the array to encode")
    parser.add_argument("--dir", type=Path, default=None, help="where the files go")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="aekit-stream-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        rows = int(args.gb * 1e9 // (FEATURES * 4))
        big, model, codes = folder / "big.npy", folder / "model.aek", folder / "codes.npy"
        start = time.perf_counter()
        make_big(big, rows)
        size = big.stat().st_size / 1e9
        print(f"wrote {big} ({rows} x {FEATURES} float32, {size:.2f} GB) in "
              f"{time.perf_counter() - start:.0f}s")  # fmt: skip
        sample = np.load(big, mmap_mode="r")[:5000]
        aekit.Autoencoder(latent_dim=32, max_time=20, random_state=0).fit(sample).save(model)
        baseline = subprocess.run(
            ["/usr/bin/time", "-v", sys.executable, "-c", "import aekit.cli, torch"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        command = [sys.executable, "-m", "aekit", "encode", str(model), str(big), "-o", str(codes)]
        start = time.perf_counter()
        run = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            sys.exit(f"aekit encode failed:\n{run.stderr}")
        out = np.load(codes, mmap_mode="r")
        assert out.shape == (rows, 32)
        print(f"aekit encode: {rows} rows in {seconds:.1f}s = {rows / seconds:,.0f} rows/s")
        print(f"peak RSS {peak_rss_mb(run.stderr):.0f} MB (target < 1024 MB); "
              f"python + torch + aekit alone: {peak_rss_mb(baseline.stderr):.0f} MB")  # fmt: skip
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
