"""Streams decode on any machine: what decides a probability is exact (``codec/exact.py``),
checked against the float network it stands for, against the margins that make it
independent of libm's last bits, and across the settings that emulate other machines
(other SIMD kernels, oneDNN's older-CPU paths, one thread, oneDNN off) in separate
processes."""

import importlib.util
import math
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

import aekit
from aekit.codec import exact
from aekit.codec.bitstream import _HEADER, Packer
from aekit.codec.stream import _float_index, learned_tables
from aekit.networks.entropy import SCALES, Hyperprior, gaussian_probabilities
from aekit.networks.entropy import gaussian_tables as float_gaussian_tables
from shared_data import missing

pytest.importorskip("constriction")

HYPER = dict(bottleneck="quantized", architecture="resconv", latent_shape=(4, 7, 7),
             latent_dim=4 * 7 * 7, hidden_dims=(8, 16), hyperprior=2, batch_size=32,
             random_state=0, device="cpu")  # fmt: skip


def _trained_hyper() -> Hyperprior:
    """A hyperprior whose weights are not its initial ones: a few steps on random codes."""
    torch.manual_seed(0)
    hyper = Hyperprior((4, 7, 7), 3, 16)
    y = torch.distributions.Laplace(0.0, 3.0).sample((64, 4 * 7 * 7))
    optimiser = torch.optim.Adam(hyper.parameters(), lr=1e-2)
    for _ in range(30):
        optimiser.zero_grad()
        hyper.bits(y).mean().backward()
        optimiser.step()
    return hyper.eval()


def test_the_integer_hyper_decoder_is_the_float_one_to_its_fixed_point():
    hyper = _trained_hyper()
    side = torch.randint(-6, 7, (32, math.prod(hyper.side_shape))).double()
    with torch.no_grad():
        want = hyper.synthesis(side.float().view(-1, *hyper.side_shape)).double()
    got = exact.integer_forward(hyper.synthesis, side.view(-1, *hyper.side_shape) * 4096) / 4096
    assert torch.equal(got, torch.round(got * 4096) / 4096)  # integers of 2^-12
    # weights to 2^-15 of the largest, activations floored to 2^-12: a few thousandths
    assert (got - want).abs().max() < 0.01
    assert (got - want).abs().max() > 0  # and not the float network itself


def test_the_integer_tables_are_the_float_ones_but_at_a_boundary():
    hyper = _trained_hyper()
    side = np.random.default_rng(0).integers(-6, 7, (64, math.prod(hyper.side_shape)))
    shift, index = exact.hyper_index(hyper, side)
    float_shift, float_index = _float_index(hyper, side)
    agree = (shift == float_shift) & (index == float_index)
    assert agree.mean() > 0.99
    # a value's table by hand: mean 2.3 -> 2 + 2/8, raw -> scale SCALES[0] + softplus
    mean, raw = 2.3, math.log(math.expm1(1.0 - SCALES[0]))  # scale 1.0
    k = int(np.flatnonzero(SCALES >= 1.0)[0])
    level = np.searchsorted(exact.SCALE_STEPS, round(raw * 4096), side="left") + 1
    assert level == k
    eighths = np.floor((round(mean * 4096) + 256) / 512)
    assert eighths == 18  # 2.3 * 8 = 18.4


def test_the_thresholds_lie_far_from_a_rounding_boundary():
    """Each number that turns a float into an integer lies farther from the boundary than
    any libm's last-bit error could move it, so every machine gets the same integers."""
    raw = np.log(np.expm1(SCALES[1:] - SCALES[0])) * 2.0**exact.FRACTION
    assert np.abs(raw - np.rint(raw)).min() > 1e-6
    assert np.array_equal(exact.SCALE_STEPS, np.floor(raw))
    for (first, probs), (first_float, _) in zip(
        gaussian_probabilities(exact=True), gaussian_probabilities(), strict=True
    ):
        scaled = probs * 2.0**exact.COUNT_BITS
        assert np.abs(scaled - np.floor(scaled) - 0.5).min() > 1e-8
        assert abs(first - first_float) <= 1
    eight = 8 * SCALES
    off = np.abs(eight - np.rint(eight))
    assert ((off < 1e-9) | (off > 1e-6)).all()  # round(., 6) decides the reach alike


def test_the_gaussian_tables_are_counts_of_the_float_ones():
    counts = exact.gaussian_tables()
    floats = float_gaussian_tables()
    assert len(counts) == len(floats) == 8 * len(SCALES)
    for (first, probs), (first_float, want) in zip(counts, floats, strict=True):
        whole = probs / probs.min()  # the least likely value has a count of 1
        assert np.abs(whole - np.rint(whole)).max() < 1e-6  # to the division's last bits
        assert 2**20 <= whole.sum() < 2**20 + len(probs)  # counts of 2^-20, at least 1 each
        if first == first_float:
            assert np.abs(probs - want).max() <= (len(probs) + 1) * 2.0**-20  # rounding, floors


