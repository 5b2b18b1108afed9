"""Each callback on its own (against a stand-in loop), then through the real loop."""

import math
import os
import signal
from types import SimpleNamespace

import numpy as np
import pytest
import torch

import aekit
from aekit import callbacks as cb
from aekit.networks import build_network
from aekit.training import TrainSettings, train


def fake_loop(**kw):
    net = torch.nn.Linear(2, 2)
    defaults = dict(module=net, step=1, progress=0.0, stop=False, epoch=1, lr=0.0,
                    total_steps=10, ranks=None, logs={}, elapsed=lambda: 0.0,
                    optimizer=torch.optim.SGD(net.parameters(), lr=1.0))  # fmt: skip
    return SimpleNamespace(**{**defaults, **kw})


def test_time_budget_stops_after_a_step_and_moves_the_schedule():
    loop = fake_loop(elapsed=lambda: 5.0, step=0, progress=0.1)
    cb.TimeBudget(4.0).on_batch_begin(loop)
    assert not loop.stop and loop.progress == pytest.approx(1.25)  # no step yet: go on
    loop = fake_loop(elapsed=lambda: 1.0, step=3, progress=0.1)
    cb.TimeBudget(4.0).on_batch_begin(loop)
    assert not loop.stop and loop.progress == pytest.approx(0.25)
    loop.elapsed = lambda: 4.0
    cb.TimeBudget(4.0).on_batch_begin(loop)
    assert loop.stop


def test_schedule_sets_the_optimiser_rate():
    loop = fake_loop(progress=0.55)
    cb.LRSchedule(0.2, warmup=0.1).on_batch_begin(loop)
    assert loop.lr == pytest.approx(0.1)  # half way down the cosine
    assert loop.optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    loop.step, loop.total_steps = 0, 10
    cb.LRSchedule(0.2, warmup=0.1).on_epoch_begin(loop)
    assert loop.lr == 0.0  # the last step's rate: none taken, still warming up


def test_history_appends_one_row_an_epoch():
    history = cb.History(count_skipped=True)
    loop = fake_loop(lr=0.5, elapsed=lambda: 2.0)
    for epoch, loss in ((1, 3.0), (2, 2.0)):
        loop.epoch, loop.logs = epoch, {"train_loss": loss, "val_loss": math.nan, "skipped": 1}
        history.on_epoch_end(loop)
    h = history.history
    assert h["epoch"] == [1, 2] and h["train_loss"] == [3.0, 2.0] and h["skipped_batches"] == [1, 1]
    assert h["learning_rate"] == [0.5, 0.5] and h["time"] == [2.0, 2.0]


def test_divergence_guard_restores_the_last_finite_epoch():
    guard, loop = cb.DivergenceGuard(), fake_loop()
    guard.on_train_begin(loop)
    with torch.no_grad():
        loop.module.weight.fill_(1.0)
    loop.logs = {"train_loss": 0.5, "seen": 4}
    guard.on_epoch_end(loop)  # a good epoch: its weights are the fallback now
    with torch.no_grad():
        loop.module.weight.fill_(float("nan"))
    loop.logs = {"train_loss": math.inf, "seen": 4}
    with pytest.raises(cb.TrainingDiverged, match="learning_rate"):
        guard.on_epoch_end(loop)
    assert torch.equal(loop.module.weight, torch.ones(2, 2))
    loop.logs = {"train_loss": math.nan, "seen": 0}
    with pytest.raises(cb.TrainingDiverged, match="every batch of epoch 1"):
        guard.on_epoch_end(loop)


def test_early_stopping_counts_patience_and_puts_the_best_back():
    stopper, loop = cb.EarlyStopping(patience=2), fake_loop()
    for i, val in enumerate([3.0, 2.0, 2.5, 2.6]):
        with torch.no_grad():
            loop.module.weight.fill_(float(i))
        loop.logs = {"val_loss": val}
        stopper.on_epoch_end(loop)
        assert loop.stop == (i == 3), i
    stopper.on_train_end(loop)
    assert torch.equal(loop.module.weight, torch.ones(2, 2))  # epoch 2's, the best
    state, tensors = stopper.state_dict()
    twin = cb.EarlyStopping(patience=2)
    twin.load_state_dict(state, tensors)
    assert (twin.best_loss, twin.bad_epochs) == (2.0, 2) and twin.best.keys() == tensors.keys()


def test_signal_stop_catches_the_signal_only_while_training(tmp_path):
    X = torch.rand(64, 4)
    net = build_network("dense", n_features=4, latent_dim=2, hidden_dims=(4,))
    stop = cb.SignalStop(tmp_path)

    class Kill(cb.Callback):
        def on_batch_end(self, loop):
            if loop.step == 3:
                os.kill(os.getpid(), signal.SIGTERM)

    settings = TrainSettings(epochs=5, batch_size=8, learning_rate=1e-2, callbacks=(Kill(), stop))
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(cb.TrainingInterrupted) as stopped:
        train(net, lambda m, xb, p: (m(xb) - xb).pow(2).mean(), X, settings=settings,
              generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert stopped.value.signal == signal.SIGTERM
    assert stopped.value.checkpoint == tmp_path / "checkpoint.safetensors"
    assert stopped.value.checkpoint.is_file()
    assert signal.getsignal(signal.SIGTERM) is before  # the handler went with the run


def test_checkpoint_warns_when_there_is_nothing_to_resume(tmp_path):
    X = np.random.default_rng(0).random((40, 3))
    with pytest.warns(UserWarning, match="starts from the beginning"):
        aekit.Autoencoder(2, epochs=1, checkpoint_dir=tmp_path / "none", resume=True).fit(X)
    assert (tmp_path / "none" / "checkpoint.safetensors").is_file()  # and writes one


def test_a_users_callback_sees_every_epoch_and_stays_out_of_the_file(tmp_path):
    class Record(cb.Callback):
        def __init__(self):
            self.epochs, self.begun = [], 0

        def on_train_begin(self, loop):
            self.begun += 1

        def on_epoch_end(self, loop):
            self.epochs.append((loop.epoch, loop.logs["train_loss"]))

    record = Record()
    X = np.random.default_rng(0).random((60, 5))
    model = aekit.Autoencoder(2, epochs=4, random_state=0, callbacks=[record]).fit(X)
    assert record.begun == 1 and [e for e, _ in record.epochs] == [1, 2, 3, 4]
    assert [loss for _, loss in record.epochs] == model.history_["train_loss"]
    model.save(tmp_path / "m.aek")
    assert "callbacks" not in aekit.saving.model_file.read_header(tmp_path / "m.aek")["params"]
    assert aekit.load(tmp_path / "m.aek").callbacks == ()


def test_tensorboard_logs_loss_validation_and_rate_per_epoch(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    X = np.random.default_rng(0).random((80, 5))
    board = cb.TensorBoard(tmp_path / "runs")
    model = aekit.Autoencoder(2, epochs=3, random_state=0, callbacks=[board]).fit(X)
    events = EventAccumulator(str(tmp_path / "runs"))
    events.Reload()
    assert set(events.Tags()["scalars"]) == {"loss/train", "loss/validation", "learning_rate"}
    logged = [e.value for e in events.Scalars("loss/train")]
    np.testing.assert_allclose(logged, model.history_["train_loss"], rtol=1e-6)
    assert [e.step for e in events.Scalars("loss/validation")] == [1, 2, 3]
