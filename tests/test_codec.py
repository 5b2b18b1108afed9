"""Compression with real bits: the quantised bottleneck, its learned density, the
stream, the command line, and the rate-distortion figures (JPEG, WebP, BD-rate)."""

import io
import json
import math
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

import aekit
from aekit.cli import main
from aekit.codec.bitstream import StreamError, pack, unpack
from aekit.images.quality import ssim
from aekit.images.rate_distortion import Point, _sheets, _unsheet, bd_rate, jpeg_curve
from aekit.networks.entropy import (
    SCALES,
    FactorizedDensity,
    gaussian_index,
    gaussian_likelihood,
    gaussian_tables,
)

pytest.importorskip("constriction")

CODEC = dict(bottleneck="quantized", latent_dim=8, hidden_dims=(4, 8), epochs=30,
             batch_size=16, random_state=0, device="cpu")  # fmt: skip
# A spatial code (4 channels on 3 x 3) under a hyperprior with a 2-channel side code.
HYPER = {**CODEC, "architecture": "resconv", "latent_shape": (4, 3, 3), "latent_dim": 36,
         "hidden_dims": (4, 8, 8), "hyperprior": 2}  # fmt: skip


@pytest.fixture(scope="module")
def shapes() -> np.ndarray:
    """64 grey 12 x 12 pictures: a bright square of random place and size on black."""
    rng = np.random.default_rng(0)
    out = np.zeros((64, 12, 12, 1), dtype=np.uint8)
    for image in out:
        y, x, s = rng.integers(0, 6), rng.integers(0, 6), rng.integers(3, 7)
        image[y : y + s, x : x + s] = rng.integers(120, 256)
    return out


@pytest.fixture(scope="module", params=["factorised", "hyperprior"])
def codec(shapes, request) -> aekit.ImageAutoencoder:
    return aekit.ImageAutoencoder(**(HYPER if request.param == "hyperprior" else CODEC)).fit(shapes)


# ---------------------------------------------------------------- the stream
def test_decompress_gives_back_the_decoder_output_on_the_rounded_code(codec, shapes):
    stream = codec.compress(shapes)
    assert isinstance(stream, bytes)
    codes = codec.transform(shapes)
    assert np.array_equal(codes, np.rint(codes)) and len(np.unique(codes)) > 3  # integers
    images = codec.decompress(stream)
    assert images.dtype == np.uint8 and images.shape == shapes.shape
    assert np.array_equal(images, codec.inverse_transform(codes))


def test_the_stream_costs_what_the_learned_density_says(codec, shapes):
    # The range coder's bytes against -sum log2 P(code) under the model's own density:
    # only the header, the two CRCs and the coder's last word on top.
    codes = torch.from_numpy(codec.transform(shapes).astype(np.float32))
    with torch.no_grad():
        bits = float(codec.network_.bits(codes).sum())
    stream = codec.compress(shapes)
    assert bits / 8 <= len(stream) <= bits / 8 * 1.02 + 29 + 4 + 4 + 8


def test_a_larger_rate_weight_gives_fewer_bits(shapes):
    sizes = []
    for weight in (0.0, 1.0):
        model = aekit.ImageAutoencoder(**CODEC, rate_weight=weight)
        sizes.append(len(model.fit(shapes).compress(shapes)))
    assert sizes[1] < 0.7 * sizes[0]


def test_a_saved_codec_reads_the_streams_it_wrote(codec, shapes, tmp_path):
    stream = codec.compress(shapes[:5])
    codec.save(tmp_path / "codec.aek")
    loaded = aekit.load(tmp_path / "codec.aek")
    assert loaded.model_id() == codec.model_id()
    assert np.array_equal(loaded.decompress(stream), codec.decompress(stream))


