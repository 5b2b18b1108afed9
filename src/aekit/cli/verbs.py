"""The verbs that use a model file: encode, decode, evaluate, score, sample, report,
export, info, and the demo. What differs between modalities comes from the model's
plug-in (:mod:`aekit.modality`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..modality import about, modality_named
from ..saving.outputs import ARRAY_FORMATS, check_output, write_array
from .common import CLIError, _load_model, _print_metrics, _progress, first_line, read_options


def cmd_encode(args: argparse.Namespace) -> None:
    out = check_output(args.output, args.force, ARRAY_FORMATS)
    model, plugin = _load_model(args.model)
    print(plugin.encode(model, args.data, out, **read_options(args)))


def cmd_decode(args: argparse.Namespace) -> None:
    model, plugin = _load_model(args.model)
    print(plugin.decode(model, args.codes, args.output, args.force))


def cmd_compress(args: argparse.Namespace) -> None:
    out = check_output(args.output, args.force, (".aekz",))
    model, plugin = _load_model(args.model)
    print(plugin.compress(model, args.data, out, **read_options(args)))


def cmd_decompress(args: argparse.Namespace) -> None:
    model, plugin = _load_model(args.model)
    print(plugin.decompress(model, args.stream, args.output, args.force))


def cmd_evaluate(args: argparse.Namespace) -> None:
    model, plugin = _load_model(args.model)
    data = plugin.read(args.data, **read_options(args))
    with about(args.data):
        _print_metrics(plugin.metrics(model, data), args.json)


def cmd_score(args: argparse.Namespace) -> None:
    out = check_output(args.output, args.force, ARRAY_FORMATS)
    model, plugin = _load_model(args.model, unwrap=False)
    data = plugin.read(args.data, **read_options(args))
    with about(args.data):
        table, own = plugin.score_table(model, data)
    scores = table["score"].to_numpy()
    threshold = args.threshold if args.threshold is not None else own
    if threshold is not None:
        labels = table["label"] = np.where(scores < threshold, -1, 1)
    write_array(out, table)
    summary = f"wrote {len(scores)} scores (higher is more normal) to {out}"
    if threshold is not None:
        summary += f"; {int(np.sum(labels == -1))} outliers (score < {threshold:.6g})"
    print(summary)


def cmd_sample(args: argparse.Namespace) -> None:
    model, plugin = _load_model(args.model)

    def draw() -> Any:
        """``args.n`` samples from ``model``; a model that cannot sample is a CLIError."""
        if args.n < 1:
            raise CLIError(f"-n must be a positive number of samples; got {args.n}.")
        try:
            return model.sample(args.n, random_state=args.seed)
        except ValueError as exc:
            raise CLIError(f"{args.model}: {first_line(exc)}") from None

    print(plugin.sample(model, draw, args.output, args.force))


def cmd_report(args: argparse.Namespace) -> None:
    from ..report import write_report

    out = check_output(args.output, args.force, (".html",))
    model, plugin = _load_model(args.model, unwrap=False)
    data = plugin.read(args.data, **read_options(args))
    data, labels = _with_labels(args, plugin, data)
    with about(args.data):
        write_report(out, model, data, labels, data_name=Path(args.data).name)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} kB)")


def _with_labels(args: argparse.Namespace, plugin: Any, data: Any) -> tuple[Any, Any]:
    """``data`` and the labels ``--labels`` names: a file, a part of DATA (a column,
    taken out of it), or ``target`` for a built-in data set."""
    from ..data import BUILTIN_LABELS, read_labels

    spec = args.labels
    if spec is None:
        return data, None
    if Path(spec).is_file():
        labels = read_labels(spec)
    elif (split := plugin.labels(args.data, spec, data)) is not None:
        data, labels = split
    elif args.data in BUILTIN_LABELS and spec == "target":
        labels = BUILTIN_LABELS[args.data]()
    else:
        hint = " (built-in data sets: --labels target)" if args.data in BUILTIN_LABELS else ""
        raise CLIError(f"--labels {spec}: no such file, and not a column of {args.data}{hint}.")
    if len(labels) != len(data):
        raise CLIError(
            f"--labels {spec}: {len(labels)} labels for {len(data)} samples in {args.data}."
        )
    return data, labels


def cmd_export(args: argparse.Namespace) -> None:
    from ..saving.export import export_onnx

    model, plugin = _load_model(args.model, unwrap=False)
    try:
        plugin.onnx_model(model)
    except ValueError as exc:
        raise CLIError(f"{args.model}: {first_line(exc)}") from None
    if Path(args.output).is_file():
        raise CLIError(f"{args.output} is a file; -o names a folder for the two .onnx files.")
    paths = export_onnx(model, args.output, force=args.force)
    print(f"wrote {paths[0]} and {paths[1]} (batch size free)")


def cmd_info(args: argparse.Namespace) -> None:
    from ..saving.model_file import read_header

    header = read_header(args.model)
    if args.json:
        print(json.dumps(header, indent=2))
        return
    first = (
        f"{args.model}: {header['estimator']} (aekit {header.get('aekit_version')}, "
        f"format {header['format_version']})"
    )
    try:
        lines = modality_named(header["estimator"]).describe(header)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CLIError(f"{args.model}: the aekit header is damaged (fields missing).") from None
    print("\n".join([first, *lines]))


def cmd_demo(args: argparse.Namespace) -> None:
    from ..demo import run_demo

    run_demo(
        output_dir=args.output,
        latent_dim=args.latent_dim,
        max_time=args.max_time,
        seed=args.seed,
        force=args.force,
        verbose=_progress(args),
    )
