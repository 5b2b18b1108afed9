"""``aekit.TextAutoencoder``: short texts -> codes -> texts."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ..estimator import NeuralEstimator, VariationalAlias
from ..networks import build_network
from ..objective import Objective
from ..objective.bottleneck import BOTTLENECKS
from ..params import (
    CODE,
    LATENT_DIM,
    TRAINING,
    VARIATIONAL,
    Param,
    one_of,
    parameters,
    positive_int,
)
from ..saving.model_file import register_estimator
from .input import TextInput, check_texts
from .sequences import TokenCrossEntropy, length_buckets, trim
from .tokenizer import KINDS

TEXT = (
    LATENT_DIM,
    one_of("tokenizer", "bpe", KINDS,
           'How texts become tokens. "bpe": sub-word pieces, so unseen words are spelt from '
          'pieces; "word": whitespace-split words, those outside the vocabulary become '
           '[UNK]; "char": characters.', help="default bpe"),
    Param("vocab_size", 2000, [Interval(Integral, 8, None, closed="left")], "int",
          'Largest vocabulary for "bpe" and "word" (four reserved tokens included). Unseen '
          "words are spelt from its pieces. NPS Chat (300 s, 2 cores, seeds 0 and 1): "
          "held-out word accuracy 0.655 and 0.646 with 2000, 0.643 and 0.634 with 1000.",
          {"type": int, "help": "largest vocabulary (bpe, word)"}, int),
    Param("lowercase", True, ["boolean"], "bool", "Lower-case texts before tokenizing "
          "(reconstructions are then lower-case).", None, bool),
    positive_int("max_length", 64, "int", "Tokens kept per text; longer texts are cut, with a "
                 "warning.", help="tokens kept per text"),
    one_of("network", "gru", ("gru",),
           "Encoder / decoder: a bidirectional GRU encoder and a GRU decoder.", cli=False),
    positive_int("embedding_dim", 64, "int", "Width of the token embeddings."),
    positive_int("hidden_dim", 128, "int", "Width of the decoder's GRU state; each direction "
                 "of the encoder has half. Small trains more texts per second, which is what "
                 "a CPU budget lacks (NPS Chat, 300 s, 2 cores, untied decoder: held-out exact "
                 "match 0.62 at 128 against 0.49 at 256; 0.73 at 128 in 1,200 s)."),
    Param("slots", 8, [Interval(Integral, 0, None, closed="left")], "int",
          "Vectors made from the code that the decoder attends to at every step (0: "
          "none), so each position of a long text can read its own part of the code.",
          {"type": int, "help": "code slots the decoder attends to"}, int),
    *CODE,
    VARIATIONAL,
    Param("word_dropout", 0.0, [Interval(Real, 0, 1, closed="left")], "float in [0, 1)",
          "Share of the decoder's input tokens replaced by [UNK] while training.",
          {"type": float, "help": "share of decoder inputs hidden"}, float),
    Param("synthetic", 600_000, [Interval(Integral, 0, None, closed="left")], "int",
          "Extra training texts, each made of words drawn at random from the training texts, "
          "with the length of a random training text. A small corpus can be memorised by the "
          "decoder's language model instead of passing through the code; texts no language "
          "model predicts teach the network to carry any word sequence through the code, "
          "which is what new texts need. Best when no text is seen twice in the time given: "
          "NPS Chat (5,928 unique posts, 300 s, 2 cores, untied), held-out exact match 0.57 with "
          "50,000 (11 passes), 0.62 with 600,000 (one pass; 10 s to make, 0.3 GB). 0 turns "
          "it off; a large corpus needs none.",
          {"type": int, "help": "extra random-word training texts"}, int),
    Param("pseudo_words", 0.0, [Interval(Real, 0, 1, closed="both")], "float in [0, 1]",
          "Share of the synthetic texts' words that are pseudo-words (random letters, drawn "
          "by their frequency in the corpus): they teach spelling through the code, which "
          "words the corpus never had need.",
          {"type": float, "help": "share of synthetic words made of random letters"},
          float),
    positive_int("beam_size", 1, "int", "Decoding: 1 is greedy, more is beam search (slower, "
                 "sometimes better)."),
)  # fmt: skip


@dataclass
class _Texts:
    """Token ids with the texts they came from, split together."""

    tokens: torch.Tensor
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: torch.Tensor) -> _Texts:
        return _Texts(self.tokens[index], [self.texts[i] for i in index.tolist()])

    def to(self, device: Any) -> torch.Tensor:
        return self.tokens.to(device)


@register_estimator
class TextAutoencoder(VariationalAlias, NeuralEstimator):
    """Autoencoder for short texts: a GRU sequence-to-sequence model through a code.

    ``fit`` learns a tokenizer on the texts (Hugging Face ``tokenizers``), then an
    encoder ``text -> z`` and a decoder ``z -> text`` trained by teacher forcing in
    the same training loop as every aekit model. ``transform`` returns the codes,
    ``inverse_transform`` decodes codes back into texts.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    input_ : aekit.text.input.TextInput
        The front end: the tokenizer learned at ``fit`` and the ids it gives.
    tokenizer_ : tokenizers.Tokenizer
        The tokenizer learned at ``fit`` (``input_.tokenizer``).
    network_ : torch.nn.Module
        The trained sequence network.
    history_ : dict of lists
        Per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``learning_rate``, ``time``.
    training_time_ : float
        Seconds spent in the training loop.
    n_features_in_ : int
        Always 1: one text per sample.

    Examples
    --------
    >>> import aekit
    >>> posts = ["really need chipotle today", "lol", "hi all", "brb"] * 8
    >>> txt = aekit.TextAutoencoder(latent_dim=8, hidden_dim=64, epochs=60, synthetic=0,
    ...                             validation_fraction=0, random_state=0).fit(posts)
    >>> txt.transform(["really need chipotle today"]).shape
    (1, 8)
    >>> txt.reconstruct(["really need chipotle today", "lol"])
    ['really need chipotle today', 'lol']
    """

    _parameters = parameters(
        TEXT, TRAINING, latent_dim=64, kl_warmup=0.3, batch_size=64, learning_rate=3e-3
    )
    _inference_batch = 512
    _loop_settings = {"clip_grad": 1.0}  # recurrent networks need it
    _no_prior = (
        "this TextAutoencoder cannot sample: its code space has no prior to draw from. Fit "
        'it with bottleneck="gaussian" (CLI: --bottleneck gaussian) to generate texts.'
    )

    # ------------------------------------------------------------------ fit steps
    def fit(self, X: Any, y: Any = None) -> TextAutoencoder:
        """Learn the tokenizer and the network from ``X``, a list (or Series, or
        one-column DataFrame) of strings."""
        return super().fit(X)

    def _fit_input(self, X: Any) -> _Texts:
        texts = check_texts(X)
        self.input_ = TextInput.fit(
            texts, self.tokenizer, self.vocab_size, self.lowercase, self.max_length
        )
        self.n_features_in_ = 1
        return _Texts(self.input_.tokens(texts), texts)

    tokenizer_ = property(lambda self: self.input_.tokenizer, doc="The tokenizer learned at fit.")

    def _training_rows(self, train_x: _Texts, rng: np.random.RandomState) -> torch.Tensor:
        if self.synthetic == 0:  # validation stays real texts only
            return train_x.tokens
        extra = synthetic_texts(train_x.texts, self.synthetic, rng, self.pseudo_words)
        return torch.cat([train_x.tokens, self.input_.tokens(extra, warn=False)])

    def _build_network(self) -> torch.nn.Module:
        return build_network(
            self.network,
            vocab_size=self.input_.vocab_size,
            latent_dim=self.latent_dim,
            embedding_dim=self.embedding_dim,
            hidden_dim=self.hidden_dim,
            encoder_dim=max(1, self.hidden_dim // 2),
            slots=self.slots,
            tie_embeddings=True,
            code_params=BOTTLENECKS[self._bottleneck()].code_params,
        )

    def _batch_plan(self, train_x: torch.Tensor) -> Any:
        return length_buckets((train_x != 0).sum(dim=1))

    def _objective(self, generator: torch.Generator | None = None) -> Objective:
        return Objective(
            latent_dim=self.latent_dim,
            reconstruction=TokenCrossEntropy(self.word_dropout),
            bottleneck=self._code_bottleneck(),
            generator=generator,
        )

    # ------------------------------------------------------------------ inference
    def transform(self, X: Any) -> np.ndarray:
        """Codes of the texts in ``X``: float32 array of shape (n_texts, latent_dim)."""
        check_is_fitted(self)
        objective = self._objective()
        tokens = self.input_.tokens(check_texts(X))
        return self._map(lambda tb: objective.encode(self.network_, trim(tb)), tokens)

    def inverse_transform(self, X: Any) -> list[str]:
        """Texts decoded from codes ``X`` of shape (n, latent_dim)."""
        check_is_fitted(self)
        codes = np.asarray(X, dtype=np.float32)
        if codes.ndim != 2 or codes.shape[1] != self.latent_dim:
            raise ValueError(
                f"codes must have shape (n, {self.latent_dim}) for this model; got {codes.shape}."
            )
        if not np.all(np.isfinite(codes)):
            raise ValueError("codes contain NaN or infinity.")

        def generate(cb: torch.Tensor) -> torch.Tensor:
            length = self.input_.max_length  # as fitted
            ids = self.network_.generate(cb, length, self.beam_size)
            return torch.nn.functional.pad(ids, (0, length + 1 - ids.shape[1]))

        if len(codes) == 0:
            return []
        return self.input_.restore(self._map(generate, torch.from_numpy(codes)).tolist())

    def sample(self, n_samples: int = 1, random_state: Any = None) -> list[str]:
        """Texts decoded from ``n_samples`` draws of the prior N(0, I) (a variational model:
        ``bottleneck="gaussian"``)."""
        return super().sample(n_samples, random_state)

    def score_samples(self, X: Any) -> np.ndarray:
        """Negative reconstruction loss of each text: its mean cross-entropy per token
        (EOS included) when decoded from its code; higher is better."""
        check_is_fitted(self)
        objective = self._objective()
        tokens = self.input_.tokens(check_texts(X))
        errors = self._map(lambda tb: objective.reconstruction_error(self.network_, tb), tokens)
        return -errors.astype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    # ------------------------------------------------------------------ files
    def _own_file_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.input_.to_state(), {}

    def _load_own_file_state(self, state: dict[str, Any], tensors: dict[str, Any]) -> None:
        self.input_ = TextInput.from_state(state, self.max_length)
        self.n_features_in_ = 1


def synthetic_texts(
    texts: list[str], n: int, rng: np.random.RandomState, pseudo: float = 0.0
) -> list[str]:
    """``n`` texts of words drawn at random from ``texts`` (by frequency), each as
    long, in words, as a randomly drawn one of ``texts``; with ``pseudo``, that share
    of the words replaced by pseudo-words: letters drawn by their frequency in
    ``texts``, as long as a randomly drawn word."""
    words = [w for text in texts for w in text.split()]
    if not words:
        return []
    lengths = np.array([len(text.split()) for text in texts])
    sizes = lengths[rng.randint(len(lengths), size=n)]
    picked = [words[i] for i in rng.randint(len(words), size=int(sizes.sum()))]
    if pseudo > 0:
        letters = np.array(list("".join(words)))
        word_lengths = np.array([len(w) for w in words])
        for k in np.flatnonzero(rng.random_sample(len(picked)) < pseudo):
            size = word_lengths[rng.randint(len(words))]
            picked[k] = "".join(letters[rng.randint(len(letters), size=size)])
    bounds = np.cumsum(sizes)[:-1]
    return [" ".join(part) for part in np.split(np.array(picked, dtype=object), bounds)]
