"""The training loop: the one place where any aekit model is optimised.

Every estimator hands :func:`train` a network, a loss closure and tensors already on
the target device. Batches come from indexing those tensors with each epoch's batch
plan: a shuffled permutation, or length buckets for text (no per-sample DataLoader);
the optimiser is Adam, fused where PyTorch offers it. Everything around the loop --
the learning-rate schedule, the time budget, early stopping, the divergence guard,
checkpoints, the progress bar, signals, logging -- is a callback
(:mod:`aekit.callbacks`); the loop itself runs epochs of steps and notifies them.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..params import LOOP_NAMES, TRAINING
from .callbacks import (
    Checkpoint,
    History,
    TrainingDiverged,
    TrainingInterrupted,
    default_callbacks,
    learning_rate_factor,
)
from .checkpoint import save_checkpoint
from .distributed import is_main, join, total, wrap

# loss_fn(module, batch, progress): progress runs from 0 to 1 over the run (for warm-ups
# such as a VAE's KL weight); evaluation passes 1. The module's train/eval mode tells
# the loss whether to corrupt its input.
LossFn = Callable[[nn.Module, torch.Tensor, float], torch.Tensor]
# batches(n, batch_size, generator): one epoch's batches as index tensors; shuffled
# consecutive slices by default, length buckets for text.
Batches = Callable[[int, int, torch.Generator], list[torch.Tensor]]

# The loop's settings: the training parameters it reads (declared once, in aekit.params,
# with their defaults), and two that estimators set for their networks.
TrainSettings = dataclasses.make_dataclass(
    "TrainSettings",
    [(p.name, p.annotation, dataclasses.field(default=p.default))
     for p in TRAINING if p.name in LOOP_NAMES]
    + [("warmup", float, 0.02),  # share of the run spent ramping the learning rate up
       ("clip_grad", float | None, None)],  # max gradient norm (recurrent networks need one)
)  # fmt: skip
TrainSettings.__module__ = __name__
TrainSettings.__doc__ = "What the loop needs; :func:`settings_of` fills it from an estimator."


def settings_of(estimator: Any, max_time: float | None, **extra: Any) -> Any:
    """The settings of an estimator that has the loop's parameters, with ``max_time``
    (what is left of its budget) and any ``extra`` fields."""
    values = {name: getattr(estimator, name) for name in LOOP_NAMES}
    values["checkpoint_dir"] = (
        None if values["checkpoint_dir"] is None else str(values["checkpoint_dir"])
    )
    return TrainSettings(**{**values, "verbose": bool(values["verbose"]), "max_time": max_time,
                            "callbacks": tuple(values["callbacks"] or ()), **extra})  # fmt: skip


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A random permutation of ``range(n)`` cut into consecutive batches."""
    order = torch.randperm(n, generator=generator)
    return list(order.split(batch_size))


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


class Loop:
    """One training run: what the callbacks see and the steps they surround.

    Counters (``epoch``, ``position`` in the epoch's ``plan``, ``step``, the epoch's
    ``running`` loss over ``seen`` rows and ``skipped`` batches) are what a checkpoint
    keeps; ``logs`` holds the finished epoch's results, ``stop`` ends the run.
    """

    def __init__(self, module, loss_fn, X, X_val, settings, generator, batches, callbacks):
        self.start_time = time.perf_counter()
        self.module, self.loss_fn, self.X, self.X_val = module, loss_fn, X, X_val
        self.settings, self.batches = settings, batches
        self.ranks = join(X.device)  # None unless launched by torchrun
        self.ddp = wrap(module, loss_fn, X.device) if self.ranks else None
        self.optimizer = _make_optimizer(module, settings.learning_rate)
        self.generators = {"plan": generator}  # what a checkpoint must restore
        if getattr(loss_fn, "generator", None) is not None:
            self.generators["objective"] = loss_fn.generator
        self.total_steps = settings.epochs * math.ceil(len(X) / settings.batch_size)
        self.epoch = self.position = self.seen = self.skipped = self.step = 0
        self.running, self.plan, self.progress, self.lr = 0.0, None, 0.0, settings.learning_rate
        self.logs: dict[str, Any] = {}
        self.stop, self.last_checkpoint = False, None
        self.callbacks = [*default_callbacks(settings, X_val is not None), *callbacks]
        if settings.checkpoint_dir is not None:  # last: it saves the others' state
            self.callbacks.append(Checkpoint(settings.checkpoint_dir, settings.resume))
        self.history = next(cb.history for cb in self.callbacks if isinstance(cb, History))

    def notify(self, hook: str) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start_time

    def running_loss(self) -> float:
        return float(self.running) / max(self.seen, 1)

    def save_checkpoint(self, folder: str | Path) -> Path | None:
        if is_main():
            self.last_checkpoint = save_checkpoint(folder, self)
        return self.last_checkpoint

    def begin_epoch(self) -> list[torch.Tensor]:
        """The epoch's batches (a resumed epoch keeps its plan), on the data's device."""
        self.module.train()
        if self.plan is None:
            self.plan = self.batches(len(self.X), self.settings.batch_size, self.generators["plan"])
            self.position, self.running, self.seen = 0, 0.0, 0
        self.running = torch.tensor(self.running, device=self.X.device)
        # One host-to-device copy of the epoch's indices, not one per step.
        return torch.cat(self.plan).to(self.X.device).split([len(b) for b in self.plan])

    def run_step(self, index: torch.Tensor) -> None:
        """One optimisation step on the rows ``index`` (this rank's share under DDP)."""
        s = self.settings
        self.optimizer.zero_grad(set_to_none=True)
        bf16 = s.precision == "bf16"  # weights and Adam stay float32: only the forward
        with torch.autocast(self.X.device.type, dtype=torch.bfloat16, enabled=bf16):
            if self.ranks:
                loss, weight, n_rows = _shard_loss(self, index)
            else:
                loss = self.loss_fn(self.module, self.X[index], self.progress)
                weight, n_rows = 1.0, len(index)
        self.position += 1
        if s.on_divergence == "skip" and _not_finite(loss, self.ranks):  # a host sync: only here
            self.skipped += 1
            return
        (loss * weight if weight != 1.0 else loss).backward()
        if s.clip_grad is not None:
            nn.utils.clip_grad_norm_(self.module.parameters(), s.clip_grad)
        self.optimizer.step()
        self.running += loss.detach() * n_rows
        self.seen += n_rows
        self.step += 1

    def end_epoch(self) -> bool:
        """Close the epoch: its losses into ``logs``, the counters on; False when it
        saw no rows and skipped none (the time ran out before its first step)."""
        running, seen = self.running, self.seen
        if self.ranks:  # the epoch's loss over every rank's rows
            running, seen = total(running, seen)
        if seen == 0 and not self.skipped:
            return False
        val = math.nan if self.X_val is None else evaluate(self.module, self.loss_fn, self.X_val)
        self.logs = {"train_loss": float(running) / seen if seen else math.nan, "val_loss": val,
                     "seen": seen, "skipped": self.skipped}  # fmt: skip
        self.epoch, self.plan, self.position, self.skipped = self.epoch + 1, None, 0, 0
        return True


