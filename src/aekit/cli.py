"""The ``aekit`` command line: the Python API's names, one verb each.

User mistakes (bad data, bad model file, an output that already exists) print one
line to stderr and exit with status 2; only a bug in aekit shows a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from . import __version__, distributed


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


# ---------------------------------------------------------------- helpers
ARRAY_FORMATS = (".npy", ".csv")


def _check_output(path: str | Path, force: bool, formats: Sequence[str] = ()) -> Path:
    """Refuse an output we may not write, before any work is spent on it."""
    path = Path(path)
    if formats and path.suffix.lower() not in formats:
        raise CLIError(
            f"{path}: unknown output format {path.suffix!r} (use {' or '.join(formats)})."
        )
    if path.exists() and not force:
        raise CLIError(f"{path} already exists; pass --force to overwrite it.")
    if path.is_dir():
        raise CLIError(f"{path} is a directory; give a file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_array(path: Path, array: Any, columns: Sequence[str] | None = None) -> None:
    """Write rows as .csv (``columns`` as header) or else as .npy.

    ``array`` is an ndarray (flattened to rows) or a DataFrame, whose column names and
    dtypes the .csv keeps.
    """
    import pandas as pd

    from .model_file import write_atomic

    frame = array if isinstance(array, pd.DataFrame) else None
    if path.suffix.lower() == ".csv":
        if frame is None:
            frame = pd.DataFrame(array.reshape(len(array), -1), columns=columns)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=frame is array or columns is not None)
        write_atomic(path, buffer.getvalue().encode())
    else:
        buffer = io.BytesIO()
        np.save(buffer, array.to_numpy() if frame is not None else array, allow_pickle=False)
        write_atomic(path, buffer.getvalue())


def _first_line(exc: BaseException) -> str:
    # scikit-learn's messages run over several lines; their first line is the summary.
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def _about(source: str) -> Iterator[None]:
    """Name the data file in an estimator's complaint about the data it holds."""
    try:
        yield
    except ValueError as exc:
        message = _first_line(exc)
        raise CLIError(message if source in message else f"{source}: {message}") from None


def _progress(args: argparse.Namespace) -> bool:
    if getattr(args, "quiet", False):
        return False
    return bool(getattr(args, "verbose", False) or sys.stderr.isatty())


# ---------------------------------------------------------------- verbs
# Estimator parameters that `aekit train` takes as flags (each flag's dest is the name).
_TRAIN_PARAMS = (
    "latent_dim",
    "hidden_dims",
    "image_shape",
    "noise",
    "noise_type",
    "sparsity",
    "contractive",
    "epochs",
    "batch_size",
    "learning_rate",
    "max_time",
    "validation_fraction",
    "random_state",
    "device",
    "precision",
    "checkpoint_dir",
    "resume",
    "on_divergence",
)
_AE_ONLY = ("sparsity_target",)
_VAE_ONLY = ("beta", "kl_warmup", "free_bits")
_TEXT_PARAMS = ("tokenizer", "vocab_size", "max_length", "variational", "word_dropout")
_TEXT_PARAMS += ("synthetic",)
_AUDIO_PARAMS = ("sample_rate", "duration", "n_mels", "n_fft", "hop_length", "standardize")
_AUDIO_PARAMS += ("augment",)
_AUDIO_FLAGS = (*_AUDIO_PARAMS, "skip_bad")
# What a text model shares with the others; every other image / table flag is refused.
_TEXT_COMMON = ("latent_dim", "epochs", "batch_size", "learning_rate", "max_time")
_TEXT_COMMON += ("validation_fraction", "random_state", "device", "beta", "kl_warmup")
_TEXT_COMMON += ("precision", "checkpoint_dir", "resume", "on_divergence")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _given(args: argparse.Namespace, name: str) -> bool:
    """Whether a flag was set: 0 is a setting (--synthetic 0); None or False is not."""
    value = getattr(args, name)
    return value is not None and value is not False