def test_bad_streams_are_refused_with_the_reason(codec, shapes):
    stream = codec.compress(shapes[:3])
    with pytest.raises(ValueError, match="stream is truncated: 40 bytes where its header says"):
        codec.decompress(stream[:40])
    with pytest.raises(ValueError, match="shorter than a header"):
        codec.decompress(stream[:10])
    damaged = bytearray(stream)
    damaged[31] ^= 0x10
    with pytest.raises(ValueError, match="damaged: its CRC-32 does not match"):
        codec.decompress(bytes(damaged))
    with pytest.raises(ValueError, match="not an aekit compressed stream"):
        codec.decompress(b"\x89PNG" + stream[4:])
    other = aekit.ImageAutoencoder(**{**codec.get_params(), "random_state": 1}).fit(shapes)
    with pytest.raises(ValueError, match="written by another model"):
        other.decompress(stream)
    with pytest.raises(ValueError, match="decompress takes bytes; got str"):
        codec.decompress("packed.aekz")


def test_mutated_streams_decode_exactly_or_raise_the_stream_error(codec, shapes):
    """500 streams cut, lengthened, spliced or with bytes changed (seeded): each gives
    the very images of the intact stream or a ValueError, never another exception."""
    import random

    stream = codec.compress(shapes[:4])
    expected = codec.decompress(stream)
    rng = random.Random(0)
    kinds = {"refused": 0, "same": 0}
    for _ in range(500):
        data = bytearray(stream)
        kind = rng.randrange(5)
        if kind == 0:  # flip some bits
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1:  # cut
            data = data[: rng.randrange(len(data))]
        elif kind == 2:  # bytes added
            at = rng.randrange(len(data) + 1)
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 3:  # a byte set to an extreme
            data[rng.randrange(len(data))] = rng.choice([0, 255])
        else:  # two streams spliced
            data = data[: rng.randrange(len(data))] + stream[rng.randrange(len(stream)) :]
        try:
            got = codec.decompress(bytes(data))
        except ValueError:
            kinds["refused"] += 1
            continue
        assert np.array_equal(got, expected), "a mutated stream decoded to other images"
        kinds["same"] += 1
    assert kinds["refused"] > 450  # nearly every mutation is caught


def test_compress_needs_a_codec(shapes):
    plain = aekit.ImageAutoencoder(latent_dim=4, epochs=1, hidden_dims=(4, 8)).fit(shapes)
    with pytest.raises(ValueError, match="compress needs a codec: .*bottleneck='deterministic'"):
        plain.compress(shapes)


def test_values_outside_the_tables_are_escaped_and_come_back():
    rng = np.random.default_rng(0)
    codes = rng.integers(-2, 3, size=(50, 2, 3))
    codes[3, 1, 2], codes[7, 0, 0] = 100_000, -7
    table = np.array([0.1, 0.2, 0.4, 0.2, 0.1, 1e-3])  # -2 .. 2, then the escape
    stream = pack(codes, [(-2, table), (-2, table)], b"\0" * 8)
    assert np.array_equal(unpack(stream, [(-2, table), (-2, table)], b"\0" * 8, 3), codes)
    with pytest.raises(StreamError, match="codes of 2 x 3; this model's are 2 x 4"):
        unpack(stream, [(-2, table), (-2, table)], b"\0" * 8, 4)


def test_a_hyperprior_needs_a_codec_with_a_spatial_code(shapes):
    with pytest.raises(ValueError, match="hyperprior=2 needs a codec with a spatial code"):
        aekit.ImageAutoencoder(**{**CODEC, "hyperprior": 2}).fit(shapes)
    with pytest.raises(ValueError, match="hyperprior=2 needs a codec"):
        aekit.ImageAutoencoder(**{**HYPER, "bottleneck": "deterministic"}).fit(shapes)


def _resealed(body: bytes) -> bytes:
    """``body`` (a stream without its last 4 bytes) with a CRC-32 that matches it again:
    a stream whose bytes are intact but whose content is inconsistent."""
    return body + zlib.crc32(body).to_bytes(4, "little")


def _escaped_stream():
    codes = np.zeros((4, 1, 3), dtype=np.int64)
    codes[1, 0, 2], codes[3, 0, 0] = 50, -9  # two values outside the table: two escapes
    tables = [(-2, np.array([0.1, 0.2, 0.4, 0.2, 0.1, 1e-3]))]
    return codes, tables, pack(codes, tables, b"\0" * 8)


