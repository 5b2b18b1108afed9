"""The one training loop: schedule, stopping, divergence."""

import math

import pytest
import torch

from aekit.callbacks import Callback
from aekit.networks import build_network
from aekit.training import TrainingDiverged, TrainSettings, learning_rate_factor, train


def _mse(net, xb, progress=1.0):
    return torch.nn.functional.mse_loss(net(xb), xb)


def test_schedule_warms_up_then_decays_to_zero():
    assert learning_rate_factor(0.0, 0.1) == 0.0
    assert learning_rate_factor(0.05, 0.1) == pytest.approx(0.5)
    assert learning_rate_factor(0.1, 0.1) == pytest.approx(1.0)
    assert learning_rate_factor(0.55, 0.1) == pytest.approx(0.5)
    assert learning_rate_factor(1.0, 0.1) == pytest.approx(0.0, abs=1e-12)
    values = [learning_rate_factor(p / 100, 0.1) for p in range(10, 101)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))


def test_history_records_every_epoch_and_final_lr_is_small():
    torch.manual_seed(0)
    net = build_network("dense", n_features=6, latent_dim=2, hidden_dims=(8,))
    X = torch.rand(64, 6)
    h = train(
        net,
        _mse,
        X,
        settings=TrainSettings(epochs=5, batch_size=16, learning_rate=1e-2),
        generator=torch.Generator().manual_seed(0),
    )
    assert h["epoch"] == [1, 2, 3, 4, 5]
    assert h["learning_rate"][-1] < 0.1 * max(h["learning_rate"])
    assert all(math.isnan(v) for v in h["val_loss"])
    assert not net.training  # left in eval mode


def test_divergence_restores_weights_and_says_what_to_do():
    torch.manual_seed(0)
    net = build_network("dense", n_features=4, latent_dim=2, hidden_dims=(4,))
    X = torch.rand(32, 4)
    calls = {"n": 0}

    def exploding(net, xb, progress):
        calls["n"] += 1
        loss = _mse(net, xb)
        return loss * float("nan") if calls["n"] > 4 else loss

    class AfterEpochOne(Callback):  # the last good weights: the first epoch's
        def on_epoch_end(self, loop):
            self.weights = {k: v.clone() for k, v in loop.module.state_dict().items()}

    good = AfterEpochOne()
    settings = TrainSettings(epochs=10, batch_size=8, learning_rate=1e-3, callbacks=(good,))
    with pytest.raises(TrainingDiverged, match="learning_rate"):
        train(net, exploding, X, settings=settings, generator=torch.Generator().manual_seed(0))
    assert calls["n"] == 8  # epoch 2 ran on NaN losses: its weights are not finite
    restored = net.state_dict()
    assert all(torch.equal(restored[k], v) for k, v in good.weights.items())


def test_on_divergence_skip_leaves_out_bad_batches_and_counts_them():
    torch.manual_seed(0)
    net = build_network("dense", n_features=4, latent_dim=2, hidden_dims=(4,))
    X = torch.rand(64, 4)
    X[7] = float("inf")  # one poisoned row: its batch's loss is not finite

    settings = TrainSettings(epochs=4, batch_size=8, learning_rate=1e-2, on_divergence="skip")
    history = train(net, _mse, X, settings=settings, generator=torch.Generator().manual_seed(0))
    assert history["skipped_batches"] == [1, 1, 1, 1]
    assert all(math.isfinite(v) for v in history["train_loss"])
    assert all(torch.isfinite(p).all() for p in net.parameters())
    with pytest.raises(TrainingDiverged, match="on_divergence='skip'"):
        settings = TrainSettings(epochs=4, batch_size=8, learning_rate=1e-2)
        train(net, _mse, X, settings=settings, generator=torch.Generator().manual_seed(0))


def test_skip_still_stops_when_every_batch_is_bad():
    net = build_network("dense", n_features=4, latent_dim=2, hidden_dims=(4,))
    X = torch.full((16, 4), float("nan"))
    settings = TrainSettings(epochs=2, batch_size=8, learning_rate=1e-2, on_divergence="skip")
    with pytest.raises(TrainingDiverged, match="every batch of epoch 1"):
        train(net, _mse, X, settings=settings, generator=torch.Generator().manual_seed(0))
