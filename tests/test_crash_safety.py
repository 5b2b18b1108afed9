"""Crashes and full disks lose nothing: ``aekit train`` killed with SIGKILL at random
moments leaves no half-written model or checkpoint and ``--resume`` finishes the run;
a write that fails half way (a file-size limit, as a full disk would) leaves the file
that was there before and says so in one line, for every verb that writes."""

import json
import resource
import subprocess
import sys
import warnings

import numpy as np
import pytest

import aekit
from aekit.cli import main

# Long enough that training, not reading and saving, fills most of a run: ~1,000 steps.
TRAIN = ["--epochs", "8", "--batch-size", "16", "--latent-dim", "3", "--seed", "0", "--quiet"]

# Runs ``aekit train`` in forked children of one process that has imported aekit (so
# each run starts in milliseconds, not the seconds of importing torch) and kills each
# with SIGKILL after its moment; prints how long a whole run (moment null) took.
DRIVER = """
import json, os, signal, sys, time
from aekit.cli import main
for argv, moment in json.loads(sys.argv[1]):
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1), os.dup2(null, 2)
        os._exit(main(argv))
    if moment is not None:
        time.sleep(moment)
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print(time.monotonic() - start)
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash")
    rng = np.random.default_rng(0)
    np.save(folder / "x.npy", (rng.random((2000, 3)) @ rng.random((3, 24))).astype(np.float32))
    return folder / "x.npy"


def _train(data, folder, *extra):
    return ["train", str(data), "-o", str(folder / "m.aek"), "--checkpoint-dir",
            str(folder / "ck"), *TRAIN, *extra]  # fmt: skip


def _drive(runs):
    out = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(runs)], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return [float(line) for line in out.split()]


def test_sigkill_at_20_moments_leaves_whole_files_and_resume_finishes(data, tmp_path):
    (span,) = _drive([(_train(data, tmp_path / "whole"), None)])  # read, 8 epochs, save
    # one random moment in each twentieth of 1.3 spans: some before the first
    # checkpoint, most during training, a few after the end, however fast the machine
    moments = (np.arange(20) + np.random.default_rng(0).uniform(size=20)) / 20 * 1.3 * span
    folders = [tmp_path / f"kill{k}" for k in range(20)]
    _drive([(_train(data, f), float(m)) for f, m in zip(folders, moments, strict=True)])
    seen = {"no model": 0, "a checkpoint": 0, "whole model": 0}
    for folder, moment in zip(folders, moments, strict=True):
        model = folder / "m.aek"
        if model.exists():  # whole: it loads, and it is the finished run's
            assert aekit.load(model).history_["epoch"][-1] == 8
            seen["whole model"] += 1
            continue
        seen["no model"] += 1
        seen["a checkpoint"] += (folder / "ck" / "checkpoint.safetensors").exists()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # killed before its first checkpoint: said so
            assert main(_train(data, folder, "--resume")) == 0, f"killed at {moment:.2f}s"
        assert aekit.load(model).history_["epoch"][-1] == 8
    # the moments fell before the first checkpoint, between checkpoints and after the end
    assert seen["no model"] > seen["a checkpoint"] > 0 and seen["whole model"] > 0, seen


def _limited(limit):
    def start():
        # what a full disk does to a write, without filling one; Python ignores SIGXFSZ,
        # so the write fails with EFBIG instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return start


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """A model file, a codec and one output of each writing verb, made without a limit."""
    pytest.importorskip("constriction")
    folder = tmp_path_factory.mktemp("outputs")
    rng = np.random.default_rng(0)
    X = (rng.random((200, 3)) @ rng.random((3, 24))).astype(np.float32)
    np.save(folder / "x.npy", X)
    images = folder / "images"
    images.mkdir()
    from PIL import Image

    for i in range(6):
        Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8), "L").save(
            images / f"{i}.png"
        )
    assert main(["train", str(folder / "x.npy"), "-o", str(folder / "m.aek"), "--epochs", "2",
                 "--latent-dim", "2", "--quiet"]) == 0  # fmt: skip
    assert main(["train", str(images), "-o", str(folder / "codec.aek"), "--model", "image",
                 "--bottleneck", "quantized", "--latent-dim", "4", "--epochs", "1",
                 "--quiet"]) == 0  # fmt: skip
    return folder


VERBS = {  # a verb's command line (MODEL, DATA as placeholders) and the file it writes
    "save": (["train", "{x}", "-o", "{out}", "--epochs", "1", "--latent-dim", "2", "--quiet"],
             "again.aek"),
    "encode": (["encode", "{m}", "{x}", "-o", "{out}"], "codes.npy"),
    "score": (["score", "{m}", "{x}", "-o", "{out}"], "scores.csv"),
    "export": (["export", "{m}", "-o", "{out}"], "onnx/encoder.onnx"),
    "compress": (["compress", "{codec}", "{images}", "-o", "{out}"], "s.aekz"),
    "decompress": (["decompress", "{codec}", "{stream}", "-o", "{out}"], "back/0.png"),
}  # fmt: skip


@pytest.mark.parametrize("verb", list(VERBS))
def test_a_write_that_fails_half_way_keeps_the_previous_file(outputs, verb):
    if verb == "export":
        pytest.importorskip("onnx")
    argv, name = VERBS[verb]
    out = outputs / verb / name
    out.parent.mkdir(parents=True, exist_ok=True)
    if verb == "decompress":
        stream = outputs / "for-decompress.aekz"
        main(["compress", str(outputs / "codec.aek"), str(outputs / "images"), "-o", str(stream),
              "--force"])  # fmt: skip
    fill = {"x": outputs / "x.npy", "m": outputs / "m.aek", "codec": outputs / "codec.aek",
            "images": outputs / "images", "stream": outputs / "for-decompress.aekz",
            "out": out.parent if verb in ("decompress", "export") else out}  # fmt: skip
    argv = [a.format(**{k: str(v) for k, v in fill.items()}) for a in argv]
    assert main([*argv, "--force"]) == 0
    before = out.read_bytes()
    limit = len(before) // 2  # the new file cannot be written whole
    run = subprocess.run([sys.executable, "-m", "aekit", *argv, "--force"], capture_output=True,
                         text=True, preexec_fn=_limited(limit))  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    # one line of aekit's (a limit this small can make joblib warn of its semaphores too)
    (line,) = [x for x in run.stderr.splitlines() if x.startswith("aekit")]
    assert line.startswith(
        f"aekit {argv[0]}: error: {out}: could not be written (File too "
        "large); the file there is as it was."
    ), run.stderr
    assert out.read_bytes() == before
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]  # nothing left
