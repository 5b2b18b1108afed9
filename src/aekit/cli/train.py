"""``aekit train``: flags to an estimator (through its modality's plug-in), fitting
with a signal stop, the model file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..modality import READ_FLAGS, about, autoencoder_of, flag, modality_for_model, models
from ..saving.outputs import check_output
from ..training.callbacks import SignalStop
from ..training.distributed import barrier, is_main
from .common import CLIError, _progress, read_options


def given_flags(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    """The flags of ``names`` that were set: 0 is a setting (--synthetic 0); None or
    False (a switch left off) is not."""
    values = {n: v for n in names if (v := getattr(args, n, None)) is not None and v is not False}
    return {n: tuple(v) if isinstance(v, list) else v for n, v in values.items()}


def build_estimator(args: argparse.Namespace) -> Any:
    """The estimator that --model asks for, with the flags given; a flag the model does
    not take is an error naming it."""
    plugin = modality_for_model(args.model)
    params = given_flags(args, args.train_flags)
    accepted = plugin.accepts(args.model)
    for name in params:
        if name not in accepted:
            owners = [m for m, p in models().items() if name in p.accepts(m)]
            raise CLIError(plugin.refusal(args.model, name, owners))
    for name in READ_FLAGS:
        params.pop(name, None)
    return plugin.estimator(args.model, {**params, "verbose": _progress(args)})


def cmd_train(args: argparse.Namespace) -> None:
    out = check_output(args.output, args.force)
    if args.resume and args.checkpoint_dir is None:  # where an interrupted run left it
        args.checkpoint_dir = _checkpoint_dir(args, out)
    # Flags left out keep the estimator's own defaults: they are defined once, there.
    model = build_estimator(args)
    # A bad flag is about the flag, not the data: say so before reading any.
    for part in (model, getattr(model, "autoencoder", None)):
        if part is not None:
            part._validate_params()
            part._check_settings()
    X = modality_for_model(args.model).read(args.data, **read_options(args))
    # SIGINT / SIGTERM: stop after the step with a checkpoint (see main for the message).
    model.set_params(callbacks=[SignalStop(_checkpoint_dir(args, out))])
    with about(args.data):
        model.fit(X)
    model.save(out)  # rank 0 only, under torchrun
    barrier()  # the other ranks wait for the file, then end quietly
    if not is_main():
        return
    fitted = autoencoder_of(model)
    h = fitted.history_
    print(
        f"trained {len(h['epoch'])} epochs in {fitted.training_time_:.1f}s; "
        f"train loss {h['train_loss'][-1]:.5g}; wrote {out}"
    )


def _checkpoint_dir(args: argparse.Namespace, out: Path) -> str:
    """--checkpoint-dir, or MODEL.checkpoint next to the model file."""
    return args.checkpoint_dir or f"{out}.checkpoint"


def add_train_flags(p: argparse.ArgumentParser) -> list[str]:
    """The flags of every parameter the plug-ins declare, grouped by modality; the
    names they set."""
    from ..modality import plugins
    from ..params import TRAINING

    names: list[str] = []

    def add(group: Any, params: list[Any]) -> None:
        for param in params:
            if param.flag is None or param.name in names:
                continue
            kwargs = {k: v for k, v in param.flag.items() if k != "flags"}
            kwargs.update(dest=param.name, default=None, help=param.help())
            group.add_argument(*param.flag.get("flags", (flag(param.name),)), **kwargs)
            names.append(param.name)

    add(p.add_argument_group("training"), list(TRAINING))
    for plugin in plugins():
        title = f"{plugin.name} models (--model {', '.join(plugin.models)})"
        add(p.add_argument_group(title), plugin.parameters())
    return names + list(READ_FLAGS) + ["architecture"]
