"""The verbs that use a model file: encode, decode, evaluate, score, sample, report,
export, info, and the demo."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from .common import (
    ARRAY_FORMATS,
    CLIError,
    _about,
    _check_output,
    _first_line,
    _is_audio,
    _is_text,
    _load_model,
    _model_and_data,
    _print_metrics,
    _progress,
    _read,
    _write_array,
    _write_clips,
    _write_texts,
)


def _streams(model: Any, source: str, out: Path) -> bool:
    """Whether ``.npy`` in and out can go a block of rows at a time (any size of file)."""
    plain = not (_is_text(model) or _is_audio(model)) and getattr(model, "table_", None) is None
    return plain and source.lower().endswith(".npy") and out.suffix.lower() == ".npy"


def _stream(model: Any, method: str, source: str, out: Path, row_shape: tuple[int, ...]) -> int:
    """``model.method`` over the rows of the ``.npy`` file ``source`` into ``out``, a
    block at a time, in constant memory; the number of rows."""
    from ..streaming import npy_layout, npy_writer, read_npy_blocks

    with _about(source):
        shape, dtype, _ = npy_layout(source)
        if shape[0] == 0:
            raise CLIError(f"{source}: the array has no rows.")
        out_dtype = np.float32 if dtype == np.float32 else np.float64
        with npy_writer(out, (shape[0], *row_shape), out_dtype) as write:
            for block in read_npy_blocks(source):
                write(getattr(model, method)(block))
    return shape[0]


def cmd_encode(args: argparse.Namespace) -> None:
    out = _check_output(args.output, args.force, ARRAY_FORMATS)
    model = _load_model(args.model)
    if _streams(model, args.data, out) and args.column is None and not args.skip_bad:
        n = _stream(model, "transform", args.data, out, (model.latent_dim,))
        print(f"wrote {n} codes of width {model.latent_dim} to {out}")
        return
    data = _read(args.data, model, args.column, args.skip_bad)
    with _about(args.data):
        codes = model.transform(data)
    _write_array(out, codes, list(model.get_feature_names_out()))
    print(f"wrote {codes.shape[0]} codes of width {codes.shape[1]} to {out}")


def cmd_decode(args: argparse.Namespace) -> None:
    from ..data import read_data

    model = _load_model(args.model)
    if _is_text(model):
        out = _check_output(args.output, args.force, (".txt",))
        with _about(args.codes):
            texts = model.inverse_transform(read_data(args.codes))
        _write_texts(out, texts)
        print(f"wrote {len(texts)} texts to {out}")
        return
    if _is_audio(model):
        with _about(args.codes):
            waves = model.inverse_transform(read_data(args.codes))
        _write_clips(args.output, args.force, waves, model.sample_rate_)
        return
    out = _check_output(args.output, args.force, ARRAY_FORMATS)
    if _streams(model, args.codes, out):
        shape = tuple(model.input_shape_ or (model.n_features_in_,))
        n = _stream(model, "inverse_transform", args.codes, out, shape)
        print(f"wrote {n} reconstructions to {out}")
        return
    codes = read_data(args.codes)
    if out.suffix.lower() != ".csv" and getattr(model, "table_", None) is not None:
        raise CLIError(f"{args.model} rebuilds a table with categorical columns: write .csv.")
    with _about(args.codes):
        X = model.inverse_transform(codes)
    names = getattr(model, "feature_names_in_", None)
    _write_array(out, X, None if names is None else list(names))
    print(f"wrote {len(X)} reconstructions to {out}")


def _audio_metrics(model: Any, clips: list[Any]) -> dict[str, Any]:
    return {
        "n_samples": len(clips),
        "logmel_mse": -model.score(clips),  # on the standardised log-mel spectrogram
        "spectral_convergence": float(np.mean(model.spectral_convergence(clips))),
        "latent_dim": int(model.autoencoder_.latent_dim),
    }


def _text_metrics(model: Any, texts: list[str]) -> dict[str, Any]:
    from ..text.metrics import text_scores

    scores, _ = text_scores(model, texts)
    return {"n_samples": len(texts), **scores, "latent_dim": int(model.latent_dim)}


def cmd_evaluate(args: argparse.Namespace) -> None:
    from ..variational import VariationalAutoencoder

    model, data = _model_and_data(args.model, args.data, column=args.column, skip_bad=args.skip_bad)
    if _is_text(model) or _is_audio(model):
        measure = _text_metrics if _is_text(model) else _audio_metrics
        with _about(args.data):
            _print_metrics(measure(model, data), args.json)
        return
    with _about(args.data):
        errors = model.reconstruction_error(data)
        elbo = model.score(data) if isinstance(model, VariationalAutoencoder) else None
    metrics = {
        "n_samples": int(len(errors)),
        "reconstruction_mse": float(errors.mean()),
        # "nearest": no interpolation, so infinite errors (far out-of-range data) stay inf.
        "reconstruction_mse_median": float(np.quantile(errors, 0.5, method="nearest")),
        "reconstruction_mse_p95": float(np.quantile(errors, 0.95, method="nearest")),
        "latent_dim": int(model.latent_dim),
    }
    if elbo is not None:
        metrics["elbo"] = elbo  # mean per sample, in nats
    _print_metrics(metrics, args.json)


def cmd_score(args: argparse.Namespace) -> None:
    import pandas as pd

    out = _check_output(args.output, args.force, ARRAY_FORMATS)
    model, data = _model_and_data(
        args.model, args.data, unwrap=False, column=args.column, skip_bad=args.skip_bad
    )
    with _about(args.data):
        if hasattr(model, "offset_") or _is_text(model) or _is_audio(model):
            scores = model.score_samples(data)
        else:  # what an AnomalyDetector with default settings would score by
            from ..anomaly import reconstruction_scores

            scores = reconstruction_scores(model, data, "auto")
    threshold = args.threshold if args.threshold is not None else getattr(model, "offset_", None)
    table = pd.DataFrame({"score": scores})
    if threshold is not None:
        labels = table["label"] = np.where(scores < threshold, -1, 1)
    _write_array(out, table)
    summary = f"wrote {len(scores)} scores (higher is more normal) to {out}"
    if threshold is not None:
        summary += f"; {int(np.sum(labels == -1))} outliers (score < {threshold:.6g})"
    print(summary)


def _draw(model: Any, args: argparse.Namespace) -> Any:
    """``args.n`` samples from ``model``; a model that cannot sample is a CLIError."""
    if args.n < 1:
        raise CLIError(f"-n must be a positive number of samples; got {args.n}.")
    try:
        return model.sample(args.n, random_state=args.seed)
    except ValueError as exc:
        raise CLIError(f"{args.model}: {_first_line(exc)}") from None


def cmd_sample(args: argparse.Namespace) -> None:
    from ..figures import image_shape_of, save_image_grid

    model = _load_model(args.model)
    if _is_audio(model):  # a folder of WAVs, checked as it is written
        _write_clips(args.output, args.force, _draw(model, args), model.sample_rate_)
        return
    text = _is_text(model)
    out = _check_output(args.output, args.force, (".txt",) if text else (".png", *ARRAY_FORMATS))
    shape = None if text else image_shape_of(model)
    if out.suffix.lower() == ".png" and shape is None:
        raise CLIError(
            f"{args.model}: its {model.n_features_in_} features are not an image; "
            "write the samples to .npy or .csv instead."
        )
    X = _draw(model, args)
    if text:
        _write_texts(out, X)
    elif out.suffix.lower() == ".png":
        save_image_grid(out, X, shape)
    else:
        names = getattr(model, "feature_names_in_", None)
        _write_array(out, X, None if names is None else list(names))
    print(f"wrote {len(X)} samples to {out}")


def cmd_report(args: argparse.Namespace) -> None:
    from ..report import write_report

    out = _check_output(args.output, args.force, (".html",))
    model, data = _model_and_data(
        args.model, args.data, unwrap=False, column=args.column, skip_bad=args.skip_bad
    )
    data, labels = _with_labels(args, model, data)
    with _about(args.data):
        write_report(out, model, data, labels, data_name=Path(args.data).name)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} kB)")


def _with_labels(args: argparse.Namespace, model: Any, data: Any) -> tuple[Any, Any]:
    """``data`` and the labels ``--labels`` names: a file, a column of DATA (taken out
    of it), or ``target`` for a built-in data set."""
    from ..data import BUILTIN_LABELS, read_labels, read_texts

    spec = args.labels
    if spec is None:
        return data, None
    if Path(spec).is_file():
        labels = read_labels(spec)
    elif _is_text(model) and Path(args.data).suffix.lower() in (".csv", ".tsv"):
        labels = np.asarray(read_texts(args.data, spec), dtype=object)
    elif hasattr(data, "columns") and spec in data.columns:
        labels = data[spec].to_numpy()
        data = data.drop(columns=[spec])
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
    from ..export import check_exportable, export_onnx

    model = _load_model(args.model, unwrap=False)
    try:
        check_exportable(model)
    except ValueError as exc:
        raise CLIError(f"{args.model}: {_first_line(exc)}") from None
    if Path(args.output).is_file():
        raise CLIError(f"{args.output} is a file; -o names a folder for the two .onnx files.")
    paths = export_onnx(model, args.output, force=args.force)
    print(f"wrote {paths[0]} and {paths[1]} (batch size free)")


def cmd_info(args: argparse.Namespace) -> None:
    from ..model_file import read_header

    header = read_header(args.model)
    if args.json:
        print(json.dumps(header, indent=2))
        return
    try:
        lines = _info_lines(args.model, header)
    except (KeyError, TypeError, AttributeError):
        raise CLIError(f"{args.model}: the aekit header is damaged (fields missing).") from None
    print("\n".join(lines))


def _info_lines(model: str, header: dict[str, Any]) -> list[str]:
    lines = [
        f"{model}: {header['estimator']} (aekit {header.get('aekit_version')}, "
        f"format {header['format_version']})"
    ]
    state, params = header["state"], header["params"]
    if header["estimator"] == "AudioAutoencoder":
        n_mels, frames = state["spectrogram_shape"]
        lines.append(
            f"  audio       {state['sample_rate']} Hz, {state['n_samples']} samples per clip, "
            f"{n_mels} mels x {frames} frames (n_fft {state['n_fft']}, "
            f"hop {state['hop_length']})"
        )
        inner = state["autoencoder"]
        lines.append(f"  autoencoder {inner['estimator']}")
        state, params = inner["state"], inner["params"]
    elif "autoencoder" in state:  # a detector: its own settings, then its autoencoder's
        lines.append(
            f"  detector    contamination {params['contamination']!r}, "
            f"window {state.get('window', 1)}, offset {state['offset']:.6g} "
            "(scores below it are outliers)"
        )
        inner = state["autoencoder"]
        lines.append(f"  autoencoder {inner['estimator']}")
        state, params = inner["state"], inner["params"]
    network, history = state["network"], state.get("history", {})
    lines.append(f"  network     {network['name']} {network['config']}")
    if "tokenizer" in state:  # a text model
        lines.append(
            f"  tokens      {params['tokenizer']} tokenizer, {state['vocab_size']} tokens, "
            f"max_length {params['max_length']}   latent_dim {params['latent_dim']}"
        )
    else:
        lines += [
            f"  features    {state['n_features_in']}   latent_dim {params['latent_dim']}",
            f"  scaling     {state['scaling_mode']}   loss {state['loss']}",
        ]
    if history.get("epoch"):
        lines.append(
            f"  trained     {history['epoch'][-1]} epochs in {state['training_time']:.1f}s; "
            f"final train loss {history['train_loss'][-1]:.5g}"
        )
    lines.append("  parameters  " + ", ".join(f"{k}={v!r}" for k, v in params.items()))
    return lines


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
