"""Every registered network goes through the same checks (the torchvision way)."""

import pytest
import torch

from aekit.networks import NETWORKS, build_network, network_spec

CONFIGS = {
    "dense": dict(n_features=13, latent_dim=3, hidden_dims=(16, 8)),
    "conv": dict(image_shape=(3, 11, 6), latent_dim=3, hidden_dims=(4, 8)),
    "gru": dict(vocab_size=11, latent_dim=3, embedding_dim=4, hidden_dim=6),
}
SEQUENCE = {"gru"}  # token ids in, next-token logits out: their own contract below
ROWS = sorted(set(NETWORKS) - SEQUENCE)


def test_every_network_has_a_test_config():
    assert set(NETWORKS) == set(CONFIGS)


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
    # Gradients reach every parameter.
    net(x).pow(2).mean().backward()
    assert all(p.grad is not None for p in net.parameters())
    # The output bias can start the decoder at a given mean output.
    target = torch.linspace(-1, 1, n_features)
    net.init_output_bias(target)
    zero_code = net.decode(torch.zeros(1, 3))
    assert zero_code.shape == (1, n_features)
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


@pytest.mark.parametrize("name", ROWS)
def test_outputs_are_unbounded_before_the_estimator_adds_any_activation(name):
    # The last layer must be linear: the estimator decides on sigmoid or identity.
    torch.manual_seed(0)
    net = build_network(name, **{**CONFIGS[name], "hidden_dims": ()})
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
