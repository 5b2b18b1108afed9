"""Training across processes with PyTorch's own engine: torchrun + DistributedDataParallel.

Under ``torchrun`` (which sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the
rendezvous address) the training loop joins the process group (gloo on CPU, nccl on
CUDA), wraps the loss in DistributedDataParallel and gives each rank its share of
every global batch, so ``batch_size`` means the same as in one process and the
gradients are those of the whole batch. Every rank holds the data and takes the same
decisions (same seed, same batch plan, the slowest rank's clock); rank 0 alone draws
the progress bar and writes files. Outside torchrun nothing here does anything.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Group:
    rank: int
    world: int


def launched() -> bool:
    """Whether this process was started by torchrun with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def join(device: torch.device) -> Group | None:
    """Join torchrun's process group (once per process) when launched by it."""
    if not launched():
        return None
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend)
        atexit.register(_leave)
    return Group(dist.get_rank(), dist.get_world_size())


def _leave() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def is_main() -> bool:
    """Rank 0, or a process that is not part of a distributed run."""
    return not dist.is_initialized() or dist.get_rank() == 0


def local_device() -> str | None:
    """``cuda:LOCAL_RANK`` for a torchrun process on a machine with CUDA, else None."""
    if launched() and torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return None


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


class LossModule(nn.Module):
    """The loss as a module's ``forward``, which DistributedDataParallel needs to see
    for its gradient synchronisation (aekit's losses call encode / decode directly)."""

    def __init__(self, network: nn.Module, loss_fn):
        super().__init__()
        self.network = network
        self.loss_fn = loss_fn

    def forward(self, batch: torch.Tensor, progress: float) -> torch.Tensor:
        return self.loss_fn(self.network, batch, progress)


def wrap(network: nn.Module, loss_fn, device: torch.device) -> nn.Module:
    ids = [device.index or 0] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(LossModule(network, loss_fn), device_ids=ids)


def total(*values: torch.Tensor | float, op: str = "sum") -> list[float]:
    """The sum (or max) of each value over all ranks, as floats."""
    tensor = torch.tensor([float(v) for v in values], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
    return tensor.cpu().tolist()
