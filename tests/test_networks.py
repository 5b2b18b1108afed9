"""Every registered network goes through the same checks (the torchvision way)."""

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
import torch

from aekit.networks import NETWORKS, build_network, network_spec, register_network

CONFIGS = {
    "dense": dict(n_features=13, latent_dim=3, hidden_dims=(16, 8)),
    "conv": dict(image_shape=(3, 11, 6), latent_dim=3, hidden_dims=(4, 8)),
    "resconv": dict(image_shape=(3, 11, 6), latent_dim=3, hidden_dims=(4, 8)),
    "gru": dict(vocab_size=11, latent_dim=3, embedding_dim=4, hidden_dim=6),
    "tcn": dict(n_features=2 * 13, channels=2, latent_dim=3, hidden_dims=(4, 8)),
    "series-gru": dict(n_features=2 * 13, channels=2, latent_dim=3, hidden_dims=(4, 8)),
}
# A network around another, with a learned density of its code (bottleneck="quantized").
# (n_features is the inner network's; build_network leaves out what a config lacks.)
CONFIGS["entropy-coded"] = dict(
    network="dense", network_config=CONFIGS["dense"], channels=3, n_features=13
)
CONFIGS["waveform"] = dict(latent_dim=3, width=4)
SEQUENCE = {"gru"}  # token ids in, next-token logits out: their own contract below
FRAMES = {"waveform"}  # a code per frame of any length: its contract is tests/test_waveform.py
ROWS = sorted(set(CONFIGS) - SEQUENCE - FRAMES)
# Settings with no hidden layer, where the zero code decodes to the output bias alone.
SHALLOW = {"dense": {"hidden_dims": ()}, "conv": {"hidden_dims": ()}}


def test_every_network_has_a_test_config():
    assert set(NETWORKS) - {"tiny"} == set(CONFIGS)  # tiny: a user's, below


@pytest.mark.parametrize("name", ROWS)
def test_network_contract(name):
    torch.manual_seed(0)
    net = build_network(name, **CONFIGS[name])
    n_features = CONFIGS[name].get("n_features") or 3 * 11 * 6
    x = torch.rand(5, n_features)
    z = net.encode(x)
    assert z.shape == (5, 3)
    assert net.decode(z).shape == x.shape
    assert torch.equal(net(x), net.decode(net.encode(x)))
    # Gradients reach every parameter (a code density's through the code's bits).
    loss = net(x).pow(2).mean()
    if hasattr(net, "bits"):
        loss = loss + net.bits(z).mean()
    loss.backward()
    assert all(p.grad is not None for p in net.parameters())
    # The output bias starts the decoder at a given mean output: with no hidden layer
    # the zero code decodes to it exactly (per channel, for a conv network's stages).
    target = torch.linspace(-1, 1, n_features)
    net.init_output_bias(target)
    with torch.no_grad():
        if name in SHALLOW:
            shallow = build_network(name, **{**CONFIGS[name], **SHALLOW[name]})
            shallow.init_output_bias(target)
            torch.testing.assert_close(shallow.decode(torch.zeros(1, 3))[0], target)
        before = net.decode(torch.zeros(1, 3))
        net.init_output_bias(target + 1)  # moving the bias moves the output by as much
        torch.testing.assert_close(net.decode(torch.zeros(1, 3)), before + 1)
    # The spec rebuilds an identical module.
    spec = network_spec(net)
    twin = build_network(spec["name"], **spec["config"])
    twin.load_state_dict(net.state_dict())
    assert torch.equal(twin(x), net(x))


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (7, 7), (28, 28), (31, 17)])
@pytest.mark.parametrize("stages", [(), (2,), (2, 2, 2)])
def test_conv_output_size_matches_any_input_size(size, stages):
    net = build_network("conv", image_shape=(1, *size), latent_dim=2, hidden_dims=stages)
    x = torch.rand(2, size[0] * size[1])
    assert net(x).shape == x.shape