def test_stream_branches_each_have_their_message():
    import struct

    codes, tables, stream = _escaped_stream()
    assert np.array_equal(unpack(stream, tables, b"\0" * 8, 3), codes)
    with pytest.raises(StreamError, match="longer than it says"):
        unpack(stream + b"\0", tables, b"\0" * 8, 3)
    with pytest.raises(StreamError, match="format version 9; this aekit reads versions 1 to 3"):
        unpack(stream[:4] + b"\x09" + stream[5:], tables, b"\0" * 8, 3)
    # The header ends in the escapes' count; the escapes sit just before the two CRCs.
    from aekit.codec.bitstream import _HEADER

    at = _HEADER.size - 4
    (n_escapes,) = struct.unpack_from("<I", stream, at)
    assert n_escapes == 2
    values_crc = stream[-8:-4]
    head, escapes = stream[: -8 - 8], stream[-8 - 8 : -8]
    fewer = bytearray(head + escapes[:4] + values_crc)
    struct.pack_into("<I", fewer, at, 1)
    with pytest.raises(StreamError, match="escapes more values than it holds"):
        unpack(_resealed(bytes(fewer)), tables, b"\0" * 8, 3)
    more = bytearray(head + escapes + struct.pack("<i", 7) + values_crc)
    struct.pack_into("<I", more, at, 3)
    with pytest.raises(StreamError, match="holds escaped values it never uses"):
        unpack(_resealed(bytes(more)), tables, b"\0" * 8, 3)
    from aekit.codec.bitstream import Packer

    with pytest.raises(ValueError, match=r"table indices must lie in \[0, 1\)"):
        Packer().put(codes, np.ones_like(codes), tables)


def test_a_reader_with_other_probabilities_is_told_so_not_given_other_values():
    rng = np.random.default_rng(0)
    codes = rng.integers(-2, 3, size=(50, 1, 3))
    table = np.array([0.1, 0.2, 0.4, 0.2, 0.1, 1e-3])
    stream = pack(codes, [(-2, table)], b"\0" * 8)
    nudged = np.array([0.1, 0.25, 0.35, 0.2, 0.1, 1e-3])  # as if its floats came out otherwise
    with pytest.raises(StreamError, match="decoded to other values than were written"):
        unpack(stream, [(-2, nudged)], b"\0" * 8, 3)


def test_a_version_1_stream_without_the_values_crc_still_reads():
    rng = np.random.default_rng(0)
    codes = rng.integers(-2, 3, size=(20, 2, 3))
    tables = [(-2, np.array([0.1, 0.2, 0.4, 0.2, 0.1, 1e-3]))] * 2
    stream = pack(codes, tables, b"\0" * 8)
    body = stream[:4] + b"\x01" + stream[5:-8]  # version 1: no values' CRC-32
    old = body + zlib.crc32(body).to_bytes(4, "little")
    assert np.array_equal(unpack(old, tables, b"\0" * 8, 3), codes)


# ---------------------------------------------------------------- the density
def test_a_trained_density_tables_its_own_likelihoods_and_the_rest_as_escape():
    """Trained on Laplace-like values (so not its initial shape), each channel's table
    holds P(k) as ``likelihood`` gives it for each tabled k, and its escape the mass
    outside: 1 - the tabled mass. Values left out of the table are rare ones."""
    torch.manual_seed(0)
    density = FactorizedDensity(2)
    before = density.likelihood(torch.zeros(1, 2, 1)).flatten().clone()
    values = torch.distributions.Laplace(0.0, torch.tensor([2.0, 6.0])).sample((512,))
    optimiser = torch.optim.Adam(density.parameters(), lr=2e-2)
    for _ in range(300):
        noisy = values + torch.rand_like(values) - 0.5
        optimiser.zero_grad()
        density.bits(noisy.unsqueeze(-1)).mean().backward()
        optimiser.step()
    with torch.no_grad():
        after = density.likelihood(torch.zeros(1, 2, 1)).flatten()
        assert not torch.allclose(before, after, rtol=0.05)  # it did learn
        for channel, (first, probs) in enumerate(density.tables()):
            k = torch.arange(first, first + len(probs) - 1, dtype=torch.float32)
            z = torch.zeros(1, 2, len(k))
            z[0, channel] = k
            tabled = density.likelihood(z)[0, channel].double().numpy()
            np.testing.assert_allclose(probs[:-1], tabled, rtol=1e-4)  # float32 sums
            assert probs[-1] == pytest.approx(max(1 - tabled.sum(), 1e-7), abs=1e-9)
            outside = torch.tensor([first - 1.0, first + len(probs) - 1.0])
            z = torch.zeros(1, 2, 2)
            z[0, channel] = outside
            assert (density.likelihood(z)[0, channel] < 1e-6).all()
        # the wider channel (scale 6) needs the wider table
        (_, narrow), (_, wide) = density.tables()
        assert len(wide) > len(narrow)