def _text_estimator(args: argparse.Namespace):
    from .text.autoencoder import TextAutoencoder

    others = _TRAIN_PARAMS + _AE_ONLY + _VAE_ONLY + ("architecture", "contamination", "window")
    refused = [n for n in others if n not in _TEXT_COMMON and getattr(args, n) is not None]
    if refused:
        raise CLIError(f"{_flag(refused[0])} does not apply to --model text.")
    params = {n: getattr(args, n) for n in _TEXT_COMMON + _TEXT_PARAMS if _given(args, n)}
    return TextAutoencoder(**params, verbose=_progress(args))


def _audio_estimator(args: argparse.Namespace):
    """An AudioAutoencoder around the conv model (a VAE with --variational) that the
    other flags describe."""
    from .audio.autoencoder import AudioAutoencoder

    fixed = ("image_shape", "contamination", "window", "column")
    refused = [n for n in (*_TEXT_PARAMS, *fixed) if n != "variational" and _given(args, n)]
    if refused:
        raise CLIError(f"{_flag(refused[0])} does not apply to --model audio.")
    architecture = args.architecture or "conv"
    inner = _array_estimator(args, "vae" if args.variational else architecture, architecture)
    params = {n: getattr(args, n) for n in _AUDIO_PARAMS if _given(args, n)}
    if "augment" in params:
        params["augment"] = tuple(params["augment"])
    return AudioAutoencoder(autoencoder=inner, **params, verbose=inner.verbose)


def _estimator(args: argparse.Namespace):
    """The estimator that --model (and --architecture) ask for, with the flags given."""
    if args.model == "text":
        return _text_estimator(args)
    if args.model == "audio":
        return _audio_estimator(args)
    for names, kind in ((_TEXT_PARAMS + ("column",), "text"), (_AUDIO_FLAGS, "audio")):
        given = [n for n in names if _given(args, n)]
        if given:
            raise CLIError(f"{_flag(given[0])} applies to --model {kind} only.")
    return _array_estimator(args, args.model, args.architecture)


def _array_estimator(args: argparse.Namespace, model: str | None, architecture: str | None):
    """An Autoencoder (``model`` dense, conv or None) or a VariationalAutoencoder
    (``model`` vae) with the flags given."""
    from .autoencoder import Autoencoder
    from .variational import VariationalAutoencoder

    if model == "vae":
        cls = VariationalAutoencoder
        refused = [name for name in _AE_ONLY if getattr(args, name) is not None]
    else:
        cls = Autoencoder
        if model and architecture and model != architecture:
            raise CLIError(
                f"--model {model} and --architecture {architecture} disagree; "
                "give one (--architecture is for --model vae)."
            )
        refused = [name for name in _VAE_ONLY if getattr(args, name) is not None]
        architecture = architecture or model
    if refused:
        kind = "a variational" if cls is Autoencoder else "a non-variational"
        raise CLIError(
            f"{_flag(refused[0])} applies to {kind} model only (see aekit train --help)."
        )
    names = _TRAIN_PARAMS + (_VAE_ONLY if cls is VariationalAutoencoder else _AE_ONLY)
    given = {name: getattr(args, name) for name in names}
    if architecture is not None:
        given["architecture"] = architecture
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items() if v is not None}
    return cls(**params, verbose=_progress(args))


def cmd_train(args: argparse.Namespace) -> None:
    out = _check_output(args.output, args.force)
    if args.resume and args.checkpoint_dir is None:  # where an interrupted run left it
        args.checkpoint_dir = _checkpoint_dir(args, out)
    # Flags left out keep the estimator's own defaults: they are defined once, there.
    model = autoencoder = _estimator(args)
    # A bad flag is about the flag, not the data: say so before reading any.
    for part in (autoencoder, getattr(autoencoder, "autoencoder", None)):
        if part is not None:
            part._validate_params()
            if hasattr(part, "_check_settings"):
                part._check_settings()
    if args.window is not None and args.contamination is None:
        raise CLIError("--window is a detector setting: give --contamination too.")
    if args.contamination is not None:
        from .anomaly import AnomalyDetector

        model = AnomalyDetector(
            autoencoder,
            contamination=_auto_or(args.contamination, float, "--contamination"),
            window=_auto_or(args.window, int, "--window"),
        )
        model._validate_params()
    X = _read(args.data, model, args.column, skip_bad=args.skip_bad)
    with _about(args.data), _stop_on_signals(_checkpoint_dir(args, out)):
        model.fit(X)
    model.save(out)  # rank 0 only, under torchrun
    distributed.barrier()  # the other ranks wait for the file, then end quietly
    if not distributed.is_main():
        return
    fitted = _autoencoder_of(model)
    h = fitted.history_
    print(
        f"trained {len(h['epoch'])} epochs in {fitted.training_time_:.1f}s; "
        f"train loss {h['train_loss'][-1]:.5g}; wrote {out}"
    )