@pytest.mark.parametrize("length", [1, 2, 7, 64, 127])
@pytest.mark.parametrize("levels", [(), (4,), (4, 4, 4)])
def test_tcn_output_length_matches_any_window(length, levels):
    net = build_network("tcn", n_features=3 * length, channels=3, latent_dim=2, hidden_dims=levels)
    x = torch.rand(2, 3 * length)
    assert net(x).shape == x.shape
    # Channels stay apart: a row is (channels, length), channel-major.
    assert net.encode(x).shape == (2, 2)


@pytest.mark.parametrize("name", ["tcn", "series-gru"])
def test_series_networks_refuse_rows_that_do_not_split_into_their_channels(name):
    with pytest.raises(ValueError, match="13 values do not split into 2 channels"):
        build_network(name, n_features=13, channels=2)


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (7, 7), (28, 28), (31, 17), (64, 64), (64, 48)])
def test_resconv_output_size_matches_any_input_size(size):
    net = build_network("resconv", image_shape=(2, *size), latent_dim=4)
    x = torch.rand(2, 2 * size[0] * size[1])
    assert net(x).shape == x.shape


def test_resconv_levels_follow_the_image_size_and_the_spatial_code():
    from aekit.networks.resconv import ResConvConfig, level_sizes

    # 64x64: a stride-2 stem to 32x32, then halving to a bottom of at most 16 pixels.
    assert level_sizes(ResConvConfig(image_shape=(3, 64, 64))) == [(32, 32), (16, 16)]
    # Two levels at least (the finest has no residual block); a stride-1 stem below 16.
    assert level_sizes(ResConvConfig(image_shape=(1, 28, 28))) == [(14, 14), (7, 7)]
    assert level_sizes(ResConvConfig(image_shape=(1, 12, 9))) == [(12, 9), (6, 5)]
    assert level_sizes(ResConvConfig(image_shape=(3, 128, 96))) == [(64, 48), (32, 24), (16, 12)]
    spatial = ResConvConfig(image_shape=(3, 64, 64), latent_dim=64, latent_shape=(4, 4, 4))
    assert level_sizes(spatial)[-1] == (4, 4)
    net = build_network("resconv", **vars(spatial))
    x = torch.rand(3, 3 * 64 * 64)
    assert net.encode(x).shape == (3, 64) and net(x).shape == x.shape
    with pytest.raises(ValueError, match=r"never 5x5; pick one of those grids"):
        level_sizes(ResConvConfig(image_shape=(3, 64, 64), latent_shape=(4, 5, 5)))
    with pytest.raises(ValueError, match=r"smallest image it takes is 8x8"):
        level_sizes(ResConvConfig(image_shape=(1, 4, 4), hidden_dims=(4, 8, 8, 8)))


@pytest.mark.parametrize("name", ROWS)
def test_outputs_are_unbounded_before_the_estimator_adds_any_activation(name):
    # The last layer must be linear: the estimator decides on sigmoid or identity.
    torch.manual_seed(0)
    net = build_network(name, **{**CONFIGS[name], **SHALLOW.get(name, {})})
    n_features = CONFIGS[name].get("n_features") or 3 * 11 * 6
    out = net(torch.randn(64, n_features) * 10)
    assert out.min() < 0 < out.max()


@pytest.mark.parametrize("name", sorted(SEQUENCE))
def test_sequence_network_contract(name):
    torch.manual_seed(0)
    net = build_network(name, **CONFIGS[name])
    tokens = torch.tensor([[5, 6, 7, 3], [8, 3, 0, 0]])  # EOS = 3, padding = 0
    h = net.encode(tokens)
    assert h.shape == (2, 3)
    # Padding does not change a text's code.
    torch.testing.assert_close(net.encode(tokens[:, :2])[1], h[1])
    previous = torch.tensor([[2, 5, 6, 7], [2, 8, 0, 0]])
    logits = net.decode(h, previous)
    assert logits.shape == (2, 4, 11)
    logits.pow(2).mean().backward()
    assert all(p.grad is not None for p in net.parameters())
    for beam in (1, 3):
        ids = net.generate(h.detach(), max_length=5, beam_size=beam)
        assert ids.shape[0] == 2 and ids.shape[1] <= 6 and ids.dtype == torch.long
    spec = network_spec(net)
    twin = build_network(spec["name"], **spec["config"])
    twin.load_state_dict(net.state_dict())
    assert torch.equal(twin.encode(tokens), net.encode(tokens))