def train(
    module: nn.Module,
    loss_fn: LossFn,
    X: torch.Tensor,
    X_val: torch.Tensor | None = None,
    *,
    settings: Any,
    generator: torch.Generator,
    batches: Batches = shuffled_batches,
) -> dict[str, list[float]]:
    """Optimise ``module`` on ``X`` and return the per-epoch history.

    With ``X_val`` given, training stops early after ``settings.patience`` epochs
    without improvement of the validation loss and the best weights are restored.
    """
    loop = Loop(module, loss_fn, X, X_val, settings, generator, batches, settings.callbacks)
    try:
        loop.notify("on_train_begin")
        while loop.epoch < settings.epochs and not loop.stop:
            plan = loop.begin_epoch()
            loop.notify("on_epoch_begin")
            while loop.position < len(plan):
                loop.progress = (loop.step + 1) / loop.total_steps
                loop.notify("on_batch_begin")
                if loop.stop:
                    break
                loop.run_step(plan[loop.position])
                loop.notify("on_batch_end")
            if not loop.end_epoch():
                break
            loop.notify("on_epoch_end")
    except KeyboardInterrupt as exc:
        # Interrupted inside a step (Ctrl-C in Python), the last epoch's checkpoint, if
        # any, is still the one to resume from; the best weights come back below.
        if isinstance(exc, TrainingInterrupted):
            raise
        raise TrainingInterrupted(loop.history, loop.last_checkpoint, None) from exc
    finally:
        loop.notify("on_train_end")
        module.eval()
    return loop.history


def _not_finite(loss: torch.Tensor, ranks: Any) -> bool:
    """Whether the batch loss is NaN or infinite (on any rank, under torchrun)."""
    bad = float(not torch.isfinite(loss.detach()).item())
    return bool(total(bad, op="max")[0]) if ranks else bool(bad)


def _shard_loss(loop: Loop, index: torch.Tensor) -> tuple[torch.Tensor, float, int]:
    """One rank's part of a global batch: the loss on its rows (every world-th), the
    weight that makes DDP's gradient average the gradient of the whole batch's mean
    loss, and the number of rows it stands for."""
    ranks = loop.ranks
    local = index[ranks.rank :: ranks.world]
    weight = ranks.world * len(local) / len(index)
    if len(local) == 0:  # a last batch smaller than the world: take part with weight 0
        return loop.ddp(loop.X[index[:1]], loop.progress), 0.0, 0
    return loop.ddp(loop.X[local], loop.progress), weight, len(local)


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


def check_resume(checkpoint_dir: Any, resume: bool) -> None:
    """``resume`` needs a folder to resume from."""
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, the folder of the checkpoint.")


__all__ = [
    "Loop",
    "TrainSettings",
    "TrainingDiverged",
    "TrainingInterrupted",
    "check_resume",
    "evaluate",
    "learning_rate_factor",
    "settings_of",
    "shuffled_batches",
    "train",
    "train_estimator",
]
