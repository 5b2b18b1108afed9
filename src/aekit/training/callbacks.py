"""Callbacks: everything around the training loop, each concern a small object.

The loop (:func:`aekit.training.train`) only runs epochs of batches; it calls each
callback's hooks with itself (a :class:`aekit.training.Loop`), whose attributes they
read and set: ``module``, ``optimizer``, ``settings``, ``epoch``, ``step``,
``progress`` (0 -> 1 over the run), ``lr``, ``logs`` (the finished epoch's
``train_loss``, ``val_loss``...), ``history`` and ``stop`` (set it to end training
after the current batch). Keras' callbacks and skorch's ``notify`` are the model.

Estimators take ``callbacks=[...]``, run after the built-in ones::

    aekit.Autoencoder(callbacks=[aekit.callbacks.TensorBoard("runs/ae")]).fit(X)

A callback that must survive a resume gives itself a ``state_key`` and
``state_dict() -> (json, tensors)`` / ``load_state_dict(json, tensors)``.
"""

from __future__ import annotations

import copy
import math
import signal
import threading
from pathlib import Path
from typing import Any

import torch

from ..errors import warn_user
from .checkpoint import load_checkpoint, path_in
from .distributed import is_main, total


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite; the last good weights have been restored."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped early: Ctrl-C, or a signal caught by :class:`SignalStop`.

    The module holds the best weights so far; ``history`` the finished epochs;
    ``checkpoint`` the file to resume from (None without one); ``signal`` the signal
    number that asked for the stop (None for a plain KeyboardInterrupt).
    """

    def __init__(self, history: dict[str, list[float]], checkpoint: Any, signal: int | None):
        super().__init__("training interrupted")
        self.history, self.checkpoint, self.signal = history, checkpoint, signal


class Callback:
    """Base class: every hook does nothing; override the ones you need."""

    def on_train_begin(self, loop: Any) -> None: ...
    def on_epoch_begin(self, loop: Any) -> None: ...
    def on_batch_begin(self, loop: Any) -> None: ...
    def on_batch_end(self, loop: Any) -> None: ...
    def on_epoch_end(self, loop: Any) -> None: ...
    def on_train_end(self, loop: Any) -> None:
        """Called however training ends (also on an exception)."""


def _weights(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return copy.deepcopy(module.state_dict())


def learning_rate_factor(progress: float, warmup: float) -> float:
    """Linear warm-up to 1, then cosine decay to 0; ``progress`` runs from 0 to 1."""
    if progress < warmup:
        return progress / warmup
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (progress - warmup) / (1.0 - warmup))))


class TimeBudget(Callback):
    """``max_time`` seconds: the schedule's progress follows the clock when it is
    further along than the steps, and training stops (after at least one step) when
    the time is spent. Under torchrun the slowest rank's clock counts, so all stop alike."""

    def __init__(self, max_time: float):
        self.max_time = max_time

    def on_batch_begin(self, loop: Any) -> None:
        elapsed = loop.elapsed()
        if loop.ranks is not None:
            (elapsed,) = total(elapsed, op="max")
        if elapsed >= self.max_time and loop.step > 0:
            loop.stop = True
        loop.progress = max(loop.progress, elapsed / self.max_time)


class LRSchedule(Callback):
    """Linear warm-up over ``warmup`` of the run, then a cosine to zero."""

    def __init__(self, learning_rate: float, warmup: float):
        self.learning_rate, self.warmup = learning_rate, warmup

    def _set(self, loop: Any, progress: float) -> None:
        loop.lr = self.learning_rate * learning_rate_factor(progress, self.warmup)

    def on_epoch_begin(self, loop: Any) -> None:  # the last step's rate, until a step
        self._set(loop, loop.step / loop.total_steps)

    def on_batch_begin(self, loop: Any) -> None:
        self._set(loop, loop.progress)
        for group in loop.optimizer.param_groups:
            group["lr"] = loop.lr