def _checkpoint_dir(args: argparse.Namespace, out: Path) -> str:
    """--checkpoint-dir, or MODEL.checkpoint next to the model file."""
    return args.checkpoint_dir or f"{out}.checkpoint"


@contextmanager
def _stop_on_signals(checkpoint_dir: str) -> Iterator[None]:
    """SIGINT / SIGTERM end training after its current step with a checkpoint in
    ``checkpoint_dir`` (see :func:`main` for the message and exit status)."""
    from .training import request_stop

    def handler(signum: int, frame: Any) -> None:
        request_stop(signum, checkpoint_dir)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        request_stop(None)


def _auto_or(text: str | None, kind: type, flag: str) -> Any:
    """A flag's value: "auto" (also when left out) or a number of ``kind``."""
    if text is None or text == "auto":
        return "auto"
    try:
        return kind(text)
    except ValueError:
        raise CLIError(f"{flag} must be 'auto' or a number; got {text!r}.") from None


def _autoencoder_of(model: Any) -> Any:
    """The autoencoder inside a fitted detector or audio model, or the model itself."""
    return getattr(model, "autoencoder_", model)


def _load_model(path: str, *, unwrap: bool = True) -> Any:
    """Load a model file; a detector stands for its autoencoder unless ``unwrap`` is off."""
    from .anomaly import AnomalyDetector
    from .model_file import load

    model = load(path)
    return model.autoencoder_ if unwrap and isinstance(model, AnomalyDetector) else model


def _is_text(model: Any) -> bool:
    from .text.autoencoder import TextAutoencoder

    return isinstance(model, TextAutoencoder)


def _is_audio(model: Any) -> bool:
    from .audio.autoencoder import AudioAutoencoder

    return isinstance(model, AudioAutoencoder)


def _read(source: str, model: Any, column: str | None = None, skip_bad: bool = False) -> Any:
    """What ``model`` takes from ``source``: texts for a text model, clips for an audio
    model, else an array."""
    from .data import read_data, read_texts

    if column is not None and not _is_text(model):
        raise CLIError("--column picks the text column of a table: it is for text models.")
    if skip_bad and not _is_audio(model):
        raise CLIError("--skip-bad leaves out unreadable audio files: it is for audio models.")
    if _is_text(model):
        return read_texts(source, column)
    if _is_audio(model):
        return _read_clips(source, skip_bad)
    return read_data(source)


def _read_clips(source: str, skip_bad: bool) -> list[tuple[Any, int]]:
    """The clips of a folder (or one file) as (wave, rate) pairs; with ``skip_bad``
    unreadable files are left out and counted instead of stopping the run."""
    from .audio.clips import audio_files, read_clip

    path = Path(source)
    if not path.exists():
        raise CLIError(f"{source}: no such file or folder.")
    files = audio_files(path) if path.is_dir() else [path]
    clips, bad = [], []
    for file in files:
        try:
            clips.append(read_clip(file))
        except ValueError as exc:
            if not skip_bad:
                raise ValueError(f"{_first_line(exc)} (--skip-bad leaves such files out)") from None
            bad.append(file)
    if bad:
        print(f"skipped {len(bad)} unreadable audio file(s), first {bad[0]}", file=sys.stderr)
    if not clips:
        raise CLIError(f"{source}: no readable audio clips.")
    return clips


def _model_and_data(
    model_path: str,
    source: str,
    *,
    unwrap: bool = True,
    column: str | None = None,
    skip_bad: bool = False,
) -> tuple[Any, Any]:
    model = _load_model(model_path, unwrap=unwrap)
    return model, _read(source, model, column, skip_bad)


