"""aekit.TextAutoencoder: round trips on a corpus it memorises, files, bad input, metrics."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from aekit import TextAutoencoder, exact_match, load, word_accuracy

CORPUS = [
    "really need chipotle today",
    "lol",
    "hi all",
    "brb",
    "anyone here from texas",
    "good morning everyone",
    "",
    "wb",
]
SMALL = dict(latent_dim=8, embedding_dim=32, hidden_dim=64, epochs=80, batch_size=8)
FIT = dict(**SMALL, synthetic=0, validation_fraction=0.0, random_state=0, device="cpu")


@pytest.fixture(scope="module", params=["bpe", "word", "char"])
def fitted(request):
    return TextAutoencoder(tokenizer=request.param, **FIT).fit(CORPUS * 4)


def test_memorised_corpus_round_trips(fitted):
    codes = fitted.transform(CORPUS)
    assert codes.shape == (len(CORPUS), 8) and codes.dtype == np.float32
    rebuilt = fitted.inverse_transform(codes)
    assert rebuilt == CORPUS  # the empty text included
    assert fitted.reconstruct(CORPUS) == rebuilt
    assert exact_match(CORPUS, rebuilt) == 1.0


def test_slots_decoder_round_trips_greedy_and_beam_and_through_a_file(tmp_path):
    model = TextAutoencoder(slots=4, **FIT).fit(CORPUS * 4)
    assert model.network_.config.slots == 4
    assert model.reconstruct(CORPUS) == CORPUS
    model.set_params(beam_size=3)
    assert model.reconstruct(CORPUS) == CORPUS
    model.save(tmp_path / "slots.aek")
    np.testing.assert_array_equal(load(tmp_path / "slots.aek").transform(CORPUS),
                                  model.transform(CORPUS))  # fmt: skip


def test_score_samples_is_higher_for_known_texts(fitted):
    known = fitted.score_samples(CORPUS[:3])
    unknown = fitted.score_samples(["zebra quantum harmonica", "xq vv kk", "purple"])
    assert known.shape == (3,) and np.all(known <= 0)
    assert known.min() > unknown.max()
    assert fitted.score(CORPUS) == pytest.approx(fitted.score_samples(CORPUS).mean())


def test_save_load_identity(tmp_path, fitted):
    fitted.save(tmp_path / "text.aek")
    twin = load(tmp_path / "text.aek")
    assert isinstance(twin, TextAutoencoder)
    assert twin.get_params() == fitted.get_params()
    np.testing.assert_array_equal(twin.transform(CORPUS), fitted.transform(CORPUS))
    assert twin.reconstruct(CORPUS) == fitted.reconstruct(CORPUS)
    np.testing.assert_array_equal(twin.score_samples(CORPUS), fitted.score_samples(CORPUS))


def test_input_containers_agree(fitted):
    series = pd.Series(CORPUS, name="text")
    expected = fitted.transform(CORPUS)
    np.testing.assert_array_equal(fitted.transform(series), expected)
    np.testing.assert_array_equal(fitted.transform(series.to_frame()), expected)
    np.testing.assert_array_equal(fitted.transform(np.array(CORPUS, dtype=object)), expected)


def test_same_seed_same_model():
    a = TextAutoencoder(**{**FIT, "epochs": 3}).fit(CORPUS)
    b = TextAutoencoder(**{**FIT, "epochs": 3}).fit(CORPUS)
    np.testing.assert_array_equal(a.transform(CORPUS), b.transform(CORPUS))


def test_beam_search_and_variational():
    settings = {**FIT, "epochs": 150}
    vae = TextAutoencoder(**settings, bottleneck="gaussian", word_dropout=0.2, kl_warmup=0.5)
    vae.fit(CORPUS * 4)
    assert vae.transform(CORPUS).shape == (len(CORPUS), 8)
    # The posterior mean decodes most texts back once the model has memorised them.
    assert word_accuracy(CORPUS, vae.reconstruct(CORPUS)) > 0.5
    samples = vae.sample(5, random_state=0)
    assert len(samples) == 5 and samples == vae.sample(5, random_state=0)
    greedy = vae.reconstruct(CORPUS)
    beam = vae.set_params(beam_size=3).reconstruct(CORPUS)  # decoding only: no refit
    assert all(isinstance(t, str) for t in beam)
    assert word_accuracy(CORPUS, beam) >= word_accuracy(CORPUS, greedy) - 0.05


def test_long_texts_are_cut_with_a_warning():
    model = TextAutoencoder(**{**FIT, "epochs": 1, "max_length": 2})
    with pytest.warns(UserWarning, match="longer than max_length=2") as caught:
        model.fit(CORPUS)
    assert caught[0].filename == __file__  # it points at the caller's line, not aekit's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.transform(["lol"])  # short texts stay quiet


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "no texts"),
        (["ok", 3], "text 1 is a int"),
        (["ok", None], "text 1 is a NoneType"),
        ("just one string", "not a single string"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), "exactly one column"),
        (np.array([["a", "b"]]), "1-D"),
        (42, "list of texts"),
    ],
)
def test_bad_texts(X, match):
    with pytest.raises(ValueError, match=match):
        TextAutoencoder(**{**FIT, "epochs": 1}).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"tokenizer": "sentencepiece"}, "tokenizer"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"word_dropout": 1.0}, "word_dropout"),
        ({"network": "lstm"}, "network"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        TextAutoencoder(**{**FIT, **params}).fit(CORPUS)


def test_a_plain_model_cannot_sample(fitted):
    with pytest.raises(ValueError, match='bottleneck="gaussian"'):
        fitted.sample(3)


def test_bad_codes(fitted):
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        fitted.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        fitted.inverse_transform(np.full((1, 8), np.nan))
    assert fitted.inverse_transform(np.zeros((0, 8))) == []


def test_metrics():
    assert word_accuracy(["a b c"], ["a b"]) == pytest.approx(2 / 3)
    assert word_accuracy(["a b", "c"], ["A B", "d e"]) == pytest.approx(2 / 4)
    assert word_accuracy([""], [""]) == 1.0
    assert exact_match(["Hi  all", "x"], ["hi all", "y"]) == 0.5
    with pytest.raises(ValueError, match="pair up"):
        word_accuracy(["a"], [])


def test_aligned_word_accuracy_counts_edits_against_the_reference_words():
    from aekit.text.metrics import aligned_word_accuracy, edit_distance

    # One dropped word costs one edit, not every word after it (position-wise: 1/4).
    assert aligned_word_accuracy(["really need chipotle today"], ["really chipotle today"]) == 0.75
    assert word_accuracy(["really need chipotle today"], ["really chipotle today"]) == 0.25
    # kitten -> sitting, by words: 2 substitutions and 1 insertion.
    assert edit_distance(list("kitten"), list("sitting")) == 3
    # Two texts, 5 reference words, 1 + 2 edits.
    assert aligned_word_accuracy(["a b c", "d e"], ["a x c", "f"]) == pytest.approx(1 - 3 / 5)
    assert aligned_word_accuracy([""], [""]) == 1.0


def test_bleu_matches_a_hand_computation():
    pytest.importorskip("sacrebleu", reason="BLEU needs sacrebleu (aekit[text])")
    from aekit.text.metrics import bleu

    # n-gram precisions 5/6, 3/5, 2/4, 1/3, equal lengths (no brevity penalty).
    hand = 100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert bleu(["the cat sat on the mat"], ["the cat sat on a mat"]) == pytest.approx(hand)
    assert bleu(["Hi all"], ["hi all"]) == pytest.approx(100)
    # Unequal lengths: which is the reference matters. A short hypothesis matches every
    # n-gram (precisions 1) but pays the brevity penalty exp(1 - 6/4); the long one,
    # given the short reference, pays none but matches 4/6, 3/5, 2/4 and 1/3.
    long, short = "the cat sat on the mat", "the cat sat on"
    assert bleu([long], [short]) == pytest.approx(100 * math.exp(1 - 6 / 4))
    assert bleu([short], [long]) == pytest.approx(100 * (4 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25)


def test_metrics_by_length_bucket():
    from aekit.text.metrics import reconstruction_metrics

    refs = ["lol", "hi all", "one two three four five six seven", "a b c d"]
    hyps = ["lol", "hi", "one two three four five six seven", "a b c x"]
    out = reconstruction_metrics(refs, hyps)
    assert set(out) == {"all", "1-3", "4-6", "7-12"}  # no text of 13+ words
    assert out["1-3"]["n_texts"] == 2 and out["1-3"]["exact_match"] == 0.5
    assert out["7-12"]["exact_match"] == 1.0 and out["4-6"]["exact_match"] == 0.0
    assert out["4-6"]["aligned_word_accuracy"] == 0.75
    assert out["all"]["exact_match"] == 0.5


def test_length_buckets_at_their_edges():
    """Texts of 3, 4, 6, 7, 12 and 13 words: each edge falls in the bucket it names."""
    from aekit.text.metrics import reconstruction_metrics

    refs = [" ".join(f"w{i}" for i in range(n)) for n in (3, 4, 6, 7, 12, 13)]
    hyps = [refs[0], "x", refs[2], "x", refs[4], "x"]  # 3, 6 and 12 words come back
    out = reconstruction_metrics(refs, hyps)
    assert {k: v["n_texts"] for k, v in out.items()} == {
        "all": 6, "1-3": 1, "4-6": 2, "7-12": 2, "13+": 1
    }  # fmt: skip
    assert [out[k]["exact_match"] for k in ("1-3", "4-6", "7-12", "13+")] == [1.0, 0.5, 0.5, 0.0]


def test_synthetic_texts_reuse_the_words_and_lengths_of_the_corpus():
    from aekit.text.autoencoder import synthetic_texts

    extra = synthetic_texts(CORPUS, 30, np.random.RandomState(0))
    assert len(extra) == 30
    words = {w for t in CORPUS for w in t.split()}
    assert all(set(t.split()) <= words for t in extra)
    assert {len(t.split()) for t in extra} <= {len(t.split()) for t in CORPUS}
    pseudo = synthetic_texts(CORPUS, 30, np.random.RandomState(0), pseudo=1.0)
    letters = set("".join(CORPUS).replace(" ", ""))
    made = [w for t in pseudo for w in t.split()]
    assert all(set(w) <= letters for w in made) and not set(made) <= words
    assert {len(w) for w in made} <= {len(w) for w in words}
    model = TextAutoencoder(**{**FIT, "epochs": 2, "synthetic": 20}).fit(CORPUS)
    assert model.transform(CORPUS).shape == (len(CORPUS), 8)


def test_unseen_words_made_of_the_corpus_letters_come_back():
    # Synthetic texts of pseudo-words teach spelling through the code: none of these
    # words is in the corpus (with pseudo_words=0 none of the four comes back).
    corpus = ["a lot", "no one", "i did", "tea", "add it", "late", "to dine", "ten on a dot"]
    unseen = ["lone tide", "an idea", "toe", "dial note"]
    assert not {w for t in unseen for w in t.split()} & {w for t in corpus for w in t.split()}
    assert set("".join(unseen)) <= set("".join(corpus))
    model = TextAutoencoder(
        latent_dim=64, embedding_dim=32, hidden_dim=128, batch_size=64, epochs=15,
        synthetic=6000, pseudo_words=1.0, validation_fraction=0.0, random_state=0, device="cpu",
    ).fit(corpus * 4)  # fmt: skip
    rebuilt = model.reconstruct(unseen)
    assert sum(r == u for r, u in zip(rebuilt, unseen, strict=True)) >= 3, rebuilt
    assert model.reconstruct(corpus) == corpus
