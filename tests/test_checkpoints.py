"""Checkpoints, resume and interruption: a stopped run goes on to the very same model."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import load_file

import aekit
from aekit.cli import main
from aekit.training import TrainingInterrupted

FIT = {"latent_dim": 3, "epochs": 12, "batch_size": 32, "random_state": 0}


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return (rng.random((600, 3)) @ rng.random((3, 20))).astype(np.float32)


class StopAt(aekit.callbacks.Callback):
    """At the ``n``-th step, ``effect()``: before the step runs (one call per step)."""

    def __init__(self, n, effect):
        self.n, self.effect, self.calls = n, effect, 0

    def on_batch_begin(self, loop):
        self.calls += 1
        if self.calls == self.n:
            self.effect()


def signal_at(n, sig):
    """Callbacks that deliver ``sig`` (as the CLI's handler would) at the n-th step."""
    stop = aekit.callbacks.SignalStop()
    return [StopAt(n, lambda: stop.request(sig)), stop]


def weights(model):
    return {k: v.detach().clone() for k, v in model.network_.state_dict().items()}


def same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("step, done", [(100, 5), (17, 0)], ids=["mid-epoch", "epoch end"])
def test_resume_gives_the_uninterrupted_model_bit_for_bit(X, tmp_path, step, done):
    full = aekit.Autoencoder(**FIT).fit(X)
    callbacks = signal_at(step, signal.SIGINT)
    model = aekit.Autoencoder(**FIT, checkpoint_dir=tmp_path, callbacks=callbacks)
    with pytest.raises(TrainingInterrupted) as stopped:
        model.fit(X)
    assert stopped.value.signal == signal.SIGINT and stopped.value.checkpoint.is_file()
    assert len(model.history_["epoch"]) == done  # 17 steps an epoch; epochs finished
    assert model.transform(X[:2]).shape == (2, 3)  # usable meanwhile
    resumed = aekit.Autoencoder(**FIT, checkpoint_dir=tmp_path, resume=True).fit(X)
    assert same(weights(resumed), weights(full))
    for key in ("epoch", "train_loss", "val_loss", "learning_rate"):
        assert resumed.history_[key] == full.history_[key], key


def test_ctrl_c_in_python_keeps_the_best_weights_and_history(X):
    def ctrl_c():
        raise KeyboardInterrupt

    class Best(aekit.callbacks.Callback):  # the weights of the best validation epoch
        best = None

        def on_epoch_end(self, loop):
            val = loop.history["val_loss"]
            if val[-1] == min(val):
                self.best = {k: v.detach().clone() for k, v in loop.module.state_dict().items()}

    best = Best()
    model = aekit.Autoencoder(**FIT, callbacks=[best, StopAt(60, ctrl_c)])
    with pytest.raises(KeyboardInterrupt):
        model.fit(X)
    epochs = len(model.history_["epoch"])
    assert epochs == 3 and model.training_time_ > 0
    assert same(weights(model), best.best)  # the best epoch's, not the step's at Ctrl-C
    assert not model.network_.training


def test_resume_refuses_another_run_and_needs_a_folder(X, tmp_path):
    aekit.Autoencoder(**FIT, checkpoint_dir=tmp_path).fit(X)
    with pytest.raises(ValueError, match="different training run"):
        aekit.Autoencoder(**{**FIT, "batch_size": 64}, checkpoint_dir=tmp_path, resume=True).fit(X)
    with pytest.raises(ValueError, match="needs checkpoint_dir"):
        aekit.Autoencoder(**FIT, resume=True).fit(X)
    with pytest.warns(UserWarning, match="starts from the beginning"):
        aekit.Autoencoder(**FIT, checkpoint_dir=tmp_path / "new", resume=True).fit(X)


def test_text_model_resumes_too(tmp_path):
    posts = ["hi all", "lol", "really need chipotle today", "brb"] * 6
    params = {"latent_dim": 4, "hidden_dim": 16, "epochs": 6, "synthetic": 0,
              "batch_size": 8, "random_state": 0}  # fmt: skip
    full = aekit.TextAutoencoder(**params).fit(posts)
    callbacks = signal_at(7, signal.SIGTERM)
    with pytest.raises(TrainingInterrupted):
        aekit.TextAutoencoder(**params, checkpoint_dir=tmp_path, callbacks=callbacks).fit(posts)
    resumed = aekit.TextAutoencoder(**params, checkpoint_dir=tmp_path, resume=True).fit(posts)
    assert same(weights(resumed), weights(full))


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_signal_checkpoints_and_resumes(tmp_path, sig, status):
    rng = np.random.default_rng(0)
    X = (rng.random((3000, 3)) @ rng.random((3, 40))).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    args = ["--epochs", "30", "--batch-size", "16", "--latent-dim", "3", "--seed", "0",
            "--quiet", "--checkpoint-dir", "ck"]  # fmt: skip
    run = subprocess.Popen(
        [sys.executable, "-m", "aekit", "train", "x.npy", "-o", "m.aek", *args],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    checkpoint = tmp_path / "ck" / "checkpoint.safetensors"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.poll() is None, "training ended before it could be interrupted"
    run.send_signal(sig)
    _, err = run.communicate(timeout=120)
    assert run.returncode == status, err
    assert signal.Signals(sig).name in err and "--resume" in err and err.count("\n") == 1
    assert not (tmp_path / "m.aek").exists() and not list(tmp_path.glob(".m.aek*"))
    assert main(["train", str(tmp_path / "x.npy"), "-o", str(tmp_path / "m.aek"), *args[:-2],
                 "--checkpoint-dir", str(tmp_path / "ck"), "--resume"]) == 0  # fmt: skip
    assert main(["train", str(tmp_path / "x.npy"), "-o", str(tmp_path / "full.aek"),
                 *args[:-2]]) == 0  # fmt: skip
    resumed, full = load_file(tmp_path / "m.aek"), load_file(tmp_path / "full.aek")
    assert same(resumed, full)  # bit for bit, network tensors and all