def _streams(model: Any, source: str, out: Path) -> bool:
    """Whether ``.npy`` in and out can go a block of rows at a time (any size of file)."""
    plain = not (_is_text(model) or _is_audio(model)) and getattr(model, "table_", None) is None
    return plain and source.lower().endswith(".npy") and out.suffix.lower() == ".npy"


def _stream(model: Any, method: str, source: str, out: Path, row_shape: tuple[int, ...]) -> int:
    """``model.method`` over the rows of the ``.npy`` file ``source`` into ``out``, a
    block at a time, in constant memory; the number of rows."""
    from .streaming import npy_layout, npy_writer, read_npy_blocks

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
    from .data import read_data

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


def _write_clips(folder: str, force: bool, waves: Sequence[Any], rate: int) -> None:
    """One WAV per waveform, 0000.wav, 0001.wav, ... in ``folder`` (made if missing)."""
    import io

    from .audio.clips import write_clip
    from .model_file import write_atomic

    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise CLIError(f"{out}: audio is written as one WAV per clip into a folder, not a file.")
    names = [out / f"{i:04d}.wav" for i in range(len(waves))]
    taken = [n for n in names if n.exists()]
    if taken and not force:
        raise CLIError(f"{taken[0]} exists; use --force to overwrite.")
    out.mkdir(parents=True, exist_ok=True)
    for name, wave in zip(names, waves, strict=True):
        buffer = io.BytesIO()
        write_clip(buffer, wave, rate)
        write_atomic(name, buffer.getvalue())
    print(f"wrote {len(waves)} WAV files ({rate} Hz) to {out}/")


def _audio_metrics(model: Any, clips: list[Any]) -> dict[str, Any]:
    return {
        "n_samples": len(clips),
        "logmel_mse": -model.score(clips),  # on the standardised log-mel spectrogram
        "spectral_convergence": float(np.mean(model.spectral_convergence(clips))),
        "latent_dim": int(model.autoencoder_.latent_dim),
    }


def _write_texts(path: Path, texts: Sequence[str]) -> None:
    from .model_file import write_atomic

    # One text per line: a line break inside a text would split it in two.
    lines = [" ".join(t.splitlines()) for t in texts]
    write_atomic(path, "".join(f"{line}\n" for line in lines).encode("utf-8"))


def _text_metrics(model: Any, texts: list[str]) -> dict[str, Any]:
    from .text.metrics import exact_match, word_accuracy

    rebuilt = model.reconstruct(texts)
    return {
        "n_samples": len(texts),
        "word_accuracy": word_accuracy(texts, rebuilt),
        "exact_match": exact_match(texts, rebuilt),
        "token_cross_entropy": -model.score(texts),  # mean per text, nats per token
        "latent_dim": int(model.latent_dim),
    }


def cmd_evaluate(args: argparse.Namespace) -> None:
    from .variational import VariationalAutoencoder

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


def _print_metrics(metrics: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(metrics, indent=2))
    else:
        for key, value in metrics.items():
            print(f"{key:28s}{value:.6g}" if isinstance(value, float) else f"{key:28s}{value}")


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
            from .anomaly import reconstruction_scores

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
    from .figures import image_shape_of, save_image_grid

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
    from .report import write_report

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
    from .data import BUILTIN_LABELS, read_labels, read_texts

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
    from .export import check_exportable, export_onnx

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
    from .model_file import read_header

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
    from .demo import run_demo

    run_demo(
        output_dir=args.output,
        latent_dim=args.latent_dim,
        max_time=args.max_time,
        seed=args.seed,
        force=args.force,
        verbose=_progress(args),
    )


