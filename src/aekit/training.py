"""The training loop: the one place where any aekit model is optimised.

Every estimator hands :func:`train` a network, a loss closure and tensors already on
the target device. Batches come from indexing those tensors with each epoch's batch
plan: a shuffled permutation, or length buckets for text (no per-sample DataLoader);
the optimiser is Adam, fused where PyTorch
offers it; the learning rate warms up, then follows a cosine to zero over the run,
where "the run" is whichever of the epoch budget and the time budget ends first, so a
``max_time`` run still finishes on a small learning rate.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn
from tqdm.auto import tqdm

from . import distributed

# loss_fn(module, batch, progress): progress runs from 0 to 1 over the run (for warm-ups
# such as a VAE's KL weight); evaluation passes 1. The module's train/eval mode tells
# the loss whether to corrupt its input.
LossFn = Callable[[nn.Module, torch.Tensor, float], torch.Tensor]
# batches(n, batch_size, generator): one epoch's batches as index tensors; shuffled
# consecutive slices by default, length buckets for text.
Batches = Callable[[int, int, torch.Generator], list[torch.Tensor]]


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A random permutation of ``range(n)`` cut into consecutive batches."""
    order = torch.randperm(n, generator=generator)
    return list(order.split(batch_size))


@dataclass
class TrainSettings:
    """What the loop needs; estimators fill it from their (public, defaulted) parameters."""

    epochs: int  # upper bound on passes over the data
    batch_size: int
    learning_rate: float  # peak learning rate, reached after warm-up
    max_time: float | None = None  # seconds; training stops cleanly once spent
    patience: int = 10  # epochs without validation improvement before stopping
    warmup: float = 0.02  # share of the run spent ramping the learning rate up
    clip_grad: float | None = None  # max gradient norm (recurrent networks need one)
    verbose: bool = False  # tqdm progress bar with the running loss
    precision: str = "fp32"  # "bf16": forward passes under bfloat16 autocast


# The training parameters every estimator takes, as scikit-learn constraints.
TRAINING_CONSTRAINTS: dict[str, list] = {
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "max_time": [None, Interval(Real, 0, None, closed="neither")],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "device": [str],
    "precision": [StrOptions({"fp32", "bf16"})],
    "verbose": ["verbose"],
}


def resolve_device(device: str) -> torch.device:
    """Map ``"auto"`` to CUDA when present, else CPU; check an explicit choice exists here."""
    if device == "auto":
        # Under torchrun each process takes the GPU of its local rank.
        local = distributed.local_device()
        if local is not None:
            return torch.device(local)
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"device={device!r} is not a device name; use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from None
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (resolved.index or 0) >= count:
            raise ValueError(
                f"device={device!r} was requested but this machine has {count} CUDA device(s)."
            )
    elif resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device='mps' was requested but MPS is not available here.")
    elif resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r} is not supported; use 'auto', 'cpu' or 'cuda'.")
    return resolved


def learning_rate_factor(progress: float, warmup: float) -> float:
    """Linear warm-up to 1, then cosine decay to 0; ``progress`` runs from 0 to 1."""
    if progress < warmup:
        return progress / warmup
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (progress - warmup) / (1.0 - warmup))))