def test_tied_logits_score_the_state_against_each_token_embedding():
    torch.manual_seed(0)
    net = build_network("gru", **CONFIGS["gru"], tie_embeddings=True)
    assert not hasattr(net, "output")  # no output layer of its own
    code, previous = torch.randn(2, 3), torch.tensor([[2, 5, 6], [2, 8, 0]])
    logits = net.decode(code, previous)
    states, _ = net.decoder(net._step_inputs(code, previous), net._start(code))
    by_hand = net.to_embedding(states) @ net.embedding.weight.T + net.output_bias
    torch.testing.assert_close(logits, by_hand)
    logits.pow(2).mean().backward()
    assert all(p.grad is not None for p in (net.embedding.weight, net.output_bias))


def _log_prob(net, code, ids):
    """Log-probability of decoded ``ids`` (up to EOS, or all) under teacher forcing."""
    ids = ids.tolist()
    ids = ids[: ids.index(3) + 1] if 3 in ids else ids
    tokens = torch.tensor([ids])
    previous = torch.cat([torch.tensor([[2]]), tokens[:, :-1]], dim=1)
    logp = torch.log_softmax(net.decode(code[None], previous), dim=2)
    return float(logp[0, torch.arange(len(ids)), tokens[0]].sum())


def test_beam_search_finds_sequences_at_least_as_likely_as_greedy():
    torch.manual_seed(0)
    net = build_network("gru", vocab_size=9, latent_dim=4, embedding_dim=6, hidden_dim=12).eval()
    codes = torch.randn(12, 4) * 3
    with torch.no_grad():
        greedy = net.generate(codes, max_length=6, beam_size=1)
        beam = net.generate(codes, max_length=6, beam_size=4)
        gains = [
            _log_prob(net, c, b) - _log_prob(net, c, g)
            for c, b, g in zip(codes, beam, greedy, strict=True)
        ]
    assert min(gains) > -1e-4  # beam search never does worse than greedy
    assert max(gains) > 1e-3  # and on some codes strictly better (else it is greedy)


@dataclasses.dataclass
class TinyConfig:
    n_features: int  # filled in from the data, as for "dense"
    latent_dim: int = 2
    code_params: int = 1  # 2 under a Gaussian bottleneck


@register_network("tiny", config=TinyConfig)
class Tiny(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.enc = torch.nn.Linear(config.n_features, config.latent_dim * config.code_params)
        self.dec = torch.nn.Linear(config.latent_dim, config.n_features)

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return self.dec(z)


def test_a_users_network_is_a_setting_like_the_built_in_ones(tmp_path):
    import aekit

    X = np.random.default_rng(0).random((60, 5))
    model = aekit.Autoencoder(latent_dim=2, architecture="tiny", epochs=3, random_state=0).fit(X)
    assert isinstance(model.network_, Tiny)
    vae = aekit.VariationalAutoencoder(latent_dim=2, architecture="tiny", epochs=2).fit(X)
    assert vae.network_.enc.out_features == 4  # mean and log-variance
    model.save(tmp_path / "t.aek")
    twin = aekit.load(tmp_path / "t.aek")
    np.testing.assert_array_equal(twin.transform(X), model.transform(X))
    # Elsewhere, without the registration, loading says which name is missing and how.
    code = f"import aekit; aekit.load({str(tmp_path / 't.aek')!r})"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "ModelFileError" in run.stderr and "no network named 'tiny'" in run.stderr
    assert "register_network('tiny'" in run.stderr and "Unpickl" not in run.stderr


def test_network_names_are_taken_once():
    with pytest.raises(ValueError, match="already registered"):
        register_network("dense", config=TinyConfig)(Tiny)
    register_network("tiny", config=TinyConfig)(Tiny)  # the same class again: a re-run cell
    with pytest.raises(TypeError, match="dataclass"):
        register_network("other", config=dict)
    import aekit

    with pytest.raises(ValueError, match="not a registered network"):
        aekit.Autoencoder(architecture="nope").fit(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="needs vocab_size"):
        aekit.Autoencoder(architecture="gru", epochs=1).fit(np.random.rand(10, 3))