class History(Callback):
    """``history``: per epoch ``epoch``, ``train_loss``, ``val_loss`` (NaN without
    validation), ``learning_rate``, elapsed ``time`` (and ``skipped_batches``)."""

    state_key = "history"

    def __init__(self, count_skipped: bool = False):
        self.count_skipped = count_skipped
        self.history: dict[str, list[float]] = {
            "epoch": [], "train_loss": [], "val_loss": [], "learning_rate": [], "time": []
        }  # fmt: skip

    def on_epoch_end(self, loop: Any) -> None:
        logs, h = loop.logs, self.history
        for key, value in (("epoch", loop.epoch), ("train_loss", logs["train_loss"]),
                           ("val_loss", logs["val_loss"]), ("learning_rate", loop.lr),
                           ("time", loop.elapsed())):  # fmt: skip
            h[key].append(value)
        if self.count_skipped:
            h.setdefault("skipped_batches", []).append(logs["skipped"])

    def state_dict(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {"history": self.history}, {}

    def load_state_dict(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.history.clear()
        self.history.update(state["history"])


class DivergenceGuard(Callback):
    """A NaN or infinite epoch loss: restore the weights of the last finite epoch (the
    initial ones before any) and raise :class:`TrainingDiverged`."""

    state_key = "divergence"

    def on_train_begin(self, loop: Any) -> None:
        self.fallback = _weights(loop.module)

    def _fail(self, loop: Any, message: str) -> None:
        loop.module.load_state_dict(self.fallback)
        raise TrainingDiverged(message)

    def on_epoch_end(self, loop: Any) -> None:
        loss = loop.logs["train_loss"]
        if loop.logs["seen"] == 0:
            self._fail(loop, f"every batch of epoch {loop.epoch} had a NaN or infinite loss; "
                       "the last good weights were restored. Check the data, or lower "
                       "learning_rate.")  # fmt: skip
        if not math.isfinite(loss):
            self._fail(loop, f"training diverged at epoch {loop.epoch} (loss is {loss}); the "
                       "last good weights were restored. Try a lower learning_rate, or "
                       "on_divergence='skip' to leave out batches with a NaN or infinite "
                       "loss.")  # fmt: skip
        self.fallback = _weights(loop.module)

    def state_dict(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {}, self.fallback

    def load_state_dict(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.fallback = tensors


class EarlyStopping(Callback):
    """Stop after ``patience`` epochs without a better validation loss; the best
    weights are put back however training ends."""

    state_key = "early_stopping"

    def __init__(self, patience: int):
        self.patience = patience
        self.best_loss, self.bad_epochs, self.best = math.inf, 0, None

    def on_epoch_end(self, loop: Any) -> None:
        if loop.logs["val_loss"] < self.best_loss:
            self.best_loss, self.bad_epochs = loop.logs["val_loss"], 0
            self.best = _weights(loop.module)
        else:
            self.bad_epochs += 1
        loop.stop = loop.stop or self.bad_epochs >= self.patience

    def on_train_end(self, loop: Any) -> None:
        if self.best is not None:
            loop.module.load_state_dict(self.best)

    def state_dict(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        best = None if math.isinf(self.best_loss) else self.best_loss
        return {"best_loss": best, "bad_epochs": self.bad_epochs}, self.best or {}

    def load_state_dict(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        best = state.get("best_loss")
        self.best_loss = math.inf if best is None else best
        self.bad_epochs, self.best = state.get("bad_epochs", 0), tensors or None


class ProgressBar(Callback):
    """A tqdm bar over percent of the run as the schedule sees it (steps or time,
    whichever is further along), with epoch, loss, val_loss and time left."""

    def on_train_begin(self, loop: Any) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=100, unit="%", leave=False, dynamic_ncols=True)

    def on_batch_end(self, loop: Any) -> None:
        if loop.step % 20 == 0:  # a host sync for the running loss: not every step
            self.bar.update(min(100, int(100 * loop.progress)) - self.bar.n)
            self.bar.set_postfix(epoch=loop.epoch + 1, loss=f"{loop.running_loss():.4g}")

    def on_epoch_end(self, loop: Any) -> None:
        post = {"epoch": loop.epoch, "loss": f"{loop.logs['train_loss']:.4g}"}
        if loop.X_val is not None:
            post["val_loss"] = f"{loop.logs['val_loss']:.4g}"
        if loop.settings.max_time is not None:
            post["time_left"] = f"{max(0.0, loop.settings.max_time - loop.elapsed()):.0f}s"
        self.bar.set_postfix(post, refresh=True)

    def on_train_end(self, loop: Any) -> None:
        if hasattr(self, "bar"):
            self.bar.close()


class Checkpoint(Callback):
    """A checkpoint in ``folder`` after every epoch; with ``resume``, training first goes
    back to the one there (a warning when there is none). Put last: it saves the
    state of the callbacks before it."""

    def __init__(self, folder: str | Path, resume: bool = False):
        self.folder, self.resume = Path(folder), resume

    def on_train_begin(self, loop: Any) -> None:
        if not self.resume:
            return
        if path_in(self.folder).is_file():
            load_checkpoint(self.folder, loop)
            return
        warn_user(f"resume: no checkpoint in {self.folder}; training starts from the beginning.")

    def on_epoch_end(self, loop: Any) -> None:
        loop.save_checkpoint(self.folder)


class SignalStop(Callback):
    """SIGINT / SIGTERM end training after the current step: a checkpoint is written
    (to the run's ``checkpoint_dir``, else to ``folder``) and
    :class:`TrainingInterrupted` raised. The handlers are in place only while training
    runs, and only in the main thread; :meth:`request` asks for the same stop."""

    def __init__(self, folder: str | Path | None = None):
        self.folder, self.signum, self._previous = folder, None, {}

    def request(self, signum: int, frame: Any = None) -> None:
        self.signum = signum

    def on_train_begin(self, loop: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self.request)

    def on_batch_end(self, loop: Any) -> None:
        if self.signum is None:
            return
        folder = loop.settings.checkpoint_dir or self.folder
        saved = loop.save_checkpoint(folder) if folder is not None else loop.last_checkpoint
        raise TrainingInterrupted(loop.history, saved, self.signum)

    def on_train_end(self, loop: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}


class TensorBoard(Callback):
    """Loss, validation loss and learning rate per epoch to TensorBoard event files in
    ``log_dir`` (``torch.utils.tensorboard``; needs the ``tensorboard`` package).

    Examples
    --------
    >>> import aekit                                          # doctest: +SKIP
    >>> aekit.Autoencoder(callbacks=[aekit.callbacks.TensorBoard("runs/ae")]).fit(X)
    """

    def __init__(self, log_dir: str | Path):
        self.log_dir = log_dir

    def on_train_begin(self, loop: Any) -> None:
        self.writer = None
        if is_main():
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.log_dir))

    def on_epoch_end(self, loop: Any) -> None:
        if self.writer is None:
            return
        for tag, value in (("loss/train", loop.logs["train_loss"]),
                           ("loss/validation", loop.logs["val_loss"]),
                           ("learning_rate", loop.lr)):  # fmt: skip
            if math.isfinite(value):
                self.writer.add_scalar(tag, value, loop.epoch)
        self.writer.flush()

    def on_train_end(self, loop: Any) -> None:
        if getattr(self, "writer", None) is not None:
            self.writer.close()


def default_callbacks(settings: Any, validation: bool) -> list[Callback]:
    """The built-in callbacks a run's settings ask for, in the order they act."""
    s = settings
    out: list[Callback] = [DivergenceGuard(), History(s.on_divergence == "skip")]
    if s.max_time is not None:
        out.append(TimeBudget(s.max_time))
    out.append(LRSchedule(s.learning_rate, s.warmup))
    if validation:
        out.append(EarlyStopping(s.patience))
    if s.verbose and is_main():
        out.append(ProgressBar())
    return out


__all__ = [
    "Callback",
    "Checkpoint",
    "DivergenceGuard",
    "EarlyStopping",
    "History",
    "LRSchedule",
    "ProgressBar",
    "SignalStop",
    "TensorBoard",
    "TimeBudget",
    "TrainingDiverged",
    "TrainingInterrupted",
    "learning_rate_factor",
]