def test_the_density_is_a_distribution_over_the_integers():
    torch.manual_seed(0)
    density = FactorizedDensity(3)
    k = torch.arange(-400, 401, dtype=torch.float32)
    p = density.likelihood(k.expand(3, -1).unsqueeze(0))[0]
    torch.testing.assert_close(p.sum(dim=1), torch.ones(3), atol=1e-4, rtol=0)
    for first, probs in density.tables():
        assert probs.sum() == pytest.approx(1.0)
        assert first <= 0 < first + len(probs) - 1  # the table covers 0


def test_the_gaussian_tables_are_the_unit_box_of_the_normal_they_name():
    from scipy.stats import norm

    tables = gaussian_tables()
    assert len(tables) == 8 * len(SCALES)
    shift, index = gaussian_index(np.array([2.3, -0.05]), np.array([1.0, 0.05]))
    # 2.3 is 2 + 2/8 to the nearest eighth; 1.0 lies in (SCALES[k - 1], SCALES[k]].
    k = int(np.flatnonzero(SCALES >= 1.0)[0])
    assert list(shift) == [2, 0] and list(index) == [2 * len(SCALES) + k, 0]
    first, probs = tables[index[0]]
    assert probs.sum() == pytest.approx(1.0)
    scale = SCALES[k]
    for value in (-3, 0, 1, 4):  # relative to the shift
        expected = norm.cdf(value + 0.5, 0.25, scale) - norm.cdf(value - 0.5, 0.25, scale)
        assert probs[value - first] == pytest.approx(expected, rel=1e-6)
    # The training likelihood is the same formula on tensors.
    y = torch.tensor([2.0 + 0.25 + v for v in (-3, 0, 1, 4)]) - 0.25
    p = gaussian_likelihood(y, torch.tensor(2.25), torch.tensor(scale))
    torch.testing.assert_close(
        p.double(), torch.tensor([probs[v - first] for v in (-3, 0, 1, 4)]), rtol=1e-5, atol=0
    )


# ---------------------------------------------------------------- JPEG, WebP, BD-rate
def test_bd_rate_of_a_curve_at_half_the_bits_is_minus_50_percent():
    anchor = [Point(q, bpp, db, 0.0) for q, bpp, db in [(1, 0.5, 20), (2, 1, 24), (3, 2, 29),
                                                        (4, 3, 31)]]  # fmt: skip
    half = [Point(p.setting, p.bpp / 2, p.psnr, 0.0) for p in anchor]
    assert bd_rate(anchor, half) == pytest.approx(-50.0)
    assert bd_rate(half, anchor) == pytest.approx(100.0)
    far = [Point(p.setting, p.bpp, p.psnr + 50, 0.0) for p in anchor]
    with pytest.raises(ValueError, match="share no PSNR range"):
        bd_rate(anchor, far)


def test_bd_rate_by_hand_where_the_ratio_changes_and_the_ranges_differ():
    """Two points a curve: the log-rate is linear in PSNR. Anchor: ln r = (q - 20) / 10
    over 20-30 dB; test: ln t = ln 0.5 + ln 2 (q - 22) / 10 over 22-32 dB. Over the shared
    22-30 dB the gap ln t - ln r is linear, from -ln 2 - 0.2 to -0.2 ln 2 - 1, so its mean
    is the mean of its ends (the ratio of rates goes from 0.41 to 0.32)."""
    anchor = [Point(1, 1.0, 20.0, 0.0), Point(2, math.e, 30.0, 0.0)]
    test = [Point(1, 0.5, 22.0, 0.0), Point(2, 1.0, 32.0, 0.0)]
    gap = ((-math.log(2) - 0.2) + (-0.2 * math.log(2) - 1)) / 2
    assert bd_rate(anchor, test) == pytest.approx(100 * (math.exp(gap) - 1))  # -63.8 %
    assert bd_rate(test, anchor) == pytest.approx(100 * (math.exp(-gap) - 1))  # +176 %


