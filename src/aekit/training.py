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
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn
from tqdm.auto import tqdm

from . import distributed
from .checkpoint import LoopState, load_checkpoint, save_checkpoint
from .checkpoint import path_in as checkpoint_path

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
    checkpoint_dir: str | None = None  # a checkpoint there after every epoch
    resume: bool = False  # go on from the checkpoint in checkpoint_dir, if there is one
    on_divergence: str = "raise"  # "skip": leave out batches whose loss is NaN or inf

    @classmethod
    def of(cls, estimator: Any, max_time: float | None, **extra: Any) -> TrainSettings:
        """The settings of an estimator whose parameters include TRAINING_CONSTRAINTS's,
        with ``max_time`` (what is left of its budget) and any ``extra`` fields."""
        e = estimator
        return cls(
            epochs=e.epochs,
            batch_size=e.batch_size,
            learning_rate=e.learning_rate,
            max_time=max_time,
            patience=e.patience,
            verbose=bool(e.verbose),
            precision=e.precision,
            checkpoint_dir=None if e.checkpoint_dir is None else str(e.checkpoint_dir),
            resume=bool(e.resume),
            on_divergence=e.on_divergence,
            **extra,
        )


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
    "checkpoint_dir": [None, str, os.PathLike],
    "resume": ["boolean"],
    "on_divergence": [StrOptions({"raise", "skip"})],
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