# ---------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (with where to look), like every error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aekit", description="Autoencoders as an everyday tool.")
    parser.add_argument("--version", action="version", version=f"aekit {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def add(name: str, func, help: str) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    def skip_bad(p: Any) -> None:
        p.add_argument(
            "--skip-bad", action="store_true", help="audio: skip unreadable files, count them"
        )

    def progress_flags(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--quiet", action="store_true", help="no progress bar")
        group.add_argument("--verbose", action="store_true", help="progress bar even when piped")

    p = add("demo", cmd_demo, "train on scikit-learn's digits and compare with PCA")
    p.add_argument(
        "-o", "--output", default=None, help="output folder (default: a new aekit-demo*)"
    )
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--max-time", type=float, default=30.0, help="training budget in seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    progress_flags(p)

    p = add("train", cmd_train, "train an autoencoder on DATA and save it")
    p.add_argument(
        "data", metavar="DATA", help="file (.npy .npz .csv .parquet IDX) or data set name"
    )
    p.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file to write")
    p.add_argument("--latent-dim", type=int, help="code width")
    p.add_argument(
        "--model",
        choices=["dense", "conv", "vae", "text", "audio"],
        help="dense (default), conv, vae, text (DATA: .txt, one text per line, or .csv/.tsv) "
        "or audio (DATA: a folder of .wav/.flac/.ogg)",
    )
    p.add_argument("--column", help="text: the column of a .csv/.tsv that holds the texts")
    p.add_argument(
        "--architecture", choices=["dense", "conv"], help="network of a vae (default dense)"
    )
    p.add_argument("--hidden-dims", type=int, nargs="+", metavar="N")
    p.add_argument("--image-shape", type=int, nargs="+", metavar="N", help="H W or C H W")
    family = p.add_argument_group("variants (combine freely)")
    family.add_argument("--noise", type=float, help="denoising: corruption level while training")
    family.add_argument("--noise-type", choices=["gaussian", "masking", "salt_pepper"])
    family.add_argument("--sparsity", type=float, help="weight of the L1 (or KL) code penalty")
    family.add_argument("--sparsity-target", type=float, help="target mean activation (KL form)")
    family.add_argument("--contractive", type=float, help="weight of the Jacobian penalty")
    family.add_argument("--beta", type=float, help="vae: weight of the KL term")
    family.add_argument("--kl-warmup", type=float, help="vae: share of the run to ramp beta")
    family.add_argument("--free-bits", type=float, help="vae: KL nats per unit left unpenalised")
    text = p.add_argument_group("text models (--model text)")
    text.add_argument("--tokenizer", choices=["bpe", "word", "char"], help="default bpe")
    text.add_argument("--vocab-size", type=int, help="largest vocabulary (bpe, word)")
    text.add_argument("--max-length", type=int, help="tokens kept per text")
    text.add_argument("--variational", action="store_true", help="a VAE (text, audio)")
    text.add_argument("--word-dropout", type=float, help="share of decoder inputs hidden")
    text.add_argument("--synthetic", type=int, help="extra random-word training texts")
    audio = p.add_argument_group("audio models (--model audio)")
    audio.add_argument("--sample-rate", type=int, help="Hz (default: the data's)")
    audio.add_argument("--duration", type=float, help="seconds per clip (default: the data's)")
    audio.add_argument("--n-mels", type=int, help="mel bands (default 40)")
    audio.add_argument("--n-fft", type=int, help="FFT window in samples (default ~32 ms)")
    audio.add_argument("--hop-length", type=int, help="samples between frames")
    audio.add_argument("--standardize", choices=["bands", "clip"], help="default bands")
    audio.add_argument(
        "--augment", type=float, nargs="+", metavar="F", help="also learn clips at these speeds"
    )
    skip_bad(audio)
    p.add_argument(
        "--contamination",
        metavar="auto|F",
        help="save an AnomalyDetector: expected share of outliers in DATA, or auto",
    )
    p.add_argument(
        "--window",
        metavar="auto|N",
        help="detector: side of the pixel neighbourhood the error is averaged over",
    )
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--max-time", type=float, help="training budget in seconds")
    p.add_argument("--validation-fraction", type=float)
    p.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    p.add_argument("--precision", choices=["fp32", "bf16"], help="bf16: autocast (GPUs)")
    p.add_argument(
        "--checkpoint-dir", help="write a checkpoint there after every epoch (and on SIGINT)"
    )
    p.add_argument(
        "--on-divergence", choices=["raise", "skip"], help="a NaN or inf loss: stop or skip"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="go on from the checkpoint (--checkpoint-dir, default MODEL.checkpoint)",
    )
    p.add_argument("--seed", type=int, dest="random_state", metavar="N", help="reproducible on CPU")
    p.add_argument("--force", action="store_true", help="overwrite MODEL if it exists")
    progress_flags(p)

    p = add("encode", cmd_encode, "write the codes of DATA")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--column", help="text models: the text column of a .csv/.tsv")
    skip_bad(p)
    p.add_argument("-o", "--output", required=True, help="codes file (.npy or .csv)")
    p.add_argument("--force", action="store_true")

    p = add("decode", cmd_decode, "write the reconstructions decoded from CODES")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("codes", metavar="CODES", help="codes file (.npy .npz .csv)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file (.npy or .csv; .txt for text; a folder of WAVs for audio)",
    )
    p.add_argument("--force", action="store_true")

    p = add("evaluate", cmd_evaluate, "reconstruction error of MODEL on DATA")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--column", help="text models: the text column of a .csv/.tsv")
    skip_bad(p)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("score", cmd_score, "normality score of each row of DATA (higher is more normal)")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="DATA")
    p.add_argument("--column", help="text models: the text column of a .csv/.tsv")
    skip_bad(p)
    p.add_argument("-o", "--output", required=True, help="scores.csv (or .npy)")
    p.add_argument(
        "--threshold",
        type=float,
        help="scores below it are outliers (label -1); default: a detector's offset_",
    )
    p.add_argument("--force", action="store_true")

    p = add("sample", cmd_sample, "generate data from a variational MODEL")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="samples.png (image grid), .npy or .csv; .txt for text; a folder for audio",
    )
    p.add_argument("--seed", type=int, default=None, help="reproducible samples")
    p.add_argument("--force", action="store_true")

    p = add("report", cmd_report, "write a self-contained HTML report on MODEL and DATA")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("data", metavar="DATA")
    p.add_argument(
        "--labels",
        metavar="COL_OR_FILE",
        help="classes of DATA: a column of it, a file (.npy .txt .csv), or 'target' for a "
        "built-in data set",
    )
    p.add_argument("--column", help="text models: the text column of a .csv/.tsv")
    skip_bad(p)
    p.add_argument("-o", "--output", required=True, help="report.html")
    p.add_argument("--force", action="store_true")

    p = add("export", cmd_export, "write MODEL as encoder.onnx and decoder.onnx")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the files")
    p.add_argument("--force", action="store_true", help="replace existing .onnx files")

    p = add("info", cmd_info, "describe a model file without loading its weights")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--json", action="store_true", help="print the whole header as JSON")
    return parser


