"""``aekit.TextAutoencoder``: short texts -> codes -> texts."""

from __future__ import annotations

import math
import time
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..inputs import as_list
from ..networks import build_network, network_spec, restore_network
from ..objective import Objective
from ..training import (
    TRAINING_CONSTRAINTS,
    TrainSettings,
    check_resume,
    resolve_device,
    train_estimator,
)
from .sequences import length_buckets, pad_ids, trim
from .tokenizer import KINDS, decode, train_tokenizer

_INFERENCE_BATCH = 512


class TextAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Autoencoder for short texts: a GRU sequence-to-sequence model through a code.

    ``fit`` learns a tokenizer on the texts (Hugging Face ``tokenizers``), then an
    encoder ``text -> z`` and a decoder ``z -> text`` trained by teacher forcing in
    the same training loop as every aekit model. ``transform`` returns the codes,
    ``inverse_transform`` decodes codes back into texts.

    Parameters
    ----------
    latent_dim : int, default=64
        Width of the code.
    tokenizer : {"bpe", "word", "char"}, default="bpe"
        How texts become tokens. ``"bpe"``: sub-word pieces, so unseen words are spelt
        from pieces; ``"word"``: whitespace-split words, those outside the vocabulary
        become ``[UNK]``; ``"char"``: characters.
    vocab_size : int, default=1000
        Largest vocabulary for ``"bpe"`` and ``"word"`` (four reserved tokens included).
        A small sub-word vocabulary spells unseen words from pieces seen often.
    lowercase : bool, default=True
        Lower-case texts before tokenizing (reconstructions are then lower-case).
    max_length : int, default=64
        Tokens kept per text; longer texts are cut, with a warning.
    network : {"gru"}, default="gru"
        Encoder / decoder: a bidirectional GRU encoder and a GRU decoder.
    embedding_dim : int, default=128
        Width of the token embeddings.
    hidden_dim : int, default=256
        Width of the decoder's GRU state; each direction of the encoder has half.
    variational : bool, default=False
        A text VAE: Gaussian code with a KL term to the prior, ramped up over
        ``kl_warmup`` of the run; combine with ``word_dropout`` so the decoder relies
        on the code.
    beta : float, default=1.0
        Weight of the KL term (``variational=True``).
    kl_warmup : float in [0, 1], default=0.3
        Share of the run over which the KL weight rises from 0 to ``beta``.
    word_dropout : float in [0, 1), default=0.0
        Share of the decoder's input tokens replaced by ``[UNK]`` while training.
    synthetic : int, default=50_000
        Extra training texts, each made of words drawn at random from the training
        texts, with the length of a random training text. A small corpus can be
        memorised by the decoder's language model instead of passing through the
        code; texts no language model predicts teach the network to carry any word
        sequence through the code, which is what new texts need (NPS Chat, 7,142
        posts, 300 s: held-out exact match 0.56 with 21k, 0.60 with 57k, 0.64 with
        114k). 0 turns it off; a large corpus needs none.
    beam_size : int, default=1
        Decoding: 1 is greedy, more is beam search (slower, sometimes better).
    epochs : int, default=100
        Upper bound on passes over the data.
    batch_size : int, default=64
        Texts per training step; batches group texts of like length.
    learning_rate : float, default=3e-3
        Peak learning rate (Adam; warm-up then cosine decay).
    max_time : float, default=None
        Training budget in seconds; training stops cleanly when it is spent.
    validation_fraction : float, default=0.1
        Share of the texts held out for early stopping; 0 turns it off.
    patience : int, default=10
        Epochs without validation improvement before stopping.
    random_state : int, RandomState instance or None, default=None
        Seed for the split, the initial weights and the shuffling.
    device : str, default="auto"
        "auto" (CUDA when present), "cpu", "cuda" or "cuda:N".
    precision : {"fp32", "bf16"}, default="fp32"
        ``"bf16"`` runs the forward passes of training under bfloat16 autocast (weights
        and optimiser stay float32): faster on GPUs with bfloat16 units.
    checkpoint_dir : str or path, default=None
        Folder for a training checkpoint written (atomically) after every epoch:
        weights, optimiser, random generators, history. See ``resume``.
    resume : bool, default=False
        Go on from the checkpoint in ``checkpoint_dir`` (same data and settings): the
        result is the uninterrupted run's, bit for bit on CPU without ``max_time``.
        Without a checkpoint there, training starts from the beginning (a warning says so).
    on_divergence : {"raise", "skip"}, default="raise"
        A NaN or infinite loss: ``"raise"`` stops training, restores the last good
        weights and raises ``TrainingDiverged`` (a ValueError); ``"skip"`` leaves that
        batch out and counts it in ``history_["skipped_batches"]``.
    verbose : bool, default=False
        Show a progress bar.

    Attributes
    ----------
    tokenizer_ : tokenizers.Tokenizer
        The tokenizer learned at ``fit``.
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

    _parameter_constraints: dict[str, list[Any]] = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "tokenizer": [StrOptions(set(KINDS))],
        "vocab_size": [Interval(Integral, 8, None, closed="left")],
        "lowercase": ["boolean"],
        "max_length": [Interval(Integral, 1, None, closed="left")],
        "network": [StrOptions({"gru"})],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_dim": [Interval(Integral, 1, None, closed="left")],
        "variational": ["boolean"],
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup": [Interval(Real, 0, 1, closed="both")],
        "word_dropout": [Interval(Real, 0, 1, closed="left")],
        "synthetic": [Interval(Integral, 0, None, closed="left")],
        "beam_size": [Interval(Integral, 1, None, closed="left")],
        **TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        latent_dim: int = 64,
        *,
        tokenizer: str = "bpe",
        vocab_size: int = 1000,
        lowercase: bool = True,
        max_length: int = 64,
        network: str = "gru",
        embedding_dim: int = 128,
        hidden_dim: int = 256,
        variational: bool = False,
        beta: float = 1.0,
        kl_warmup: float = 0.3,
        word_dropout: float = 0.0,
        synthetic: int = 50_000,
        beam_size: int = 1,
        epochs: int = 100,
        batch_size: int = 64,
        learning_rate: float = 3e-3,
        max_time: float | None = None,
        validation_fraction: float = 0.1,
        patience: int = 10,
        random_state: Any = None,
        device: str = "auto",
        precision: str = "fp32",
        checkpoint_dir: str | None = None,
        resume: bool = False,
        on_divergence: str = "raise",
        verbose: bool = False,
    ):
        self.latent_dim = latent_dim
        self.tokenizer = tokenizer
        self.vocab_size = vocab_size
        self.lowercase = lowercase
        self.max_length = max_length
        self.network = network
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.variational = variational
        self.beta = beta
        self.kl_warmup = kl_warmup
        self.word_dropout = word_dropout
        self.synthetic = synthetic
        self.beam_size = beam_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_time = max_time
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.precision = precision
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.on_divergence = on_divergence
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None) -> TextAutoencoder:
        """Learn the tokenizer and the network from ``X``, a list (or Series, or
        one-column DataFrame) of strings."""
        start = time.perf_counter()
        self._validate_params()
        check_resume(self.checkpoint_dir, self.resume)
        texts = check_texts(X)
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        tokenizer = train_tokenizer(texts, self.tokenizer, self.vocab_size, self.lowercase)
        self.tokenizer_ = tokenizer
        tokens = self._tokens(texts)

        n_val = int(math.floor(self.validation_fraction * len(tokens)))
        order = torch.from_numpy(rng.permutation(len(tokens)))
        if n_val < 1 or len(tokens) - n_val < 1:
            train_x, val_x, train_texts = tokens, None, texts
        else:
            train_x, val_x = tokens[order[n_val:]], tokens[order[:n_val]].to(device)
            train_texts = [texts[i] for i in order[n_val:].tolist()]
        if self.synthetic > 0:  # validation stays real texts only
            extra = synthetic_texts(train_texts, self.synthetic, rng)
            train_x = torch.cat([train_x, self._tokens(extra, warn=False)])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.network_ = build_network(
                self.network,
                vocab_size=tokenizer.get_vocab_size(),
                latent_dim=self.latent_dim,
                embedding_dim=self.embedding_dim,
                hidden_dim=self.hidden_dim,
                encoder_dim=max(1, self.hidden_dim // 2),
                code_params=2 if self.variational else 1,
            ).to(device)
        budget = None if self.max_time is None else self.max_time - (time.perf_counter() - start)
        settings = TrainSettings.of(self, budget, clip_grad=1.0)
        objective = self._objective(torch.Generator(device=device).manual_seed(seed + 1))
        lengths = (train_x != 0).sum(dim=1)
        self.n_features_in_ = 1
        train_estimator(
            self,
            self.network_,
            objective,
            train_x.to(device),
            val_x,
            settings=settings,
            generator=torch.Generator().manual_seed(seed),
            batches=length_buckets(lengths),
        )
        return self

    def _objective(self, generator: torch.Generator | None = None) -> Objective:
        return Objective(
            latent_dim=self.latent_dim,
            loss="tokens",
            unit=False,
            bottleneck="gaussian" if self.variational else "deterministic",
            beta=self.beta,
            kl_warmup=self.kl_warmup,
            word_dropout=self.word_dropout,
            generator=generator,
        )

    def _tokens(self, texts: list[str], warn: bool = True) -> torch.Tensor:
        """Token ids of ``texts`` (n, max_length + 1), warning about any that are cut."""
        rows = [e.ids for e in self.tokenizer_.encode_batch(texts, add_special_tokens=False)]
        cut = sum(len(r) > self.max_length for r in rows)
        if cut and warn:
            warnings.warn(
                f"{cut} of {len(rows)} texts are longer than max_length={self.max_length} "
                "tokens and were cut to it.",
                UserWarning,
                stacklevel=3,
            )
        return pad_ids(rows, self.max_length)

    # ------------------------------------------------------------------ inference
    def _map(self, fn, tokens: torch.Tensor) -> np.ndarray:
        """``fn`` over ``tokens`` in batches on the model's device, as one array."""
        device = next(self.network_.parameters()).device
        self.network_.eval()
        out = []
        with torch.inference_mode():
            for batch in tokens.split(_INFERENCE_BATCH):
                out.append(fn(batch.to(device)).cpu().numpy())
        return np.concatenate(out)

    def transform(self, X: Any) -> np.ndarray:
        """Codes of the texts in ``X``: float32 array of shape (n_texts, latent_dim)."""
        check_is_fitted(self)
        objective = self._objective()
        tokens = self._tokens(check_texts(X))
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
        codes = torch.from_numpy(codes)

        def generate(cb: torch.Tensor) -> torch.Tensor:
            ids = self.network_.generate(cb, self.max_length, self.beam_size)
            return torch.nn.functional.pad(ids, (0, self.max_length + 1 - ids.shape[1]))

        if len(codes) == 0:
            return []
        return decode(self.tokenizer_, self._map(generate, codes).tolist())

    def sample(self, n_samples: int = 1, random_state: Any = None) -> list[str]:
        """Texts decoded from ``n_samples`` draws of the prior N(0, I) (``variational=True``)."""
        check_is_fitted(self)
        if not self.variational:
            raise ValueError(
                "this TextAutoencoder cannot sample: its code space has no prior to draw "
                "from. Fit it with variational=True (CLI: --variational) to generate texts."
            )
        if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
        rng = check_random_state(random_state)
        return self.inverse_transform(rng.standard_normal((int(n_samples), self.latent_dim)))

    def reconstruct(self, X: Any) -> list[str]:
        """``inverse_transform(transform(X))``: each text through the code and back."""
        return self.inverse_transform(self.transform(X))

    def score_samples(self, X: Any) -> np.ndarray:
        """Negative reconstruction loss of each text: its mean cross-entropy per token
        (EOS included) when decoded from its code; higher is better."""
        check_is_fitted(self)
        objective = self._objective()
        tokens = self._tokens(check_texts(X))
        errors = self._map(lambda tb: objective.reconstruction_error(self.network_, tb), tokens)
        return -errors.astype(np.float64)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` (higher is better)."""
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self) -> int:
        return self.latent_dim

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.non_deterministic = self.max_time is not None
        return tags

    # ------------------------------------------------------------------ files
    def save(self, path: str) -> None:
        """Write the fitted model to one safetensors file (no pickle); see :func:`aekit.load`."""
        from ..model_file import save

        save(self, path)

    def _file_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        check_is_fitted(self)
        state = {
            "tokenizer": self.tokenizer_.to_str(),
            "vocab_size": self.tokenizer_.get_vocab_size(),
            "network": network_spec(self.network_),
            "history": self.history_,
            "training_time": self.training_time_,
        }
        tensors = {f"network.{k}": v for k, v in self.network_.state_dict().items()}
        return state, tensors

    def _load_file_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        from tokenizers import Tokenizer

        self.tokenizer_ = Tokenizer.from_str(state["tokenizer"])
        self.history_ = state["history"]
        self.training_time_ = state["training_time"]
        self.n_features_in_ = 1
        self.network_ = restore_network(state["network"], tensors, self.device)


def synthetic_texts(texts: list[str], n: int, rng: np.random.RandomState) -> list[str]:
    """``n`` texts of words drawn at random from ``texts`` (by frequency), each as
    long, in words, as a randomly drawn one of ``texts``."""
    words = [w for text in texts for w in text.split()]
    if not words:
        return []
    lengths = np.array([len(text.split()) for text in texts])
    sizes = lengths[rng.randint(len(lengths), size=n)]
    picks = rng.randint(len(words), size=int(sizes.sum()))
    bounds = np.cumsum(sizes)[:-1]
    return [" ".join(words[i] for i in part) for part in np.split(picks, bounds)]


def check_texts(X: Any) -> list[str]:
    """``X`` as a list of str: a list or tuple, a 1-D array, a pandas Series or a
    one-column DataFrame. Empty input and non-string items are a ValueError."""
    if hasattr(X, "columns"):  # DataFrame
        if X.shape[1] != 1:
            raise ValueError(
                f"a DataFrame of texts must have exactly one column; got {X.shape[1]}."
            )
        X = X.iloc[:, 0]
    if isinstance(X, str | bytes):
        raise ValueError("X must be a list of texts, not a single string: wrap it in a list.")
    if isinstance(X, np.ndarray) and X.ndim != 1:
        raise ValueError(f"an array of texts must be 1-D; got shape {X.shape}.")
    texts = as_list(X, "texts")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(
                f"text {i} is a {type(text).__name__} ({text!r:.40}), not a str; every item "
                "of X must be a string (missing values included: use '')."
            )
    return texts