def _make_optimizer(module: nn.Module, lr: float) -> torch.optim.Optimizer:
    # The fused kernel updates all parameters in one pass over memory: about 10-15 % of
    # a dense training step on CPU compared with the per-tensor default.
    try:
        return torch.optim.Adam(module.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(module.parameters(), lr=lr)


@torch.no_grad()
def evaluate(module: nn.Module, loss_fn: LossFn, X: torch.Tensor, batch_size: int = 4096) -> float:
    """Mean of ``loss_fn`` over ``X``, in batches, weighted by batch size."""
    module.eval()
    total = torch.zeros((), device=X.device)
    for start in range(0, len(X), batch_size):
        xb = X[start : start + batch_size]
        total += loss_fn(module, xb, 1.0) * len(xb)
    return float(total) / len(X)


def _shard_loss(
    ddp: nn.Module, X: torch.Tensor, index: torch.Tensor, progress: float, ranks: Any
) -> tuple[torch.Tensor, float, int]:
    """One rank's part of a global batch: the loss on its rows (every world-th), the
    weight that makes DDP's gradient average the gradient of the whole batch's mean
    loss, and the number of rows it stands for."""
    local = index[ranks.rank :: ranks.world]
    weight = ranks.world * len(local) / len(index)
    if len(local) == 0:  # a last batch smaller than the world: take part with weight 0
        return ddp(X[index[:1]], progress), 0.0, 0
    return ddp(X[local], progress), weight, len(local)


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite; the last good weights have been restored."""


def train(
    module: nn.Module,
    loss_fn: LossFn,
    X: torch.Tensor,
    X_val: torch.Tensor | None = None,
    *,
    settings: TrainSettings,
    generator: torch.Generator,
    batches: Batches = shuffled_batches,
) -> dict[str, list[float]]:
    """Optimise ``module`` on ``X`` and return the per-epoch history.

    With ``X_val`` given, training stops early after ``settings.patience`` epochs
    without improvement of the validation loss and the best weights are restored.
    """
    start_time = time.perf_counter()
    s = settings
    ranks = distributed.join(X.device)  # None unless launched by torchrun
    ddp = distributed.wrap(module, loss_fn, X.device) if ranks else None
    optimizer = _make_optimizer(module, s.learning_rate)
    n = len(X)
    total_steps = s.epochs * math.ceil(n / s.batch_size)
    history: dict[str, list[float]] = {
        "epoch": [],
        "train_loss": [],
        "val_loss": [],
        "learning_rate": [],
        "time": [],
    }
    best_loss, best_state, bad_epochs = math.inf, None, 0
    # Weights to fall back on if the loss diverges: the best so far under validation,
    # else those of the last finished epoch.
    fallback = copy.deepcopy(module.state_dict())
    step = 0
    # The bar counts percent of the run as the schedule sees it (steps or time, whichever
    # is further along), so it ends at 100 % under max_time too.
    verbose = s.verbose and distributed.is_main()
    bf16 = s.precision == "bf16"

    def autocast():  # weights and optimiser stay float32; only the forward pass is bf16
        return torch.autocast(X.device.type, dtype=torch.bfloat16, enabled=bf16)

    bar = tqdm(total=100, disable=not verbose, unit="%", leave=False, dynamic_ncols=True)
    try:
        for epoch in range(s.epochs):
            module.train()
            running = torch.zeros((), device=X.device)
            seen = 0
            out_of_time = False
            plan = batches(n, s.batch_size, generator)
            # One host-to-device copy of the epoch's indices, not one per step.
            plan = torch.cat(plan).to(X.device).split([len(b) for b in plan])
            for index in plan:
                elapsed = time.perf_counter() - start_time
                if ranks and s.max_time is not None:  # every rank stops on the same step
                    (elapsed,) = distributed.total(elapsed, op="max")
                # At least one step, so even a spent budget leaves a trained model.
                if s.max_time is not None and elapsed >= s.max_time and step > 0:
                    out_of_time = True
                    break
                progress = (step + 1) / total_steps
                if s.max_time is not None:
                    progress = max(progress, elapsed / s.max_time)
                lr = s.learning_rate * learning_rate_factor(progress, s.warmup)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                optimizer.zero_grad(set_to_none=True)
                with autocast():
                    if ranks:
                        loss, weight, n_rows = _shard_loss(ddp, X, index, progress, ranks)
                    else:
                        loss, weight, n_rows = loss_fn(module, X[index], progress), 1.0, len(index)
                (loss * weight if weight != 1.0 else loss).backward()
                if s.clip_grad is not None:
                    nn.utils.clip_grad_norm_(module.parameters(), s.clip_grad)
                optimizer.step()
                running += loss.detach() * n_rows
                seen += n_rows
                step += 1
                if verbose and step % 20 == 0:
                    bar.update(min(100, int(100 * progress)) - bar.n)
                    bar.set_postfix(epoch=epoch + 1, loss=f"{float(running) / seen:.4g}")
            if ranks:  # the epoch's loss over every rank's rows
                running, seen = distributed.total(running, seen)
            if seen == 0:
                break
            train_loss = float(running) / seen
            if not math.isfinite(train_loss):
                module.load_state_dict(best_state or fallback)
                raise TrainingDiverged(
                    f"training diverged at epoch {epoch + 1} (loss is {train_loss}); the last "
                    "good weights were restored. Try a lower learning_rate."
                )
            val_loss = evaluate(module, loss_fn, X_val) if X_val is not None else math.nan
            history["epoch"].append(epoch + 1)
            history["train_loss"].append(train_loss)
            history["val_loss"].append(val_loss)
            history["learning_rate"].append(lr)
            history["time"].append(time.perf_counter() - start_time)
            if verbose:
                post = {"epoch": epoch + 1, "loss": f"{train_loss:.4g}"}
                if X_val is not None:
                    post["val_loss"] = f"{val_loss:.4g}"
                if s.max_time is not None:
                    left = max(0.0, s.max_time - history["time"][-1])
                    post["time_left"] = f"{left:.0f}s"
                bar.set_postfix(post, refresh=True)
            if X_val is None:
                fallback = copy.deepcopy(module.state_dict())
            else:
                if val_loss < best_loss:
                    best_loss, bad_epochs = val_loss, 0
                    best_state = copy.deepcopy(module.state_dict())
                else:
                    bad_epochs += 1
                if bad_epochs >= s.patience:
                    break
            if out_of_time:
                break
    finally:
        bar.close()
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return history
