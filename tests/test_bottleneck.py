"""One spelling of variational: bottleneck="gaussian" on every estimator, the KL term
added by the objective itself, the old spellings still working (with a warning), and
model files written before the change still loading."""

import warnings

import numpy as np
import pytest

import aekit
from aekit.objective.penalties import PriorKL

TEXTS = ["hi all", "lol", "really need chipotle today", "who is here", "hey you", "ok then"]


def _digits():
    from aekit.data import load_digits

    return load_digits()[0][:200]


def _pictures():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (24, 12, 12, 3), dtype=np.uint8)


def _stream(n=600):
    t = np.arange(n)
    return np.stack([np.sin(t / 10), np.cos(t / 23)], axis=1)


def _tones():
    t = np.arange(2000) / 8000
    return [np.sin(2 * np.pi * f * t).astype(np.float32) for f in np.linspace(300, 1500, 8)]


FAST = dict(epochs=2, random_state=0, device="cpu")
CASES = {
    "Autoencoder": (lambda **k: aekit.Autoencoder(latent_dim=3, **FAST, **k), _digits),
    "ImageAutoencoder": (
        lambda **k: aekit.ImageAutoencoder(latent_dim=4, hidden_dims=(4, 8), **FAST, **k),
        _pictures,
    ),
    "SeriesAutoencoder": (
        lambda **k: aekit.SeriesAutoencoder(window=32, latent_dim=4, scoring="error", **FAST, **k),
        _stream,
    ),
    "TextAutoencoder": (
        lambda **k: aekit.TextAutoencoder(
            latent_dim=8, hidden_dim=16, embedding_dim=8, synthetic=0, tokenizer="char", **FAST, **k
        ),
        lambda: TEXTS,
    ),
    "AudioAutoencoder": (
        lambda **k: aekit.AudioAutoencoder(latent_dim=3, sample_rate=8000, **FAST, **k),
        _tones,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_estimator_takes_a_gaussian_bottleneck_and_samples(name):
    if name == "AudioAutoencoder":
        pytest.importorskip("librosa")
    make, data = CASES[name]
    model = make(bottleneck="gaussian", beta=0.5, free_bits=0.1).fit(data())
    inner = aekit.plotting._base.autoencoder_of(model)
    assert inner.has_prior
    drawn = model.sample(3, random_state=0)
    assert len(drawn) == 3
    # The KL term comes with the bottleneck: first, with the settings given here.
    prior = inner._objective().penalties[0]
    assert isinstance(prior, PriorKL) and (prior.beta, prior.free_bits) == (0.5, 0.1)
    plain = make().fit(data())
    assert not aekit.plotting._base.autoencoder_of(plain).has_prior
    assert not any(isinstance(p, PriorKL) for p in aekit.plotting._base.autoencoder_of(
        plain)._objective().penalties)  # fmt: skip
    with pytest.raises(ValueError, match="cannot sample"):
        plain.sample(2)


def test_the_variational_autoencoder_is_the_autoencoder_preset():
    X = _digits()
    vae = aekit.VariationalAutoencoder(latent_dim=3, **FAST).fit(X)
    same = aekit.Autoencoder(latent_dim=3, bottleneck="gaussian", kl_warmup=0.1, **FAST).fit(X)
    assert vae.loss_ == same.loss_ == "bce"  # data in [0, 1]: a Bernoulli likelihood
    np.testing.assert_array_equal(vae.transform(X), same.transform(X))
    np.testing.assert_allclose(vae.score_samples(X), same.score_samples(X))  # the ELBO
    assert set(aekit.Autoencoder().get_params()) == set(vae.get_params())


@pytest.mark.parametrize(
    "params, match",
    [
        ({"beta": 2.0}, "beta is a setting of a variational model"),
        ({"free_bits": 0.5}, "free_bits is a setting of a variational model"),
        ({"bottleneck": "quantized"}, "is ImageAutoencoder's"),
        ({"bottleneck": "gaussian", "sparsity": 1e-3, "sparsity_target": 0.1}, "sigmoid units"),
    ],
)
def test_settings_that_would_do_nothing_or_cannot_be_are_refused(params, match):
    with pytest.raises(ValueError, match=match):
        aekit.Autoencoder(epochs=1, **params).fit(_digits())


@pytest.mark.parametrize("name", ["SeriesAutoencoder", "TextAutoencoder"])
def test_variational_true_still_works_and_says_what_replaces_it(name):
    make, data = CASES[name]
    model = make(variational=True)
    with pytest.warns(FutureWarning, match='use bottleneck="gaussian"'):
        model.fit(data())
    assert model.has_prior and len(model.sample(2, random_state=0)) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new spelling warns of nothing
        make(bottleneck="gaussian").fit(data())


def test_the_audio_flag_variational_still_works(tmp_path):
    pytest.importorskip("librosa")
    from aekit.audio.clips import write_clip
    from aekit.cli import main

    folder = tmp_path / "wavs"
    folder.mkdir()
    for i, wave in enumerate(_tones()):
        write_clip(folder / f"{i}.wav", wave, 8000)
    out = tmp_path / "vae.aek"
    argv = ["train", str(folder), "-o", str(out), "--model", "audio", "--epochs", "1", "--quiet"]
    with pytest.warns(FutureWarning, match="--bottleneck gaussian"):
        assert main([*argv, "--variational"]) == 0
    assert aekit.load(out).autoencoder_.has_prior