def test_a_format_2_stream_still_reads(tmp_path):
    """A stream as format 2 wrote it (float tables, float prediction) reads as it did."""
    model = aekit.ImageAutoencoder(**{**HYPER, "epochs": 2}).fit(_shapes())
    images = _shapes()[:20]
    codes = np.rint(model.transform(images)).astype(np.int64)
    network = model.network_
    hyper = network.hyper
    with torch.no_grad():
        side = hyper.side(torch.from_numpy(codes).float()).numpy().astype(np.int64)
    shift, index = _float_index(hyper, side)
    from aekit.codec.bitstream import columns

    packer = Packer().put(side, columns(side.shape), learned_tables(network))
    packer.put(codes - shift, index, float_gaussian_tables())
    stream = packer.finish(model.model_id(), len(codes), 4 * 7 * 7, 1)
    old = bytearray(stream[:-4])
    old[4] = 2  # the version byte
    old = bytes(old) + zlib.crc32(bytes(old)).to_bytes(4, "little")
    assert _HEADER.unpack_from(old)[1] == 2
    np.testing.assert_array_equal(model.decompress(old), model.inverse_transform(codes))
    assert model.compress(images)[4] == 3  # new streams are format 3


def _shapes(n: int = 64) -> np.ndarray:
    rng = np.random.default_rng(0)
    out = np.zeros((n, 28, 28, 1), dtype=np.uint8)
    for image in out:
        y, x, s = rng.integers(0, 14), rng.integers(0, 14), rng.integers(6, 14)
        image[y : y + s, x : x + s] = rng.integers(120, 256)
    return out


def test_the_tables_a_model_codes_under_are_saved_with_it(tmp_path):
    model = aekit.ImageAutoencoder(**{**HYPER, "epochs": 2}).fit(_shapes())
    here = model._coding_tables()
    # tables that differ in their last bits, as another machine's floats made them
    other = [(first, probs * (1 + 2.0**-40)) for first, probs in here]
    model._tables = (model._tables[0], other)
    model.save(tmp_path / "codec.aekit")
    loaded = aekit.load(tmp_path / "codec.aekit")
    held = loaded._coding_tables()
    assert all(np.array_equal(p, q) for (_, p), (_, q) in zip(held, other, strict=True))
    assert not all(np.array_equal(p, q) for (_, p), (_, q) in zip(held, here, strict=True))
    stream = model.compress(_shapes()[:8])
    np.testing.assert_array_equal(loaded.decompress(stream), model.decompress(stream))
    # refitting changes the weights: the tables follow them
    before = model.model_id()
    model.set_params(warm_start=True, epochs=1).fit(_shapes())
    model.compress(_shapes()[:8])
    assert model._tables[0] == model.model_id() != before


BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "streams_across_machines.py"


def _bench():
    spec = importlib.util.spec_from_file_location("streams_across_machines", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_streams_decode_alike_under_every_setting_that_emulates_another_machine(tmp_path):
    """300 Fashion-MNIST test images in 3 streams, each decoded in a fresh process under
    other SIMD kernels, oneDNN's AVX2 paths, one thread and oneDNN off: none refused.
    (Format 2 refused 2 of these 3 streams under ONEDNN_MAX_CPU_ISA=AVX2, and 2 with
    oneDNN off, with constriction's AssertionError.)"""
    from aekit.data import DataError, load_fashion_mnist

    try:
        load_fashion_mnist("test", download=False)
    except DataError as exc:
        missing(f"Fashion-MNIST is not on this machine: {exc}")
    bench = _bench()

    train = np.rint(load_fashion_mnist("train")[0][:3000] * 255).astype(np.uint8)
    model = aekit.ImageAutoencoder(**{**HYPER, "epochs": 2}).fit(train.reshape(-1, 28, 28, 1))
    model.save(tmp_path / "codec.aekit")
    images = bench._fashion_test(300)
    assert bench.write_streams(model, images, 100, tmp_path / "streams") == 3
    settings = [s for s in bench.SETTINGS if bench.SETTINGS[s][1] != "cuda"]
    results = bench.across(tmp_path / "codec.aekit", tmp_path / "streams", settings)
    for setting, result in results.items():
        assert result["streams"] == 3, setting
        assert result["refused"] == 0, (setting, result["errors"])
        assert result["largest_difference"] <= 1, setting  # the float synthesis' bound
