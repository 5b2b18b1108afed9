"""Training checkpoints: everything the loop needs to go on exactly where it stopped.

One file, ``checkpoint.safetensors`` in the checkpoint folder, written atomically at
the end of every epoch (and when a run is interrupted): the network, Adam's state, the
random generators (batch order, corruption, torch's global one), the epoch's batch plan
and position when stopped mid-epoch, and the state of every callback that keeps one
(history, early stopping, the divergence guard's fallback weights). Tensors are
safetensors, the rest a JSON header, so, like model files, loading runs no code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as dump_tensors

from ..saving.files import HeaderError, metadata_entry, read_safetensors_header, write_atomic

FILE = "checkpoint.safetensors"
VERSION = 2
_COUNTERS = ("epoch", "position", "running", "seen", "skipped", "step")


def path_in(folder: str | os.PathLike) -> Path:
    return Path(folder) / FILE


def fingerprint(loop: Any) -> dict[str, Any]:
    """What must match for a checkpoint to belong to this run."""
    s = loop.settings
    return {"rows": len(loop.X), "batch_size": s.batch_size, "epochs": s.epochs,
            "learning_rate": s.learning_rate, "network": type(loop.module).__name__,
            "parameters": sum(p.numel() for p in loop.module.parameters())}  # fmt: skip


def _stateful(loop: Any) -> dict[str, Any]:
    return {cb.state_key: cb for cb in loop.callbacks if getattr(cb, "state_key", None)}


def save_checkpoint(folder: str | os.PathLike, loop: Any) -> Path:
    """Write the checkpoint of ``loop`` (a :class:`aekit.training.Loop`) into ``folder``."""
    tensors = {f"network.{k}": v for k, v in loop.module.state_dict().items()}
    adam = loop.optimizer.state_dict()
    for index, slots in adam["state"].items():
        for key, value in slots.items():
            tensors[f"adam.{index}.{key}"] = torch.as_tensor(value)
    for name, gen in loop.generators.items():
        tensors[f"rng.{name}"] = gen.get_state()
    tensors["rng.torch"] = torch.get_rng_state()
    if loop.plan is not None:
        tensors["plan.rows"] = torch.cat(loop.plan).cpu()
        tensors["plan.sizes"] = torch.tensor([len(b) for b in loop.plan])
    callbacks = {}
    for key, cb in _stateful(loop).items():
        callbacks[key], own = cb.state_dict()
        tensors.update({f"cb.{key}.{k}": v for k, v in own.items()})
    header = {
        "version": VERSION,
        "fingerprint": fingerprint(loop),
        "adam_groups": adam["param_groups"],
        "loop": {name: float(getattr(loop, name)) if name == "running" else getattr(loop, name)
                 for name in _COUNTERS},
        "callbacks": callbacks,
    }  # fmt: skip
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = path_in(folder)
    write_atomic(path, dump_tensors(tensors, metadata={"aekit_checkpoint": json.dumps(header)}))
    return path


def load_checkpoint(folder: str | os.PathLike, loop: Any) -> None:
    """Put ``loop`` (weights, optimiser, generators, counters, callbacks) back where the
    checkpoint in ``folder`` left it; a ValueError if it is damaged or belongs to
    another run."""
    path = path_in(folder)
    try:
        raw = path.read_bytes()
        with open(path, "rb") as f:
            meta, _ = read_safetensors_header(f, len(raw))
        header = metadata_entry(meta, "aekit_checkpoint")
        tensors = load_tensors(raw)
    except (OSError, HeaderError, SafetensorError) as exc:
        raise ValueError(f"{path}: not a readable aekit checkpoint ({exc}).") from None
    if header.get("version") != VERSION:
        raise ValueError(f"{path}: checkpoint format {header.get('version')}, expected {VERSION}.")
    now = fingerprint(loop)
    if header["fingerprint"] != now:
        diff = {k: (header["fingerprint"].get(k), v) for k, v in now.items()
                if header["fingerprint"].get(k) != v}  # fmt: skip
        raise ValueError(
            f"{path} was written by a different training run ({diff}: checkpoint, now); "
            "resume with the same data and settings, or use another checkpoint folder."
        )

    def part(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}

    loop.module.load_state_dict(part("network"))
    slots: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in part("adam").items():
        index, name = key.split(".", 1)
        slots.setdefault(int(index), {})[name] = value  # load_state_dict places them
    loop.optimizer.load_state_dict({"state": slots, "param_groups": header["adam_groups"]})
    for name, gen in loop.generators.items():
        gen.set_state(tensors[f"rng.{name}"])
    torch.set_rng_state(tensors["rng.torch"])
    for name in _COUNTERS:
        setattr(loop, name, header["loop"][name])
    loop.plan = None
    if "plan.rows" in tensors:
        loop.plan = list(tensors["plan.rows"].split(tensors["plan.sizes"].tolist()))
    for key, cb in _stateful(loop).items():
        cb.load_state_dict(header["callbacks"].get(key, {}), part(f"cb.{key}"))
