"""``aekit train``: flags to an estimator, fitting under signal handlers, the model file."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import distributed
from .common import CLIError, _about, _autoencoder_of, _check_output, _progress, _read

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
    from ..text.autoencoder import TextAutoencoder

    others = _TRAIN_PARAMS + _AE_ONLY + _VAE_ONLY + ("architecture", "contamination", "window")
    refused = [n for n in others if n not in _TEXT_COMMON and getattr(args, n) is not None]
    if refused:
        raise CLIError(f"{_flag(refused[0])} does not apply to --model text.")
    params = {n: getattr(args, n) for n in _TEXT_COMMON + _TEXT_PARAMS if _given(args, n)}
    return TextAutoencoder(**params, verbose=_progress(args))


def _audio_estimator(args: argparse.Namespace):
    """An AudioAutoencoder around the conv model (a VAE with --variational) that the
    other flags describe."""
    from ..audio.autoencoder import AudioAutoencoder

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
    from ..autoencoder import Autoencoder
    from ..variational import VariationalAutoencoder

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
        from ..anomaly import AnomalyDetector

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
    from ..training import request_stop

    def handler(signum: int, frame: Any) -> None:
        request_stop(signum, checkpoint_dir)

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
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
