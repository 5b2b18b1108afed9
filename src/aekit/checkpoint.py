"""Training checkpoints: everything the loop needs to go on exactly where it stopped.

One file, ``checkpoint.safetensors`` in the checkpoint folder, written atomically at
the end of every epoch (and when a run is interrupted): the network, Adam's state, the
random generators (batch order, corruption, torch's global one), the epoch's batch plan
and position when stopped mid-epoch, the history and the early-stopping state. Tensors
are safetensors, the rest a JSON header, so, like model files, loading runs no code.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as dump_tensors

from .model_file import write_atomic

FILE = "checkpoint.safetensors"
VERSION = 1


@dataclass
class LoopState:
    """The training loop's own variables, saved and restored as they are."""

    epoch: int = 0  # the epoch under way (0-based)
    position: int = 0  # batches of that epoch already done
    plan: list[torch.Tensor] | None = None  # that epoch's batches, once drawn
    running: float = 0.0  # summed loss of that epoch's finished batches (x rows)
    seen: int = 0  # rows in them
    skipped: int = 0  # that epoch's batches left out for a NaN or infinite loss
    step: int = 0  # optimiser steps over the whole run
    best_loss: float = math.inf
    bad_epochs: int = 0
    best_state: dict[str, torch.Tensor] | None = None
    fallback: dict[str, torch.Tensor] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)


def path_in(folder: str | os.PathLike) -> Path:
    return Path(folder) / FILE


def save_checkpoint(
    folder: str | os.PathLike,
    state: LoopState,
    module: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    generators: dict[str, torch.Generator],
    fingerprint: dict[str, Any],
) -> Path:
    """Write the checkpoint for ``state`` into ``folder`` (created if needed)."""
    tensors: dict[str, torch.Tensor] = {}
    for prefix, weights in (("network", module.state_dict()), ("fallback", state.fallback)):
        tensors.update({f"{prefix}.{k}": v for k, v in weights.items()})
    if state.best_state is not None:
        tensors.update({f"best.{k}": v for k, v in state.best_state.items()})
    adam = optimizer.state_dict()
    for index, slots in adam["state"].items():
        for key, value in slots.items():
            tensors[f"adam.{index}.{key}"] = torch.as_tensor(value)
    for name, gen in generators.items():
        tensors[f"rng.{name}"] = gen.get_state()
    tensors["rng.torch"] = torch.get_rng_state()
    if state.plan is not None:
        tensors["plan.rows"] = torch.cat(state.plan).cpu()
        tensors["plan.sizes"] = torch.tensor([len(b) for b in state.plan])
    header = {
        "version": VERSION,
        "fingerprint": fingerprint,
        "adam_groups": adam["param_groups"],
        "loop": {
            "epoch": state.epoch,
            "position": state.position,
            "running": state.running,
            "seen": state.seen,
            "skipped": state.skipped,
            "step": state.step,
            "best_loss": None if math.isinf(state.best_loss) else state.best_loss,
            "bad_epochs": state.bad_epochs,
            "history": state.history,
        },
    }
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = path_in(folder)
    write_atomic(path, dump_tensors(tensors, metadata={"aekit_checkpoint": json.dumps(header)}))
    return path


def load_checkpoint(
    folder: str | os.PathLike,
    module: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    generators: dict[str, torch.Generator],
    fingerprint: dict[str, Any],
) -> LoopState:
    """Restore ``module``, ``optimizer`` and ``generators`` from the checkpoint in
    ``folder`` and return the loop's state; a ValueError if it is damaged or belongs
    to another run."""
    path = path_in(folder)
    try:
        raw = path.read_bytes()
        with open(path, "rb") as f:
            length = int.from_bytes(f.read(8), "little")
            meta = json.loads(f.read(length)).get("__metadata__", {})
        header = json.loads(meta["aekit_checkpoint"])
        tensors = load_tensors(raw)
    except (OSError, ValueError, KeyError, SafetensorError) as exc:
        raise ValueError(f"{path}: not a readable aekit checkpoint ({exc}).") from None
    if header.get("version") != VERSION:
        raise ValueError(f"{path}: checkpoint format {header.get('version')}, expected {VERSION}.")
    if header["fingerprint"] != fingerprint:
        diff = {k: (header["fingerprint"].get(k), v) for k, v in fingerprint.items()
                if header["fingerprint"].get(k) != v}  # fmt: skip
        raise ValueError(
            f"{path} was written by a different training run ({diff}: checkpoint, now); "
            "resume with the same data and settings, or use another checkpoint folder."
        )

    def part(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}

    module.load_state_dict(part("network"))
    slots: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in part("adam").items():
        index, name = key.split(".", 1)
        slots.setdefault(int(index), {})[name] = value  # load_state_dict places them
    optimizer.load_state_dict({"state": slots, "param_groups": header["adam_groups"]})
    for name, gen in generators.items():
        gen.set_state(tensors[f"rng.{name}"])
    torch.set_rng_state(tensors["rng.torch"])
    loop = header["loop"]
    plan = None
    if "plan.rows" in tensors:
        plan = list(tensors["plan.rows"].split(tensors["plan.sizes"].tolist()))
    best = part("best")
    return LoopState(
        epoch=loop["epoch"],
        position=loop["position"],
        plan=plan,
        running=loop["running"],
        seen=loop["seen"],
        skipped=loop["skipped"],
        step=loop["step"],
        best_loss=math.inf if loop["best_loss"] is None else loop["best_loss"],
        bad_epochs=loop["bad_epochs"],
        best_state=best or None,
        fallback=part("fallback"),
        history=loop["history"],
    )