def _not_finite(loss: torch.Tensor, ranks: Any) -> bool:
    """Whether the batch loss is NaN or infinite (on any rank, under torchrun)."""
    bad = float(not torch.isfinite(loss.detach()).item())
    return bool(distributed.total(bad, op="max")[0]) if ranks else bool(bad)


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


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped early: Ctrl-C, or a signal passed on by :func:`request_stop`.

    The module holds the best weights so far; ``history`` the finished epochs;
    ``checkpoint`` the file to resume from (None without one); ``signal`` the signal
    number that asked for the stop (None for a plain KeyboardInterrupt).
    """

    def __init__(self, history: dict[str, list[float]], checkpoint: Any, signal: int | None):
        super().__init__("training interrupted")
        self.history, self.checkpoint, self.signal = history, checkpoint, signal


_stop_signal: int | None = None  # set by a signal handler: stop after the current step
_stop_dir: str | None = None  # where that stop's checkpoint goes without checkpoint_dir


def request_stop(signum: int | None, checkpoint_dir: str | None = None) -> None:
    """Ask a running training loop to stop after its current step (``None`` clears it).

    The CLI's SIGINT / SIGTERM handlers call this; the loop then writes a checkpoint
    (to the run's ``checkpoint_dir``, else to ``checkpoint_dir`` given here) and raises
    :class:`TrainingInterrupted`."""
    global _stop_signal, _stop_dir
    _stop_signal, _stop_dir = signum, checkpoint_dir


def check_resume(checkpoint_dir: Any, resume: bool) -> None:
    """``resume`` needs a folder to resume from."""
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, the folder of the checkpoint.")


def _start_state(
    s: TrainSettings,
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    generators: dict[str, torch.Generator],
    fingerprint: dict[str, Any],
) -> LoopState:
    """A fresh loop state, or the one of the checkpoint to resume from."""
    if s.resume and s.checkpoint_dir is not None:
        if checkpoint_path(s.checkpoint_dir).is_file():
            return load_checkpoint(s.checkpoint_dir, module, optimizer, generators, fingerprint)
        warnings.warn(
            f"resume: no checkpoint in {s.checkpoint_dir}; training starts from the beginning.",
            UserWarning,
            stacklevel=4,
        )
    history: dict[str, list[float]] = {
        "epoch": [],
        "train_loss": [],
        "val_loss": [],
        "learning_rate": [],
        "time": [],
    }
    # Weights to fall back on if the loss diverges: the best so far under validation,
    # else those of the last finished epoch.
    return LoopState(fallback=copy.deepcopy(module.state_dict()), history=history)


def train_estimator(estimator: Any, *args: Any, **kwargs: Any) -> None:
    """:func:`train` for an estimator: sets its ``history_`` and ``training_time_``, also
    when training is interrupted, so the estimator stays usable (best weights so far)
    before the :class:`TrainingInterrupted` goes on up."""
    start = time.perf_counter()
    try:
        estimator.history_ = train(*args, **kwargs)
    except TrainingInterrupted as stop:
        estimator.history_ = stop.history
        raise
    finally:
        estimator.training_time_ = time.perf_counter() - start


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
    # Everything a checkpoint must hold to go on bit for bit where the run stopped.
    generators = {"plan": generator}
    if getattr(loss_fn, "generator", None) is not None:
        generators["objective"] = loss_fn.generator
    fingerprint = {"rows": n, "batch_size": s.batch_size, "epochs": s.epochs,
                   "learning_rate": s.learning_rate, "network": type(module).__name__,
                   "parameters": sum(p.numel() for p in module.parameters())}  # fmt: skip
    st = _start_state(s, module, optimizer, generators, fingerprint)
    history = st.history
    saved = None

    def checkpoint(into: str | None) -> None:
        nonlocal saved
        if into is not None and distributed.is_main():
            saved = save_checkpoint(into, st, module, optimizer, generators, fingerprint)

    # The bar counts percent of the run as the schedule sees it (steps or time, whichever
    # is further along), so it ends at 100 % under max_time too.
    verbose = s.verbose and distributed.is_main()
    bf16 = s.precision == "bf16"
    skip_bad = s.on_divergence == "skip"

    def autocast():  # weights and optimiser stay float32; only the forward pass is bf16
        return torch.autocast(X.device.type, dtype=torch.bfloat16, enabled=bf16)

    bar = tqdm(total=100, disable=not verbose, unit="%", leave=False, dynamic_ncols=True)
    # The rate of the last step taken (a run resumed at the end of an epoch logs it).
    lr = s.learning_rate * learning_rate_factor(st.step / total_steps, s.warmup)
    try:
        while st.epoch < s.epochs:
            module.train()
            out_of_time = False
            if st.plan is None:  # a new epoch (a resumed one keeps its plan)
                plan = batches(n, s.batch_size, generator)
                st.plan, st.position, st.running, st.seen = plan, 0, 0.0, 0
            # One host-to-device copy of the epoch's indices, not one per step.
            plan = torch.cat(st.plan).to(X.device).split([len(b) for b in st.plan])
            running = torch.tensor(st.running, device=X.device)
            while st.position < len(plan):
                index = plan[st.position]
                elapsed = time.perf_counter() - start_time
                if ranks and s.max_time is not None:  # every rank stops on the same step
                    (elapsed,) = distributed.total(elapsed, op="max")
                # At least one step, so even a spent budget leaves a trained model.
                if s.max_time is not None and elapsed >= s.max_time and st.step > 0:
                    out_of_time = True
                    break
                progress = (st.step + 1) / total_steps
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
                if skip_bad and _not_finite(loss, ranks):  # one host sync a step, only here
                    st.skipped += 1
                    st.position += 1
                    continue
                (loss * weight if weight != 1.0 else loss).backward()
                if s.clip_grad is not None:
                    nn.utils.clip_grad_norm_(module.parameters(), s.clip_grad)
                optimizer.step()
                running += loss.detach() * n_rows
                st.seen += n_rows
                st.step += 1
                st.position += 1
                if verbose and st.step % 20 == 0:
                    bar.update(min(100, int(100 * progress)) - bar.n)
                    bar.set_postfix(epoch=st.epoch + 1, loss=f"{float(running) / st.seen:.4g}")
                if _stop_signal is not None:  # a signal asked to stop: after this step
                    st.running = float(running)
                    checkpoint(s.checkpoint_dir or _stop_dir)
                    raise TrainingInterrupted(history, saved, _stop_signal)
            seen = st.seen
            if ranks:  # the epoch's loss over every rank's rows
                running, seen = distributed.total(running, seen)
            if seen == 0 and st.skipped:
                module.load_state_dict(st.best_state or st.fallback)
                raise TrainingDiverged(
                    f"every batch of epoch {st.epoch + 1} had a NaN or infinite loss; the last "
                    "good weights were restored. Check the data, or lower learning_rate."
                )
            if seen == 0:
                break
            train_loss = float(running) / seen
            if not math.isfinite(train_loss):
                module.load_state_dict(st.best_state or st.fallback)
                raise TrainingDiverged(
                    f"training diverged at epoch {st.epoch + 1} (loss is {train_loss}); the "
                    "last good weights were restored. Try a lower learning_rate, or "
                    "on_divergence='skip' to leave out batches with a NaN or infinite loss."
                )
            val_loss = evaluate(module, loss_fn, X_val) if X_val is not None else math.nan
            history["epoch"].append(st.epoch + 1)
            history["train_loss"].append(train_loss)
            history["val_loss"].append(val_loss)
            history["learning_rate"].append(lr)
            history["time"].append(time.perf_counter() - start_time)
            if skip_bad:
                history.setdefault("skipped_batches", []).append(st.skipped)
            if verbose:
                post = {"epoch": st.epoch + 1, "loss": f"{train_loss:.4g}"}
                if X_val is not None:
                    post["val_loss"] = f"{val_loss:.4g}"
                if s.max_time is not None:
                    left = max(0.0, s.max_time - history["time"][-1])
                    post["time_left"] = f"{left:.0f}s"
                bar.set_postfix(post, refresh=True)
            stop = out_of_time
            if X_val is None:
                st.fallback = copy.deepcopy(module.state_dict())
            else:
                if val_loss < st.best_loss:
                    st.best_loss, st.bad_epochs = val_loss, 0
                    st.best_state = copy.deepcopy(module.state_dict())
                else:
                    st.bad_epochs += 1
                stop = stop or st.bad_epochs >= s.patience
            st.epoch, st.plan, st.position, st.skipped = st.epoch + 1, None, 0, 0
            checkpoint(s.checkpoint_dir)
            if stop:
                break
    except KeyboardInterrupt as exc:
        # Keep the best weights so far. Interrupted inside a step (Ctrl-C in Python),
        # the last epoch's checkpoint, if any, is still the one to resume from.
        if st.best_state is not None:
            module.load_state_dict(st.best_state)
        module.eval()
        if isinstance(exc, TrainingInterrupted):
            raise
        raise TrainingInterrupted(history, saved, None) from exc
    finally:
        bar.close()
    if st.best_state is not None:
        module.load_state_dict(st.best_state)
    module.eval()
    return history
