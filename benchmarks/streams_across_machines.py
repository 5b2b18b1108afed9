"""Do aekit's streams decode on other machines? Other machines emulated on this one.

A hyperprior codec (``--model``, or one fitted here for ``--fit-time`` seconds on
Fashion-MNIST train: resconv, a (16, 7, 7) code, an 8-channel side code) compresses
``--n`` Fashion-MNIST test images in streams of ``--per-stream``, and decodes them here
for reference. Then each stream is decoded in a separate process under each setting
that makes PyTorch compute otherwise, as another CPU or a GPU would:
``ATEN_CPU_CAPABILITY=default`` and ``=avx2`` (PyTorch's kernels for older CPUs),
``ONEDNN_MAX_CPU_ISA=AVX2`` (oneDNN's), one thread, oneDNN off, and on a machine with
CUDA, decoding on the GPU (and with ``--write-device cuda``, writing there). For each:
how many streams are refused, how many decode to other pixels than the writer's, and
the largest difference of a pixel and the share of pixels that differ.

Target: no stream refused in any setting.

    python benchmarks/streams_across_machines.py [--model codec.aekit] [--fit-time 90]
        [--n 10000] [--per-stream 100] [--write-device cpu] [--dir streams/]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# name: (environment, what the decoding process does first)
SETTINGS = {
    "as written (another process)": ({}, None),
    "ATEN_CPU_CAPABILITY=default": ({"ATEN_CPU_CAPABILITY": "default"}, None),
    "ATEN_CPU_CAPABILITY=avx2": ({"ATEN_CPU_CAPABILITY": "avx2"}, None),
    "ONEDNN_MAX_CPU_ISA=AVX2": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, None),
    "torch.set_num_threads(1)": ({}, "one thread"),
    "torch.backends.mkldnn.enabled = False": ({}, "no mkldnn"),
    "decoded on CUDA": ({}, "cuda"),
}
CODEC = dict(bottleneck="quantized", architecture="resconv", latent_shape=(16, 7, 7),
             latent_dim=16 * 7 * 7, hyperprior=8, batch_size=16, rate_weight=0.002)  # fmt: skip


def _fashion_test(n: int) -> np.ndarray:
    from aekit.data import load_fashion_mnist

    rows = load_fashion_mnist("test")[0][:n]
    return np.rint(rows * 255).astype(np.uint8).reshape(-1, 28, 28, 1)


def write_streams(model, images: np.ndarray, per_stream: int, folder: Path) -> int:
    """Compress ``images`` in streams of ``per_stream`` into ``folder`` (``k.aekz``),
    with the writer's own decoding of each (``k.npy``); how many streams."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for count, start in enumerate(range(0, len(images), per_stream), 1):
        stream = model.compress(images[start : start + per_stream])
        (folder / f"{count}.aekz").write_bytes(stream)
        np.save(folder / f"{count}.npy", model.decompress(stream))
    return count


def decode_all(model_path: Path, folder: Path, setting: str) -> dict:
    """Decode every stream of ``folder`` here, after the setting's first step; count
    the refused ones (by exception type) and those decoding to other pixels."""
    import torch

    import aekit

    step = SETTINGS[setting][1]
    if step == "one thread":
        torch.set_num_threads(1)
    elif step == "no mkldnn":
        torch.backends.mkldnn.enabled = False
    model = aekit.load(model_path)
    if step == "cuda":
        model.set_params(device="cuda")
        model.network_.to("cuda")
    refused, other, largest, errors, n_pixels, n_differing = 0, 0, 0, {}, 0, 0
    streams = sorted(folder.glob("*.aekz"), key=lambda p: int(p.stem))
    for path in streams:
        try:
            pixels = model.decompress(path.read_bytes())
        except Exception as error:  # counted by kind: the point is which escape
            refused += 1
            kind = type(error).__name__
            errors[kind] = errors.get(kind, 0) + 1
            continue
        expected = np.load(path.with_suffix(".npy"))
        diff = np.abs(pixels.astype(np.int16) - expected.astype(np.int16))
        other += bool(diff.any())
        largest = max(largest, int(diff.max()))
        n_pixels, n_differing = n_pixels + diff.size, n_differing + int(np.count_nonzero(diff))
    return {"streams": len(streams), "refused": refused, "other_pixels": other,
            "largest_difference": largest, "errors": errors,
            "pixels_differing": n_differing / max(n_pixels, 1)}  # fmt: skip


def across(model_path: Path, folder: Path, settings: list[str]) -> dict[str, dict]:
    """:func:`decode_all` in a fresh process for each setting."""
    out = {}
    for setting in settings:
        env = {**os.environ, **SETTINGS[setting][0]}
        result = folder / "result.json"
        subprocess.run(
            [sys.executable, __file__, "--decode", str(folder), "--model", str(model_path),
             "--setting", setting, "--result", str(result)],
            env=env, check=True,
        )  # fmt: skip
        out[setting] = json.loads(result.read_text())
    return out


def show(results: dict[str, dict]) -> None:
    print(f"{'setting':40s} {'streams':>7s} {'refused':>7s} {'other pixels':>12s} "
          f"{'largest':>7s} {'pixels differing':>16s}  errors")  # fmt: skip
    for setting, r in results.items():
        print(f"{setting:40s} {r['streams']:7d} {r['refused']:7d} {r['other_pixels']:12d} "
              f"{r['largest_difference']:7d} {r['pixels_differing']:16.2e}  "
              f"{r['errors'] or ''}")  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a saved hyperprior codec (else one is fit)")
    parser.add_argument("--fit-time", type=float, default=90.0)
    parser.add_argument("--n", type=int, default=10_000, help="Fashion-MNIST test images")
    parser.add_argument("--per-stream", type=int, default=100)
    parser.add_argument("--write-device", default="cpu")
    parser.add_argument("--dir", type=Path, help="where the streams go (default: a temporary one)")
    parser.add_argument("--decode", type=Path, help=argparse.SUPPRESS)  # a decoding process
    parser.add_argument("--setting", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.decode is not None:
        args.result.write_text(json.dumps(decode_all(args.model, args.decode, args.setting)))
        return {}

    import torch

    import aekit

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        model_path = args.model
        if model_path is None:
            from aekit.data import load_fashion_mnist

            train = np.rint(load_fashion_mnist("train")[0] * 255).astype(np.uint8)
            model = aekit.ImageAutoencoder(**CODEC, max_time=args.fit_time, random_state=0,
                                           device=args.write_device)  # fmt: skip
            model.fit(train.reshape(-1, 28, 28, 1))
            model_path = folder / "codec.aekit"
            model.save(model_path)
        model = aekit.load(model_path)
        if args.write_device != "cpu":
            model.set_params(device=args.write_device)
            model.network_.to(args.write_device)
        start = time.perf_counter()
        count = write_streams(model, _fashion_test(args.n), args.per_stream, folder / "streams")
        print(f"aekit {aekit.__version__}, torch {torch.__version__}: {count} streams of "
              f"{args.per_stream} written on {args.write_device} and decoded there in "
              f"{time.perf_counter() - start:.1f}s")  # fmt: skip
        settings = [s for s in SETTINGS if SETTINGS[s][1] != "cuda" or torch.cuda.is_available()]
        results = across(model_path, folder / "streams", settings)
    show(results)
    refused = sum(r["refused"] for r in results.values())
    print(f"target no stream refused in any setting: {'met' if refused == 0 else 'NOT met'}")
    return results


if __name__ == "__main__":
    main()