def _interrupted(exc: BaseException) -> str:
    """What an interrupted run left behind and how to go on."""
    name = signal.Signals(exc.signal).name if getattr(exc, "signal", None) else "interrupted"
    history = getattr(exc, "history", None)
    done = f" after {len(history['epoch'])} epoch(s)" if history else ""
    checkpoint = getattr(exc, "checkpoint", None)
    if checkpoint is None:
        return f"{name}{done}; no model file was written."
    folder = Path(checkpoint).parent
    return (
        f"{name}{done}; no model file was written. Checkpoint: {checkpoint}. To go on, "
        f"run the same command with --checkpoint-dir {folder} --resume"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def one_line(message, category, *rest, **kw) -> str:  # not Python's file:line form
        return f"aekit {args.verb}: warning: {message}\n"

    python_format, warnings.formatwarning = warnings.formatwarning, one_line
    try:
        args.func(args)
    except (CLIError, ValueError, OSError) as exc:
        # ValueError covers aekit's own errors (bad data, bad model file, bad
        # parameter): all name the problem, so the message alone is the whole story.
        message = _first_line(exc)
        print(f"aekit {args.verb}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"aekit {args.verb}: {_interrupted(exc)}", file=sys.stderr)
        return 128 + (getattr(exc, "signal", None) or signal.SIGINT)
    finally:
        warnings.formatwarning = python_format
    return 0


if __name__ == "__main__":
    sys.exit(main())