def test_jpeg_is_measured_on_sheets_of_100(shapes):
    images = np.concatenate([shapes, shapes[:36]])  # 100: exactly one sheet
    sheet = _sheets(images, 10)
    assert len(sheet) == 1 and sheet[0].shape == (120, 120, 1)
    assert np.array_equal(_unsheet(sheet, 100, 12, 12, 10), images)
    buffer = io.BytesIO()
    Image.fromarray(sheet[0][:, :, 0]).save(buffer, "JPEG", quality=50)
    (point,) = jpeg_curve(images, [50])
    assert point.bpp == pytest.approx(8 * buffer.tell() / (100 * 12 * 12))
    decoded = np.asarray(Image.open(buffer)).astype(float) / 255
    mse = ((decoded.reshape(10, 12, 10, 12).transpose(0, 2, 1, 3).reshape(100, 144)
            - images.reshape(100, 144) / 255) ** 2).mean(axis=1)  # fmt: skip
    assert point.psnr == pytest.approx(np.mean(10 * np.log10(1 / mse)))
    tiles = np.asarray(Image.open(buffer)).reshape(10, 12, 10, 12).transpose(0, 2, 1, 3)
    assert point.ssim == pytest.approx(
        np.mean(ssim(images.reshape(100, 12, 12), tiles.reshape(100, 12, 12)))
    )


# ---------------------------------------------------------------- the command line
@pytest.mark.parametrize("density", [
    ["--latent-dim", "8", "--hidden-dims", "4", "8"],
    ["--architecture", "resconv", "--latent-shape", "4", "3", "3", "--latent-dim", "36",
     "--hidden-dims", "4", "8", "8", "--hyperprior", "2"],
], ids=["factorised", "hyperprior"])  # fmt: skip
def test_train_compress_decompress_evaluate_report(shapes, tmp_path, capsys, density):
    folder = tmp_path / "shapes"
    folder.mkdir()
    for i, image in enumerate(shapes[:20]):
        Image.fromarray(image[:, :, 0]).save(folder / f"s{i:02d}.png")
    model, packed, out = tmp_path / "codec.aek", tmp_path / "packed.aekz", tmp_path / "out"
    train = ["train", str(folder), "--model", "image", "--bottleneck", "quantized",
             "--rate-weight", "0.01", *density, "--epochs", "3", "--seed", "0", "--quiet",
             "-o", str(model)]  # fmt: skip
    assert main(train) == 0
    capsys.readouterr()
    assert main(["compress", str(model), str(folder), "-o", str(packed)]) == 0
    line = capsys.readouterr().out
    size = packed.stat().st_size
    assert f"wrote 20 images in {size} bytes" in line
    assert f"{8 * size / (20 * 144):.3f} bits per pixel" in line
    assert "times smaller than PNG" in line
    assert main(["decompress", str(model), str(packed), "-o", str(out)]) == 0
    written = sorted(out.glob("*.png"))
    assert [p.name for p in written] == [f"s{i:02d}.png" for i in range(20)]
    codec = aekit.load(model)
    expected = codec.reconstruct(str(folder))
    assert np.array_equal(codec.decompress(packed.read_bytes()), expected)
    pixels = np.stack([np.asarray(Image.open(path)) for path in written])[..., None]
    assert np.array_equal(pixels, expected)
    capsys.readouterr()
    assert main(["evaluate", str(model), str(folder), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["bits_per_pixel"] == pytest.approx(8 * size / (20 * 144))
    assert main(["report", str(model), str(folder), "-o", str(tmp_path / "r.html")]) == 0
    assert "Rate and distortion" in (tmp_path / "r.html").read_text()


def test_compress_with_a_model_that_is_no_codec_says_so(tmp_path, capsys):
    model = tmp_path / "plain.aek"
    assert main(["train", "digits", "-o", str(model), "--epochs", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["compress", str(model), "digits", "-o", str(tmp_path / "p.aekz")]) != 0
    assert "this model is not a codec" in capsys.readouterr().err
